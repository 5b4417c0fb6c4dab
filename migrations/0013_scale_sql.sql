-- Ticket statistics rollups (src/db/schema/rollups.ts), kept current by a trigger on tickets: every
-- statement that creates, answers, resolves, reopens, reassigns, transfers or deletes a ticket adds
-- its change to the rollups in the same transaction, whatever code path ran it. Read by
-- src/tickets/stats-service.ts. Periods: level L holds blocks of 8^L UTC days (1, 8, 64, 512).

-- The UTC day of an instant, counted from 1970-01-01.
CREATE OR REPLACE FUNCTION ticket_stats_day(ts timestamptz) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT floor(date_part('epoch', ts) / 86400)::integer
$$;
--> statement-breakpoint
-- The histogram bucket of a duration: a second wide below a minute, then 2% wide, up to ten years
-- (bucket 841 takes anything longer; a negative duration counts as zero).
CREATE OR REPLACE FUNCTION ticket_stats_bucket(seconds double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN seconds < 60 THEN greatest(0, floor(seconds))::integer
              ELSE least(841, 60 + floor(ln(seconds / 60) / ln(1.02))::integer) END
$$;
--> statement-breakpoint
-- A bucket's middle (geometric above a minute): within 1% of any value in the bucket (0.5 s below a minute).
CREATE OR REPLACE FUNCTION ticket_stats_bucket_value(bucket integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN bucket < 60 THEN bucket + 0.5
              ELSE 60 * power(1.02::double precision, bucket - 59.5) END
$$;
--> statement-breakpoint
-- The rollup rows one ticket adds to: its queue's (the nil uuid for none), with its status and its SLA
-- outcomes as the stats define them (met: answered by the due time; late: answered after it;
-- waiting: due, no answer yet, breached once the due time has passed, which only a reader can
-- tell), and its assignee's, with its status alone.
CREATE OR REPLACE FUNCTION ticket_stats_rows(
  status text, queue_id uuid, assignee_id uuid, first_response_at timestamptz,
  first_response_due_at timestamptz, resolved_at timestamptz, resolution_due_at timestamptz
) RETURNS TABLE (
  dimension text, key uuid, open integer, pending integer, resolved integer, closed integer,
  fr_met integer, fr_late integer, fr_waiting integer, res_met integer, res_late integer, res_waiting integer
)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT d.dimension, d.key, (status = 'open')::integer, (status = 'pending')::integer,
    (status = 'resolved')::integer, (status = 'closed')::integer,
    d.sla * (first_response_due_at IS NOT NULL AND first_response_at IS NOT NULL
      AND first_response_at <= first_response_due_at)::integer,
    d.sla * (first_response_due_at IS NOT NULL AND first_response_at IS NOT NULL
      AND first_response_at > first_response_due_at)::integer,
    d.sla * (first_response_due_at IS NOT NULL AND first_response_at IS NULL)::integer,
    d.sla * (resolution_due_at IS NOT NULL AND resolved_at IS NOT NULL AND resolved_at <= resolution_due_at)::integer,
    d.sla * (resolution_due_at IS NOT NULL AND resolved_at IS NOT NULL AND resolved_at > resolution_due_at)::integer,
    d.sla * (resolution_due_at IS NOT NULL AND resolved_at IS NULL)::integer
  FROM (VALUES ('queue', coalesce(queue_id, '00000000-0000-0000-0000-000000000000'::uuid), 1), ('agent', assignee_id, 0))
    AS d(dimension, key, sla)
  WHERE d.key IS NOT NULL
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION ticket_stats_track() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  change record;
BEGIN
  -- A ticket deleted with its organization: its rollups go with it (the foreign key's cascade).
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM organizations WHERE id = OLD.organization_id) THEN
    RETURN NULL;
  END IF;

  -- Counts: the new version added, the old one taken away, netted per row (a status change on one
  -- queue is one update of each of its four periods). Rows in key order, so concurrent
  -- transactions lock them in the same order.
  INSERT INTO ticket_stats_counts AS c (organization_id, level, period, dimension, key, open, pending,
    resolved, closed, first_response_met, first_response_late, first_response_waiting, resolution_met,
    resolution_late, resolution_waiting)
  SELECT * FROM (
    SELECT v.organization_id, l.level, ticket_stats_day(v.created_at) >> (3 * l.level) AS period, r.dimension, r.key,
      sum(v.sign * r.open) AS open, sum(v.sign * r.pending) AS pending, sum(v.sign * r.resolved) AS resolved,
      sum(v.sign * r.closed) AS closed, sum(v.sign * r.fr_met) AS fr_met, sum(v.sign * r.fr_late) AS fr_late,
      sum(v.sign * r.fr_waiting) AS fr_waiting, sum(v.sign * r.res_met) AS res_met,
      sum(v.sign * r.res_late) AS res_late, sum(v.sign * r.res_waiting) AS res_waiting
    FROM (VALUES
        (1, NEW.organization_id, NEW.created_at, NEW.status, NEW.queue_id, NEW.assignee_id, NEW.first_response_at,
         NEW.first_response_due_at, NEW.resolved_at, NEW.resolution_due_at),
        (-1, OLD.organization_id, OLD.created_at, OLD.status, OLD.queue_id, OLD.assignee_id, OLD.first_response_at,
         OLD.first_response_due_at, OLD.resolved_at, OLD.resolution_due_at)
      ) AS v(sign, organization_id, created_at, status, queue_id, assignee_id, first_response_at,
             first_response_due_at, resolved_at, resolution_due_at)
      CROSS JOIN LATERAL ticket_stats_rows(v.status, v.queue_id, v.assignee_id, v.first_response_at,
        v.first_response_due_at, v.resolved_at, v.resolution_due_at) r
      CROSS JOIN (VALUES (0), (1), (2), (3)) AS l(level)
    WHERE v.organization_id IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5
  ) net
  WHERE (open, pending, resolved, closed, fr_met, fr_late, fr_waiting, res_met, res_late, res_waiting)
    <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
  ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (organization_id, level, period, dimension, key) DO UPDATE SET
    open = c.open + excluded.open, pending = c.pending + excluded.pending,
    resolved = c.resolved + excluded.resolved, closed = c.closed + excluded.closed,
    first_response_met = c.first_response_met + excluded.first_response_met,
    first_response_late = c.first_response_late + excluded.first_response_late,
    first_response_waiting = c.first_response_waiting + excluded.first_response_waiting,
    resolution_met = c.resolution_met + excluded.resolution_met,
    resolution_late = c.resolution_late + excluded.resolution_late,
    resolution_waiting = c.resolution_waiting + excluded.resolution_waiting;

  -- Durations, only when one may have changed (a new ticket has none: nothing to do on that path).
  IF (TG_OP = 'INSERT' AND NEW.first_response_at IS NULL AND NEW.resolved_at IS NULL)
    OR (TG_OP = 'UPDATE' AND OLD.organization_id = NEW.organization_id AND OLD.created_at = NEW.created_at
        AND OLD.first_response_at IS NOT DISTINCT FROM NEW.first_response_at
        AND OLD.resolved_at IS NOT DISTINCT FROM NEW.resolved_at) THEN
    RETURN NULL;
  END IF;
  FOR change IN
    SELECT v.organization_id, ticket_stats_day(v.created_at) AS day, m.metric,
      ticket_stats_bucket(date_part('epoch', m.at - v.created_at)) AS bucket, sum(v.sign)::integer AS n
    FROM (VALUES
        (1, NEW.organization_id, NEW.created_at, NEW.first_response_at, NEW.resolved_at),
        (-1, OLD.organization_id, OLD.created_at, OLD.first_response_at, OLD.resolved_at)
      ) AS v(sign, organization_id, created_at, first_response_at, resolved_at)
      CROSS JOIN LATERAL (VALUES ('first_response', v.first_response_at), ('resolution', v.resolved_at)) AS m(metric, at)
    WHERE v.organization_id IS NOT NULL AND m.at IS NOT NULL
    GROUP BY 1, 2, 3, 4
    HAVING sum(v.sign) <> 0
    ORDER BY 1, 2, 3, 4
  LOOP
    INSERT INTO ticket_stats_durations (organization_id, level, period, metric, fine, coarse)
    SELECT change.organization_id, lvl, change.day >> (3 * lvl), change.metric,
      array_fill(0, ARRAY[842]), array_fill(0, ARRAY[27])
    FROM generate_series(0, 3) AS lvl
    ON CONFLICT DO NOTHING;
    UPDATE ticket_stats_durations SET
      fine[change.bucket + 1] = fine[change.bucket + 1] + change.n,
      coarse[change.bucket / 32 + 1] = coarse[change.bucket / 32 + 1] + change.n
    WHERE organization_id = change.organization_id AND metric = change.metric
      AND (level, period) IN ((0, change.day), (1, change.day >> 3), (2, change.day >> 6), (3, change.day >> 9));
  END LOOP;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER tickets_stats_insert AFTER INSERT ON tickets
  FOR EACH ROW EXECUTE FUNCTION ticket_stats_track();
--> statement-breakpoint
-- Only the columns the stats read; the updates of every inbound message (counters, times) skip it.
CREATE TRIGGER tickets_stats_update
  AFTER UPDATE OF organization_id, created_at, status, queue_id, assignee_id, first_response_at,
    first_response_due_at, resolved_at, resolution_due_at ON tickets
  FOR EACH ROW WHEN (
    OLD.organization_id IS DISTINCT FROM NEW.organization_id OR OLD.created_at IS DISTINCT FROM NEW.created_at
    OR OLD.status IS DISTINCT FROM NEW.status OR OLD.queue_id IS DISTINCT FROM NEW.queue_id
    OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR OLD.first_response_at IS DISTINCT FROM NEW.first_response_at
    OR OLD.first_response_due_at IS DISTINCT FROM NEW.first_response_due_at
    OR OLD.resolved_at IS DISTINCT FROM NEW.resolved_at OR OLD.resolution_due_at IS DISTINCT FROM NEW.resolution_due_at
  ) EXECUTE FUNCTION ticket_stats_track();
--> statement-breakpoint
CREATE TRIGGER tickets_stats_delete AFTER DELETE ON tickets
  FOR EACH ROW EXECUTE FUNCTION ticket_stats_track();
--> statement-breakpoint
-- Recomputes the rollups of one organization (all of them without an argument) from its tickets:
-- the backfill below, and bulk loads that bypass the trigger (scripts/bench-scale-seed.ts). Ticket
-- writes wait meanwhile, so nothing changes between the read and the write.
CREATE OR REPLACE FUNCTION ticket_stats_rebuild(org uuid DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE tickets IN SHARE MODE;
  DELETE FROM ticket_stats_counts WHERE org IS NULL OR organization_id = org;
  DELETE FROM ticket_stats_durations WHERE org IS NULL OR organization_id = org;
  INSERT INTO ticket_stats_counts (organization_id, level, period, dimension, key, open, pending, resolved,
    closed, first_response_met, first_response_late, first_response_waiting, resolution_met, resolution_late,
    resolution_waiting)
  SELECT t.organization_id, l.level, ticket_stats_day(t.created_at) >> (3 * l.level), r.dimension, r.key,
    sum(r.open), sum(r.pending), sum(r.resolved), sum(r.closed), sum(r.fr_met), sum(r.fr_late),
    sum(r.fr_waiting), sum(r.res_met), sum(r.res_late), sum(r.res_waiting)
  FROM tickets t
    CROSS JOIN LATERAL ticket_stats_rows(t.status, t.queue_id, t.assignee_id, t.first_response_at,
      t.first_response_due_at, t.resolved_at, t.resolution_due_at) r
    CROSS JOIN (VALUES (0), (1), (2), (3)) AS l(level)
  WHERE org IS NULL OR t.organization_id = org
  GROUP BY 1, 2, 3, 4, 5;

  INSERT INTO ticket_stats_durations (organization_id, level, period, metric, fine, coarse)
  WITH buckets AS (
    SELECT t.organization_id, l.level, ticket_stats_day(t.created_at) >> (3 * l.level) AS period, m.metric,
      ticket_stats_bucket(date_part('epoch', m.at - t.created_at)) AS bucket, count(*)::integer AS n
    FROM tickets t
      CROSS JOIN LATERAL (VALUES ('first_response', t.first_response_at), ('resolution', t.resolved_at)) AS m(metric, at)
      CROSS JOIN (VALUES (0), (1), (2), (3)) AS l(level)
    WHERE (org IS NULL OR t.organization_id = org) AND m.at IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5
  ),
  histograms AS (
    SELECT k.organization_id, k.level, k.period, k.metric, array_agg(coalesce(b.n, 0) ORDER BY i) AS fine
    FROM (SELECT DISTINCT organization_id, level, period, metric FROM buckets) k
      CROSS JOIN generate_series(0, 841) AS i
      LEFT JOIN buckets b ON (b.organization_id, b.level, b.period, b.metric, b.bucket)
        = (k.organization_id, k.level, k.period, k.metric, i)
    GROUP BY 1, 2, 3, 4
  )
  SELECT organization_id, level, period, metric, fine,
    ARRAY(SELECT sum(n)::integer FROM unnest(fine) WITH ORDINALITY AS u(n, i) GROUP BY (i - 1) / 32 ORDER BY (i - 1) / 32)
  FROM histograms;
END
$$;
--> statement-breakpoint
SELECT ticket_stats_rebuild();
