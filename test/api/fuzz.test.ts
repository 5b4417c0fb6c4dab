// Issue 8's drill for the public API: every write route found in the OpenAPI document, given
// seeded mutations of bodies generated from its own schema, answers 2xx or 4xx, never 5xx.
// DRILL_SEED (or FUZZ_SEED) replays a run; FUZZ_CASES sets the bodies per route.
import { describe, expect, inject, it } from "vitest";
import { reportDrill } from "../drills/report";
import { call } from "../support/http";
import { conversation } from "../support/scenario";
import { type Components, mutate, sample, seeded } from "../support/schema-sample";

type Operation = { requestBody?: { content?: Record<string, { schema?: object }> } };
type Document = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Components } };

const { seed, fuzzCases } = inject("drill");
// A twentieth of the webhook drill's bodies per route: the API has about forty write routes.
const cases = fuzzCases ? Math.max(12, Math.ceil(fuzzCases / 20)) : 12;

describe("API fuzz drill", () => {
  it(`answers every mutated write with 2xx or 4xx (seed ${seed}, ${cases} bodies per route)`, async (context) => {
    const { tenant, channel, ticket } = await conversation();
    const doc = (await call<Document>("/api/openapi.json")).body;
    const components = doc.components?.schemas ?? {};
    const contact = await call("/api/contacts", {
      token: tenant.token,
      json: { name: "Fuzz", phone: "+5511955554444" },
    });
    const queue = await call("/api/queues", { token: tenant.token, json: { name: "Fuzz queue" } });
    const tag = await call("/api/tags", { token: tenant.token, json: { name: "fuzz" } });
    const key = await call("/api/api-keys", { token: tenant.token, json: { name: "fuzz" } });
    // Real ids where a route names one, so bodies reach the handlers and not only the 404.
    const ids: Record<string, string | undefined> = {
      agents: tenant.userId,
      "api-keys": key.body.id,
      channels: channel.id,
      contacts: contact.body.id,
      queues: queue.body.id,
      tags: tag.body.id,
      tickets: ticket.id,
      users: tenant.userId,
    };
    const random = seeded(seed);
    const failures: string[] = [];
    const answers = { "2xx": 0, "4xx": 0, "5xx": 0 };
    let sent = 0;
    for (const [template, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (!["post", "put", "patch"].includes(method)) continue;
        const schema = operation.requestBody?.content?.["application/json"]?.schema;
        const path = template
          .replace("{id}", ids[template.split("/")[2] ?? ""] ?? crypto.randomUUID())
          .replace("{userId}", tenant.userId);
        for (let i = 0; i < cases; i++) {
          const valid = schema ? sample(schema, components, random) : {};
          // The valid sample, then an empty object (a PATCH that changes nothing), then mutations.
          const body = i === 0 ? valid : i === 1 ? {} : mutate(valid, random);
          // Another tenant's admin logs in and registers: keep the fuzz's own session usable.
          const token = template.startsWith("/api/auth/") ? undefined : tenant.token;
          const res = await call(path, { method: method.toUpperCase(), token, json: body });
          sent += 1;
          answers[res.status >= 500 ? "5xx" : res.status >= 400 ? "4xx" : "2xx"] += 1;
          if (res.status >= 500)
            failures.push(
              `${method.toUpperCase()} ${template} -> ${res.status} ${res.text.slice(0, 300)} body=${JSON.stringify(body).slice(0, 300)}`,
            );
          else if (res.status >= 400)
            expect(res.headers.get("content-type"), res.text).toContain("application/problem+json");
        }
      }
    }
    reportDrill(context, { drill: "API fuzz (write routes)", cases: sent, ...answers, lost: 0, doubled: 0 });
    expect(sent).toBeGreaterThan(20 * Math.min(cases, 1));
    expect(failures, `replay with DRILL_SEED=${seed}\n${failures.join("\n")}`).toEqual([]);
  }, 600_000);
});
