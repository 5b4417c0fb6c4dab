// The reply loop on QStash: each inbound message's ai.reply is published with a delay (the quiet
// period) and deduplicated by job id; a burst still makes one model call and one reply.
import { describe, expect, it } from "vitest";
import { aiJobs, botConversation, botMessages } from "../support/ai";
import { qstashEnv } from "../support/env";
import { call } from "../support/http";
import { type QStashMessage, qstashMessages } from "../support/provider";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("AI replies through QStash", () => {
  it("publishes each message's reply job delayed by the quiet period, and answers the burst once", async () => {
    const bot = await botConversation({ agent: { debounceSeconds: 1 }, env: qstashEnv() });
    await bot.model.script([{ reply: "Olá! Temos sim." }]);
    for (const text of ["oi", "vocês têm o modelo X?", "em azul"]) expect((await bot.send(text)).status).toBe(200);
    const jobs = await aiJobs(bot.tenant.organizationId);
    expect(jobs.map((j) => j.status)).toEqual(["published", "published", "published"]);
    const published = (await qstashMessages("http://localhost:8787/jobs/ai.reply")).filter((m) =>
      jobs.some((j) => j.id === JSON.parse(m.body).jobId),
    );
    expect(published).toHaveLength(3);
    for (const message of published) {
      expect(message.headers["upstash-delay"]).toBe("1s");
      expect(message.deduplicationId).toBe(JSON.parse(message.body).jobId);
    }
    expect(await bot.model.requests()).toHaveLength(0);

    await sleep(1100);
    const deliver = (message: QStashMessage) =>
      call(new URL(message.url).pathname, {
        env: bot.env,
        method: "POST",
        body: message.body,
        headers: { "content-type": "application/json", "upstash-signature": message.signature },
      });
    for (const message of published) expect((await deliver(message)).status).toBe(200);
    const requests = await bot.model.requests();
    expect(requests).toHaveLength(1);
    expect(requests[0]?.messages.slice(-3).map((m) => m.content)).toEqual(["oi", "vocês têm o modelo X?", "em azul"]);
    const ticketId = await bot.ticketId();
    expect((await botMessages(ticketId)).map((m) => [m.body, m.status])).toEqual([["Olá! Temos sim.", "queued"]]);
    // QStash delivers at least once: a redelivery changes nothing.
    const again = await deliver(published[2] as QStashMessage);
    expect(again.body).toMatchObject({ duplicate: true, status: "done" });
    expect(await bot.model.requests()).toHaveLength(1);
  });
});
