import { z } from "@hono/zod-openapi";
import { and, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import { callPlacements, calls, channels, users } from "@/db/schema";
import type { App } from "@/platform/api-app";
import { protectedRoute } from "@/platform/auth";
import type { Executor } from "@/platform/db";
import { ApiError } from "@/platform/errors";
import { jsonContent, timestamp } from "@/platform/openapi";
import { type CallStatus, callStatuses, terminalStatuses } from "@/voice/calls";
import { dateRange, instant } from "./schemas";
import { callAt } from "./service";

// The figures are defined once, in the route's description below (the OpenAPI document and README repeat it).
const answered = sql`(${calls.answeredAt} is not null or ${calls.agentId} is not null or (${calls.status} in ('in-progress', 'completed') and (${calls.direction} = 'outbound' or ${calls.providerAgentId} is not null)))`;
const final = sql`${calls.status} in (${sql.join(
  terminalStatuses.map((s) => sql`${s}`),
  sql`, `,
)})`;
const talk = sql`case when ${answered} then coalesce(extract(epoch from ${calls.endedAt} - ${calls.answeredAt})::float8, greatest(${calls.durationSeconds} - coalesce(${calls.waitSeconds}, 0), 0)::float8) end`;
const queuedInbound = sql`(${calls.direction} = 'inbound' and ${final} and ${calls.waitSeconds} is not null)`;

const groupKeys = {
  day: sql<string>`to_char(${callAt} at time zone 'UTC', 'YYYY-MM-DD')`,
  agent: sql<string | null>`coalesce(${calls.agentId}::text, ${calls.providerAgentId})`,
  channel: sql<string | null>`${calls.channelId}::text`,
};
type GroupBy = keyof typeof groupKeys;

const figuresSchema = z.object({
  calls: z.number().int(),
  byStatus: z.record(z.enum(callStatuses), z.number().int()),
  byDirection: z.object({ inbound: z.number().int(), outbound: z.number().int() }),
  answered: z.number().int(),
  missed: z.number().int(),
  abandoned: z.number().int(),
  answerRate: z.number().nullable(),
  abandonmentRate: z.number().nullable(),
  averageWaitSeconds: z.number().nullable(),
  averageTalkSeconds: z.number().nullable(),
  averageHandleSeconds: z.number().nullable(),
  aiAnalyzed: z.number().int(),
  aiSuccessful: z.number().int(),
  aiSuccessRate: z.number().nullable(),
});
type Figures = z.infer<typeof figuresSchema>;

const analyticsSchema = z
  .object({
    from: timestamp,
    to: timestamp,
    groupBy: z.enum(["day", "agent", "channel"]),
    totals: figuresSchema,
    groups: z.array(
      figuresSchema.extend({
        key: z
          .string()
          .nullable()
          .openapi({ description: "The day (YYYY-MM-DD, UTC), agent id or channel id; null: none." }),
        label: z.string().nullable().openapi({ description: "The agent's or channel's name." }),
      }),
    ),
  })
  .openapi("CallAnalytics");

const route = protectedRoute({
  method: "get",
  path: "/api/calls/analytics",
  tags: ["calls"],
  summary: "Call figures: totals, answer and abandonment rates, wait, talk and handle times, AI success",
  description: `Over the calls that started in [from, to) (default: the last 30 days; a bare date \`to\` includes that day; at most 366 days), simulated calls left out, in total and per \`groupBy\` (day in UTC, agent: the user or voice agent on the call, or channel).

- **answered**: answeredAt is set, or a user took the call, or it reached in-progress/completed as an outbound call or with a voice agent on it (an inbound call that only heard TwiML is not answered).
- **missed**: in a final status (completed, busy, no-answer, failed, canceled) and not answered.
- **answerRate** = answered / (answered + missed).
- **abandoned**: inbound, final, not answered, after waiting in a queue (waitSeconds set); **abandonmentRate** = abandoned / inbound final calls that waited in a queue.
- **averageWaitSeconds**: mean waitSeconds of calls that waited in a queue.
- **averageTalkSeconds**: mean talk time of answered calls: endedAt - answeredAt, else durationSeconds - waitSeconds.
- **averageHandleSeconds**: mean of waitSeconds + talk time of answered calls (no after-call work is recorded).
- **aiSuccessRate** = calls a voice agent's analysis called successful / calls with a success verdict.

Rates are fractions from 0 to 1, null when nothing is counted.`,
  request: {
    query: z.object({
      from: instant.optional(),
      to: instant.optional(),
      groupBy: z.enum(["day", "agent", "channel"]).default("day"),
    }),
  },
  responses: { 200: jsonContent(analyticsSchema, "The figures.") },
});

/** The sums every figure is folded from; each adds up across statuses, directions and groups. */
const additive = [
  "calls",
  "answered",
  "missed",
  "abandoned",
  "queuedInbound",
  "waitSum",
  "waitCount",
  "talkSum",
  "talkCount",
  "handleSum",
  "aiAnalyzed",
  "aiSuccessful",
] as const;

type Sums = Record<(typeof additive)[number], number> & {
  byStatus: Record<string, number>;
  byDirection: { inbound: number; outbound: number };
};

const emptySums = (): Sums => ({
  ...(Object.fromEntries(additive.map((k) => [k, 0])) as Record<(typeof additive)[number], number>),
  byStatus: Object.fromEntries(callStatuses.map((s) => [s, 0])),
  byDirection: { inbound: 0, outbound: 0 },
});

const ratio = (part: number, whole: number, digits = 4) =>
  whole === 0 ? null : Math.round((part / whole) * 10 ** digits) / 10 ** digits;

function figures(s: Sums): Figures {
  return {
    calls: s.calls,
    byStatus: s.byStatus as Record<CallStatus, number>,
    byDirection: s.byDirection,
    answered: s.answered,
    missed: s.missed,
    abandoned: s.abandoned,
    answerRate: ratio(s.answered, s.answered + s.missed),
    abandonmentRate: ratio(s.abandoned, s.queuedInbound),
    averageWaitSeconds: ratio(s.waitSum, s.waitCount, 2),
    averageTalkSeconds: ratio(s.talkSum, s.talkCount, 2),
    // Handle time exists exactly where talk time does.
    averageHandleSeconds: ratio(s.handleSum, s.talkCount, 2),
    aiAnalyzed: s.aiAnalyzed,
    aiSuccessful: s.aiSuccessful,
    aiSuccessRate: ratio(s.aiSuccessful, s.aiAnalyzed),
  };
}

/** One row per (group, status, direction) with additive sums: every figure is folded from them. */
async function sums(db: Executor, organizationId: string, range: { from: Date; to: Date }, groupBy: GroupBy) {
  const key = groupKeys[groupBy];
  const where: SQL | undefined = and(
    eq(calls.organizationId, organizationId),
    gte(callAt, range.from),
    lt(callAt, range.to),
    sql`${callPlacements.simulated} is not true`,
  );
  return db
    .select({
      key,
      status: calls.status,
      direction: calls.direction,
      calls: sql<number>`count(*)::int`,
      answered: sql<number>`count(*) filter (where ${answered})::int`,
      missed: sql<number>`count(*) filter (where ${final} and not ${answered})::int`,
      abandoned: sql<number>`count(*) filter (where ${queuedInbound} and not ${answered})::int`,
      queuedInbound: sql<number>`count(*) filter (where ${queuedInbound})::int`,
      waitSum: sql<number>`coalesce(sum(${calls.waitSeconds}), 0)::float8`,
      waitCount: sql<number>`count(${calls.waitSeconds})::int`,
      talkSum: sql<number>`coalesce(sum(${talk}), 0)::float8`,
      talkCount: sql<number>`count(${talk})::int`,
      handleSum: sql<number>`coalesce(sum(coalesce(${calls.waitSeconds}, 0) + ${talk}), 0)::float8`,
      aiAnalyzed: sql<number>`count(${calls.successful})::int`,
      aiSuccessful: sql<number>`count(*) filter (where ${calls.successful})::int`,
    })
    .from(calls)
    .leftJoin(callPlacements, eq(callPlacements.callId, calls.id))
    .where(where)
    .groupBy(key, calls.status, calls.direction);
}

function add(into: Sums, row: Awaited<ReturnType<typeof sums>>[number]) {
  for (const key of additive) into[key] += row[key];
  into.byStatus[row.status] = (into.byStatus[row.status] ?? 0) + row.calls;
  into.byDirection[row.direction] += row.calls;
}

/** Names for the agent or channel keys: users and channels of the organization; a voice agent's id stays unnamed. */
async function labels(db: Executor, organizationId: string, groupBy: GroupBy, keys: string[]) {
  const ids = keys.filter((k) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(k));
  if (groupBy === "day" || ids.length === 0) return new Map<string, string>();
  const table = groupBy === "agent" ? users : channels;
  const rows = await db
    .select({ id: table.id, name: table.name })
    .from(table)
    .where(and(eq(table.organizationId, organizationId), inArray(table.id, ids)));
  return new Map(rows.map((r) => [r.id, r.name]));
}

const MAX_RANGE_DAYS = 366;

export function registerCallAnalytics(app: App) {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const { db } = c.var.services;
    const { organizationId } = c.var.principal;
    const given = dateRange(query.from, query.to);
    const to = given.to ?? new Date();
    const from = given.from ?? new Date(to.getTime() - 30 * 86_400_000);
    if (from >= to) throw new ApiError("BAD_REQUEST", "`from` must be before `to`.");
    if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
      throw new ApiError("BAD_REQUEST", `The range is at most ${MAX_RANGE_DAYS} days.`);
    }
    const rows = await sums(db, organizationId, { from, to }, query.groupBy);
    const totals = emptySums();
    const groups = new Map<string | null, Sums>();
    for (const row of rows) {
      add(totals, row);
      const group = groups.get(row.key) ?? emptySums();
      add(group, row);
      groups.set(row.key, group);
    }
    const names = await labels(
      db,
      organizationId,
      query.groupBy,
      [...groups.keys()].filter((k) => k !== null),
    );
    const list = [...groups.entries()].map(([key, s]) => ({
      key,
      label: key === null ? null : (names.get(key) ?? null),
      ...figures(s),
    }));
    list.sort((a, b) =>
      query.groupBy === "day"
        ? String(a.key).localeCompare(String(b.key))
        : b.calls - a.calls || String(a.key).localeCompare(String(b.key)),
    );
    return c.json(
      { from: from.toISOString(), to: to.toISOString(), groupBy: query.groupBy, totals: figures(totals), groups: list },
      200,
    );
  });
}
