// Ticket statistics kept current by the transactions that change tickets (a trigger on tickets,
// migrations/0012_scale_sql.sql), so GET /api/tickets/stats reads a few rows per period of its
// window instead of every ticket created in it (src/tickets/stats-service.ts).
//
// Periods are aligned blocks of UTC days at four levels: a day, 8 days, 64 days, 512 days
// (level L, period P = the days [P * 8^L, (P + 1) * 8^L) counted from 1970-01-01). A window of
// whole days is a union of at most a few dozen blocks; a trigger adds every change to the block
// of each level holding the ticket's creation day. Everything is keyed by the creation day: the
// figures describe the tickets created in the window, as they are now.
import { sql } from "drizzle-orm";
import { check, integer, pgTable, primaryKey, smallint, text, uuid } from "drizzle-orm/pg-core";
import { organizationId } from "./columns";
import { organizations } from "./identity";

const org = () => organizationId().references(() => organizations.id, { onDelete: "cascade" });
const count = () => integer().notNull().default(0);

/** The key of tickets without a queue (a primary key column cannot be null). */
export const NO_QUEUE = "00000000-0000-0000-0000-000000000000";

/**
 * Tickets created in a period, by their queue (dimension "queue", key NO_QUEUE for none) and by
 * their assignee (dimension "agent"), as they are now: counts by status and, on queue rows, SLA
 * outcomes. First-response and resolution "waiting" tickets have a due time and no response (or
 * resolution) yet: they are breached once the due time passes, which the reader counts at read
 * time. Next-response outcomes depend on ticket columns alone (the recorded breach included).
 */
export const ticketStatsCounts = pgTable(
  "ticket_stats_counts",
  {
    organizationId: org(),
    level: smallint().notNull(),
    period: integer().notNull(),
    dimension: text().$type<"queue" | "agent">().notNull(),
    key: uuid().notNull(),
    open: count(),
    pending: count(),
    resolved: count(),
    closed: count(),
    firstResponseMet: count(),
    firstResponseLate: count(),
    firstResponseWaiting: count(),
    resolutionMet: count(),
    resolutionLate: count(),
    resolutionWaiting: count(),
    // Next response (tickets where a customer waited after a reply): breached once a breach is
    // recorded in sla_events, waiting while a clock runs, met otherwise; as GET /api/sla/report.
    nextResponseMet: count(),
    nextResponseBreached: count(),
    nextResponseWaiting: count(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.level, t.period, t.dimension, t.key] }),
    check("ticket_stats_counts_level", sql`${t.level} between 0 and 3`),
  ],
);

/**
 * Durations (first response, resolution: from the ticket's creation) of the tickets created in a
 * period, as histograms: `fine` counts bucket b (0..841), `coarse` the sums of 32 consecutive
 * fine buckets, so a median reads the coarse arrays and one slice of the fine ones. Buckets are
 * a second wide below a minute, then 2% wide up to ten years (ticket_stats_bucket in the
 * migration): a bucket's middle is within 1% of any value in it.
 */
export const ticketStatsDurations = pgTable(
  "ticket_stats_durations",
  {
    organizationId: org(),
    level: smallint().notNull(),
    period: integer().notNull(),
    metric: text().$type<"first_response" | "resolution">().notNull(),
    fine: integer().array().notNull(),
    coarse: integer().array().notNull(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.level, t.period, t.metric] })],
);
