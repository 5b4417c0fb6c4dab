-- Next-response compliance in the ticket statistics rollups (0022_scale_sql.sql), so that
-- GET /api/tickets/stats no longer scans the window's tickets and their sla_events for it. The
-- definition is GET /api/sla/report's (src/sla/report.ts), per ticket with next_response_cycle > 0:
-- breached when sla_events holds a next_response breach of it (any cycle); met when not, and the
-- ticket is settled or no clock runs; waiting otherwise. The stats trigger only sees ticket
-- columns, so the ticket carries the recorded breach (next_response_breached_at, kept by a trigger
-- on sla_events below), and "a clock runs" is a function of its columns (waiting_since,
-- next_response_from, next_response_due_at), not of the clock: no reader-side correction.
--
-- Lock order: every rollup upsert now takes a ticket's rows coarse to fine (512-day block first,
-- the day last). A transaction that changes many tickets' rows (the SLA sweep starting clocks and
-- recording breaches) takes them in (organization, queue, creation time) order; with both rules
-- its locks come in one global order that every single-ticket change also follows, so it cannot
-- deadlock with the webhooks and actions changing tickets meanwhile, nor with an overlapping sweep.

-- The recorded breach on the ticket, from what the sweep has recorded so far (before the triggers
-- below exist; the rollups are rebuilt at the end anyway).
UPDATE tickets t SET next_response_breached_at = b.due_at
FROM (SELECT ticket_id, min(due_at) AS due_at FROM sla_events
      WHERE kind = 'next_response' AND level = 'breached' GROUP BY ticket_id) b
WHERE t.id = b.ticket_id;
--> statement-breakpoint
-- sla_events -> tickets.next_response_breached_at, in the statement that records (or removes) the
-- breach, whoever runs it: the sweep, a data fix, a test writing events straight into the table.
-- Events are never updated (the unique key is the alert); a delete is a ticket's cascade or a fix.
CREATE OR REPLACE FUNCTION sla_events_next_response_breach() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE tickets SET next_response_breached_at = NEW.due_at
    WHERE id = NEW.ticket_id AND (next_response_breached_at IS NULL OR next_response_breached_at > NEW.due_at);
  ELSE
    UPDATE tickets t SET next_response_breached_at = b.due_at
    FROM (SELECT min(due_at) AS due_at FROM sla_events
          WHERE ticket_id = OLD.ticket_id AND kind = 'next_response' AND level = 'breached') b
    WHERE t.id = OLD.ticket_id AND t.next_response_breached_at IS DISTINCT FROM b.due_at;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER sla_events_next_response_insert AFTER INSERT ON sla_events
  FOR EACH ROW WHEN (NEW.kind = 'next_response' AND NEW.level = 'breached')
  EXECUTE FUNCTION sla_events_next_response_breach();
--> statement-breakpoint
CREATE TRIGGER sla_events_next_response_delete AFTER DELETE ON sla_events
  FOR EACH ROW WHEN (OLD.kind = 'next_response' AND OLD.level = 'breached')
  EXECUTE FUNCTION sla_events_next_response_breach();
--> statement-breakpoint
DROP FUNCTION ticket_stats_rows(text, uuid, uuid, timestamptz, timestamptz, timestamptz, timestamptz);
--> statement-breakpoint
DROP FUNCTION ticket_stats_vector(text, timestamptz, timestamptz, timestamptz, timestamptz);
--> statement-breakpoint
-- What one ticket counts for, as {open, pending, resolved, closed, fr_met, fr_late, fr_waiting,
-- res_met, res_late, res_waiting, nr_met, nr_breached, nr_waiting}: its status, its first-response
-- and resolution outcomes as the stats define them (met: answered by the due time; late: answered
-- after it; waiting: due, no answer yet, breached once the due time has passed, which only a reader
-- can tell), and its next-response outcome as the SLA report defines it (see the top; the same
-- three-valued logic, so a ticket the report counts nowhere counts nowhere here either). The one
-- definition: the trigger, the rebuild and the reader's partial days all classify tickets with it.
CREATE OR REPLACE FUNCTION ticket_stats_vector(
  status text, first_response_at timestamptz, first_response_due_at timestamptz,
  resolved_at timestamptz, resolution_due_at timestamptz, next_response_cycle integer,
  next_response_breached_at timestamptz, waiting_since timestamptz, next_response_from timestamptz,
  next_response_due_at timestamptz
) RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ARRAY[(status = 'open')::integer, (status = 'pending')::integer, (status = 'resolved')::integer,
    (status = 'closed')::integer,
    (first_response_due_at IS NOT NULL AND first_response_at IS NOT NULL
      AND first_response_at <= first_response_due_at)::integer,
    (first_response_due_at IS NOT NULL AND first_response_at IS NOT NULL
      AND first_response_at > first_response_due_at)::integer,
    (first_response_due_at IS NOT NULL AND first_response_at IS NULL)::integer,
    (resolution_due_at IS NOT NULL AND resolved_at IS NOT NULL AND resolved_at <= resolution_due_at)::integer,
    (resolution_due_at IS NOT NULL AND resolved_at IS NOT NULL AND resolved_at > resolution_due_at)::integer,
    (resolution_due_at IS NOT NULL AND resolved_at IS NULL)::integer,
    ((next_response_cycle > 0 AND next_response_breached_at IS NULL
      AND (status IN ('resolved', 'closed') OR NOT (waiting_since IS NOT NULL
        AND next_response_from = waiting_since AND next_response_due_at IS NOT NULL))) IS TRUE)::integer,
    (next_response_cycle > 0 AND next_response_breached_at IS NOT NULL)::integer,
    ((next_response_cycle > 0 AND next_response_breached_at IS NULL AND NOT status IN ('resolved', 'closed')
      AND (waiting_since IS NOT NULL AND next_response_from = waiting_since
        AND next_response_due_at IS NOT NULL)) IS TRUE)::integer]
$$;
--> statement-breakpoint
-- The rollup rows one ticket counts in: its queue's (the nil uuid for none), with its status and
-- SLA outcomes, and its assignee's, with its status alone.
CREATE OR REPLACE FUNCTION ticket_stats_rows(
  status text, queue_id uuid, assignee_id uuid, first_response_at timestamptz,
  first_response_due_at timestamptz, resolved_at timestamptz, resolution_due_at timestamptz,
  next_response_cycle integer, next_response_breached_at timestamptz, waiting_since timestamptz,
  next_response_from timestamptz, next_response_due_at timestamptz
) RETURNS TABLE (
  dimension text, key uuid, open integer, pending integer, resolved integer, closed integer,
  fr_met integer, fr_late integer, fr_waiting integer, res_met integer, res_late integer, res_waiting integer,
  nr_met integer, nr_breached integer, nr_waiting integer
)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT d.dimension, d.key, v[1], v[2], v[3], v[4],
    d.sla * v[5], d.sla * v[6], d.sla * v[7], d.sla * v[8], d.sla * v[9], d.sla * v[10],
    d.sla * v[11], d.sla * v[12], d.sla * v[13]
  FROM (SELECT ticket_stats_vector(status, first_response_at, first_response_due_at, resolved_at,
          resolution_due_at, next_response_cycle, next_response_breached_at, waiting_since,
          next_response_from, next_response_due_at) AS v) AS t
    CROSS JOIN (VALUES ('queue', coalesce(queue_id, '00000000-0000-0000-0000-000000000000'::uuid), 1),
      ('agent', assignee_id, 0)) AS d(dimension, key, sla)
  WHERE d.key IS NOT NULL
$$;
--> statement-breakpoint
-- The trigger: every change of a ticket's counted columns goes into the rollups in the statement
-- that made it. One function of plain PL/pgSQL, one upsert statement for the counts and one for
-- the histograms: it runs inside the webhooks' statements, on the fresh backend each Worker
-- request connects to, where every function compiled and every statement planned for the first
-- time costs (helper functions and a GROUP BY over a lateral join took 2 ms there, measured).
CREATE OR REPLACE FUNCTION ticket_stats_track() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  nil CONSTANT uuid := '00000000-0000-0000-0000-000000000000';
  zero CONSTANT integer[] := ARRAY[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  old_vector integer[];
  new_vector integer[];
  old_day integer;
  new_day integer;
  old_key uuid;
  new_key uuid;
  old_first boolean;
  -- The count rows to change, in the order they are locked (parallel arrays, thirteen deltas a row).
  r_org uuid[] := '{}';
  r_day integer[] := '{}';
  r_dim text[] := '{}';
  r_key uuid[] := '{}';
  r_delta integer[] := '{}';
  -- The histogram buckets to change (parallel arrays).
  h_org uuid[] := '{}';
  h_day integer[] := '{}';
  h_metric text[] := '{}';
  h_bucket integer[] := '{}';
  h_n integer[] := '{}';
  old_bucket integer;
  new_bucket integer;
  metric_name text;
  dim text;
  d integer[];
  init_fine integer[];
  init_coarse integer[];
  i integer;
  j integer;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    -- A ticket deleted with its organization: its rollups go with it (the foreign key's cascade).
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM organizations WHERE id = OLD.organization_id) THEN
      RETURN NULL;
    END IF;
    old_vector := ticket_stats_vector(OLD.status, OLD.first_response_at, OLD.first_response_due_at,
      OLD.resolved_at, OLD.resolution_due_at, OLD.next_response_cycle, OLD.next_response_breached_at,
      OLD.waiting_since, OLD.next_response_from, OLD.next_response_due_at);
    old_day := ticket_stats_day(OLD.created_at);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    new_vector := ticket_stats_vector(NEW.status, NEW.first_response_at, NEW.first_response_due_at,
      NEW.resolved_at, NEW.resolution_due_at, NEW.next_response_cycle, NEW.next_response_breached_at,
      NEW.waiting_since, NEW.next_response_from, NEW.next_response_due_at);
    new_day := ticket_stats_day(NEW.created_at);
  END IF;

  -- Counts: the queue's rows (every ticket has one), then the assignee's with the statuses alone.
  -- The old version is taken from its row, the new one added to its own, netted when they are the
  -- same row; otherwise the lower key first, so that transactions moving tickets between the same
  -- rows lock them in the same order.
  FOREACH dim IN ARRAY ARRAY['queue', 'agent'] LOOP
    IF dim = 'queue' THEN
      old_key := CASE WHEN TG_OP <> 'INSERT' THEN coalesce(OLD.queue_id, nil) END;
      new_key := CASE WHEN TG_OP <> 'DELETE' THEN coalesce(NEW.queue_id, nil) END;
    ELSE
      old_key := OLD.assignee_id;
      new_key := NEW.assignee_id;
      old_vector := old_vector[1:4] || zero[5:13];
      new_vector := new_vector[1:4] || zero[5:13];
    END IF;
    IF old_key IS NOT NULL AND new_key IS NOT NULL
        AND (OLD.organization_id, old_day, old_key) = (NEW.organization_id, new_day, new_key) THEN
      d := zero;
      FOR j IN 1..13 LOOP
        d[j] := new_vector[j] - old_vector[j];
      END LOOP;
      r_org := r_org || NEW.organization_id; r_day := r_day || new_day; r_dim := r_dim || dim;
      r_key := r_key || new_key; r_delta := r_delta || d;
      CONTINUE;
    END IF;
    old_first := old_key IS NOT NULL
      AND (new_key IS NULL OR (OLD.organization_id, old_day, old_key) < (NEW.organization_id, new_day, new_key));
    IF new_key IS NOT NULL AND NOT old_first THEN
      r_org := r_org || NEW.organization_id; r_day := r_day || new_day; r_dim := r_dim || dim;
      r_key := r_key || new_key; r_delta := r_delta || new_vector;
    END IF;
    IF old_key IS NOT NULL THEN
      d := zero;
      FOR j IN 1..13 LOOP
        d[j] := -old_vector[j];
      END LOOP;
      r_org := r_org || OLD.organization_id; r_day := r_day || old_day; r_dim := r_dim || dim;
      r_key := r_key || old_key; r_delta := r_delta || d;
    END IF;
    IF new_key IS NOT NULL AND old_first THEN
      r_org := r_org || NEW.organization_id; r_day := r_day || new_day; r_dim := r_dim || dim;
      r_key := r_key || new_key; r_delta := r_delta || new_vector;
    END IF;
  END LOOP;

  -- A row's blocks coarse to fine (see the top of 0024_nr_rollup_sql.sql for why).
  FOR i IN 1..coalesce(array_length(r_org, 1), 0) LOOP
    d := r_delta[(i - 1) * 13 + 1 : i * 13];
    CONTINUE WHEN d = zero;
    INSERT INTO ticket_stats_counts AS c (organization_id, level, period, dimension, key, open, pending,
      resolved, closed, first_response_met, first_response_late, first_response_waiting, resolution_met,
      resolution_late, resolution_waiting, next_response_met, next_response_breached, next_response_waiting)
    VALUES
      (r_org[i], 3, r_day[i] >> 9, r_dim[i], r_key[i], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10],
        d[11], d[12], d[13]),
      (r_org[i], 2, r_day[i] >> 6, r_dim[i], r_key[i], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10],
        d[11], d[12], d[13]),
      (r_org[i], 1, r_day[i] >> 3, r_dim[i], r_key[i], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10],
        d[11], d[12], d[13]),
      (r_org[i], 0, r_day[i], r_dim[i], r_key[i], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10],
        d[11], d[12], d[13])
    ON CONFLICT (organization_id, level, period, dimension, key) DO UPDATE SET
      open = c.open + excluded.open, pending = c.pending + excluded.pending,
      resolved = c.resolved + excluded.resolved, closed = c.closed + excluded.closed,
      first_response_met = c.first_response_met + excluded.first_response_met,
      first_response_late = c.first_response_late + excluded.first_response_late,
      first_response_waiting = c.first_response_waiting + excluded.first_response_waiting,
      resolution_met = c.resolution_met + excluded.resolution_met,
      resolution_late = c.resolution_late + excluded.resolution_late,
      resolution_waiting = c.resolution_waiting + excluded.resolution_waiting,
      next_response_met = c.next_response_met + excluded.next_response_met,
      next_response_breached = c.next_response_breached + excluded.next_response_breached,
      next_response_waiting = c.next_response_waiting + excluded.next_response_waiting;
  END LOOP;

  -- Durations (from the creation time, so a new creation time moves them too): out of the bucket
  -- the ticket leaves, into the one it enters. Nothing for a new ticket, which has none yet.
  IF TG_OP = 'INSERT' AND NEW.first_response_at IS NULL AND NEW.resolved_at IS NULL THEN
    RETURN NULL;
  END IF;
  FOREACH metric_name IN ARRAY ARRAY['first_response', 'resolution'] LOOP
    IF metric_name = 'first_response' THEN
      CONTINUE WHEN OLD.first_response_at IS NOT DISTINCT FROM NEW.first_response_at
        AND OLD.created_at IS NOT DISTINCT FROM NEW.created_at
        AND OLD.organization_id IS NOT DISTINCT FROM NEW.organization_id;
      old_bucket := ticket_stats_bucket(date_part('epoch', OLD.first_response_at - OLD.created_at));
      new_bucket := ticket_stats_bucket(date_part('epoch', NEW.first_response_at - NEW.created_at));
    ELSE
      CONTINUE WHEN OLD.resolved_at IS NOT DISTINCT FROM NEW.resolved_at
        AND OLD.created_at IS NOT DISTINCT FROM NEW.created_at
        AND OLD.organization_id IS NOT DISTINCT FROM NEW.organization_id;
      old_bucket := ticket_stats_bucket(date_part('epoch', OLD.resolved_at - OLD.created_at));
      new_bucket := ticket_stats_bucket(date_part('epoch', NEW.resolved_at - NEW.created_at));
    END IF;
    CONTINUE WHEN (OLD.organization_id, old_day, old_bucket) IS NOT DISTINCT FROM (NEW.organization_id, new_day, new_bucket);
    IF old_bucket IS NOT NULL THEN
      h_org := h_org || OLD.organization_id; h_day := h_day || old_day; h_metric := h_metric || metric_name;
      h_bucket := h_bucket || old_bucket; h_n := h_n || -1;
    END IF;
    IF new_bucket IS NOT NULL THEN
      h_org := h_org || NEW.organization_id; h_day := h_day || new_day; h_metric := h_metric || metric_name;
      h_bucket := h_bucket || new_bucket; h_n := h_n || 1;
    END IF;
  END LOOP;

  FOR i IN 1..coalesce(array_length(h_org, 1), 0) LOOP
    init_fine := array_fill(0, ARRAY[842]);
    init_fine[h_bucket[i] + 1] := h_n[i];
    init_coarse := array_fill(0, ARRAY[27]);
    init_coarse[h_bucket[i] / 32 + 1] := h_n[i];
    INSERT INTO ticket_stats_durations AS t (organization_id, level, period, metric, fine, coarse)
    VALUES
      (h_org[i], 3, h_day[i] >> 9, h_metric[i], init_fine, init_coarse),
      (h_org[i], 2, h_day[i] >> 6, h_metric[i], init_fine, init_coarse),
      (h_org[i], 1, h_day[i] >> 3, h_metric[i], init_fine, init_coarse),
      (h_org[i], 0, h_day[i], h_metric[i], init_fine, init_coarse)
    ON CONFLICT (organization_id, level, period, metric) DO UPDATE SET
      fine[h_bucket[i] + 1] = t.fine[h_bucket[i] + 1] + h_n[i],
      coarse[h_bucket[i] / 32 + 1] = t.coarse[h_bucket[i] / 32 + 1] + h_n[i];
  END LOOP;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- A new ticket without answer, resolution or next-response clock yet (every ticket the app opens):
-- its counts alone, in a function of its own with one statement per row kind. Half the first-call
-- cost of the general function on a fresh backend, which a new conversation's webhook always has
-- (measured 1.0 against 1.7 ms).
CREATE OR REPLACE FUNCTION ticket_stats_created() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v integer[] := ticket_stats_vector(NEW.status, NULL, NEW.first_response_due_at, NULL, NEW.resolution_due_at,
    0, NULL, NULL, NULL, NULL);
  day integer := ticket_stats_day(NEW.created_at);
  queue uuid := coalesce(NEW.queue_id, '00000000-0000-0000-0000-000000000000');
BEGIN
  INSERT INTO ticket_stats_counts AS c (organization_id, level, period, dimension, key, open, pending,
    resolved, closed, first_response_met, first_response_late, first_response_waiting, resolution_met,
    resolution_late, resolution_waiting)
  VALUES
    (NEW.organization_id, 3, day >> 9, 'queue', queue, v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]),
    (NEW.organization_id, 2, day >> 6, 'queue', queue, v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]),
    (NEW.organization_id, 1, day >> 3, 'queue', queue, v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]),
    (NEW.organization_id, 0, day, 'queue', queue, v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10])
  ON CONFLICT (organization_id, level, period, dimension, key) DO UPDATE SET
    open = c.open + excluded.open, pending = c.pending + excluded.pending,
    resolved = c.resolved + excluded.resolved, closed = c.closed + excluded.closed,
    first_response_waiting = c.first_response_waiting + excluded.first_response_waiting,
    resolution_waiting = c.resolution_waiting + excluded.resolution_waiting;
  IF NEW.assignee_id IS NOT NULL THEN
    INSERT INTO ticket_stats_counts AS c (organization_id, level, period, dimension, key, open, pending, resolved, closed)
    VALUES
      (NEW.organization_id, 3, day >> 9, 'agent', NEW.assignee_id, v[1], v[2], v[3], v[4]),
      (NEW.organization_id, 2, day >> 6, 'agent', NEW.assignee_id, v[1], v[2], v[3], v[4]),
      (NEW.organization_id, 1, day >> 3, 'agent', NEW.assignee_id, v[1], v[2], v[3], v[4]),
      (NEW.organization_id, 0, day, 'agent', NEW.assignee_id, v[1], v[2], v[3], v[4])
    ON CONFLICT (organization_id, level, period, dimension, key) DO UPDATE SET
      open = c.open + excluded.open, pending = c.pending + excluded.pending,
      resolved = c.resolved + excluded.resolved, closed = c.closed + excluded.closed;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
DROP TRIGGER tickets_stats_insert ON tickets;
--> statement-breakpoint
CREATE TRIGGER tickets_stats_insert AFTER INSERT ON tickets
  FOR EACH ROW WHEN (NEW.first_response_at IS NULL AND NEW.resolved_at IS NULL AND NEW.next_response_cycle = 0)
  EXECUTE FUNCTION ticket_stats_created();
--> statement-breakpoint
DROP TRIGGER tickets_stats_insert_answered ON tickets;
--> statement-breakpoint
CREATE TRIGGER tickets_stats_insert_answered AFTER INSERT ON tickets
  FOR EACH ROW WHEN (NEW.first_response_at IS NOT NULL OR NEW.resolved_at IS NOT NULL OR NEW.next_response_cycle <> 0)
  EXECUTE FUNCTION ticket_stats_track();
--> statement-breakpoint
DROP TRIGGER tickets_stats_update ON tickets;
--> statement-breakpoint
-- Only the columns the stats read; the updates of every inbound message (counters, times) skip it.
-- The next-response columns count through "a clock runs" alone: a customer writing again sets
-- waiting_since, which starts no clock (the sweep does), so an inbound message still fires nothing;
-- a reply that answers a running clock, the sweep's clock start and a recorded breach do.
CREATE TRIGGER tickets_stats_update
  AFTER UPDATE OF organization_id, created_at, status, queue_id, assignee_id, first_response_at,
    first_response_due_at, resolved_at, resolution_due_at, next_response_cycle, next_response_breached_at,
    waiting_since, next_response_from, next_response_due_at ON tickets
  FOR EACH ROW WHEN (
    OLD.organization_id IS DISTINCT FROM NEW.organization_id OR OLD.created_at IS DISTINCT FROM NEW.created_at
    OR OLD.status IS DISTINCT FROM NEW.status OR OLD.queue_id IS DISTINCT FROM NEW.queue_id
    OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR OLD.first_response_at IS DISTINCT FROM NEW.first_response_at
    OR OLD.first_response_due_at IS DISTINCT FROM NEW.first_response_due_at
    OR OLD.resolved_at IS DISTINCT FROM NEW.resolved_at OR OLD.resolution_due_at IS DISTINCT FROM NEW.resolution_due_at
    OR OLD.next_response_cycle IS DISTINCT FROM NEW.next_response_cycle
    OR OLD.next_response_breached_at IS DISTINCT FROM NEW.next_response_breached_at
    OR (NEW.next_response_cycle > 0 AND (OLD.waiting_since IS NOT NULL AND OLD.next_response_from = OLD.waiting_since
      AND OLD.next_response_due_at IS NOT NULL) IS DISTINCT FROM (NEW.waiting_since IS NOT NULL
      AND NEW.next_response_from = NEW.waiting_since AND NEW.next_response_due_at IS NOT NULL))
  ) EXECUTE FUNCTION ticket_stats_track();
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
    resolution_waiting, next_response_met, next_response_breached, next_response_waiting)
  SELECT t.organization_id, l.level, ticket_stats_day(t.created_at) >> (3 * l.level), r.dimension, r.key,
    sum(r.open), sum(r.pending), sum(r.resolved), sum(r.closed), sum(r.fr_met), sum(r.fr_late),
    sum(r.fr_waiting), sum(r.res_met), sum(r.res_late), sum(r.res_waiting), sum(r.nr_met),
    sum(r.nr_breached), sum(r.nr_waiting)
  FROM tickets t
    CROSS JOIN LATERAL ticket_stats_rows(t.status, t.queue_id, t.assignee_id, t.first_response_at,
      t.first_response_due_at, t.resolved_at, t.resolution_due_at, t.next_response_cycle,
      t.next_response_breached_at, t.waiting_since, t.next_response_from, t.next_response_due_at) r
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
