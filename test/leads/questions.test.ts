// Technical questions: asked by the bot (its `lead.technicalQuestion`), listed for the engineers,
// answered through the API, and carried into the ticket's next reply.
import { describe, expect, it } from "vitest";
import { botConversation } from "../support/ai";
import { createTenant } from "../support/fixtures";
import { call } from "../support/http";

describe("technical questions", () => {
  it("asked -> listed (once per ticket) -> answered -> the next reply's prompt holds the answer", async () => {
    const bot = await botConversation();
    await bot.model.script([
      { reply: "Vou confirmar com a engenharia.", lead: { technicalQuestion: "Qual a voltagem da FBM100?" } },
      { reply: "Ainda estou verificando.", lead: { technicalQuestion: "qual a  voltagem da FBM100" } },
      { reply: "A FBM100 funciona em 220 V trifásico." },
    ]);
    await bot.send("qual a voltagem da FBM100?");
    await bot.send("alguma novidade?");
    const ticketId = await bot.ticketId();
    const token = bot.tenant.token;

    const open = await call("/api/technical-questions", { token });
    expect(open.status, open.text).toBe(200);
    expect(open.body.data, open.text).toHaveLength(1);
    const [question] = open.body.data;
    expect(question).toMatchObject({ question: "Qual a voltagem da FBM100?", status: "open", ticketId, answer: null });
    expect(question.leadId).toEqual(expect.any(String));

    // Another organization neither sees nor answers it.
    const stranger = await createTenant();
    expect((await call("/api/technical-questions", { token: stranger.token })).body.data).toEqual([]);
    const foreign = await call(`/api/technical-questions/${question.id}/answer`, {
      token: stranger.token,
      json: { answer: "110 V" },
    });
    expect(foreign.status, foreign.text).toBe(404);
    expect(foreign.headers.get("content-type")).toContain("application/problem+json");

    const empty = await call(`/api/technical-questions/${question.id}/answer`, { token, json: { answer: "  " } });
    expect(empty.status, empty.text).toBe(400);

    const answered = await call(`/api/technical-questions/${question.id}/answer`, {
      token,
      json: { answer: "220 V trifásico, 60 Hz." },
    });
    expect(answered.status, answered.text).toBe(200);
    expect(answered.body).toMatchObject({
      status: "answered",
      answer: "220 V trifásico, 60 Hz.",
      answeredBy: bot.tenant.userId,
      answeredAt: expect.any(String),
    });
    expect((await call("/api/technical-questions", { token })).body.data).toEqual([]);
    const done = await call("/api/technical-questions?status=answered", { token });
    expect(done.body.data.map((q: { id: string }) => q.id)).toEqual([question.id]);

    await bot.send("e então?");
    const requests = await bot.model.requests();
    expect(requests).toHaveLength(3);
    const system = (n: number) =>
      (requests[n]?.messages ?? [])
        .filter((m) => m.role === "system")
        .map((m) => m.content)
        .join("\n");
    expect(system(1)).not.toContain("220 V trifásico");
    expect(system(2)).toContain("Q: Qual a voltagem da FBM100?\nA: 220 V trifásico, 60 Hz.");
  });
});
