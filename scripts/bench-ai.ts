// npm run bench (its AI part; alone: node scripts/bench-ai.ts): what the AI agent adds, measured
// against figures of the same run.
//
//   reply overhead   a signed Meta webhook from a new customer on a channel an AI agent covers, to
//                    the moment the model server receives the chat completion (the fake answers at
//                    once), next to the same webhook's answer time on a channel without an agent
//   retrieval        POST /api/knowledge/search, top-5 over 10,000 passages of 1,536 dimensions
//                    (sign-bit shortlist in SQL, exact cosine rescoring in the Worker), next to a
//                    brute-force scan of the same vectors in plain TypeScript: in memory, and
//                    after reading them all from Postgres, as a Worker would have to
//
// The gateway runs under `wrangler dev` on a fresh database of the machine's PostgreSQL
// (BENCH_DATABASE_URL); the model server is a loopback fake in this process. Embeddings are
// synthetic: 200 topics, each passage its topic's direction plus noise, a direction shared by all.
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { dot, normalize, signBits, toBytes } from "../src/knowledge/vector.ts";
import { benchDatabase, benchOrganization, metaWebhook, startGateway } from "./bench-support.ts";

const replies = Number(process.env.BENCH_AI_REPLIES ?? 60);
const chunkCount = Number(process.env.BENCH_KNOWLEDGE_CHUNKS ?? 10_000);
const dimensions = 1536;
const queries = Number(process.env.BENCH_KNOWLEDGE_QUERIES ?? 100);

function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(20261202);
const gauss = () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
const gaussVector = () => Float64Array.from({ length: dimensions }, gauss);
const shared = gaussVector();
const topics = Array.from({ length: 200 }, gaussVector);
const near = (topic: Float64Array, noise: number) =>
  normalize(
    Array.from({ length: dimensions }, (_, i) => 0.6 * (shared[i] as number) + (topic[i] as number) + noise * gauss()),
  );

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const ms = (v: number) => `${v.toFixed(1).padStart(7)} ms`;

// The model server: chat completions answered at once (their arrival noted by the message's
// marker), embeddings of "q:<i>" answered with query i's vector.
const arrivals = new Map<string, (at: number) => void>();
const queryVectors: Float32Array[] = [];
const fake = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => {
    body += c;
  });
  req.on("end", () => {
    const at = performance.now();
    const json = JSON.parse(body || "{}");
    res.setHeader("content-type", "application/json");
    if (req.url?.endsWith("/chat/completions")) {
      const text = JSON.stringify(json.messages ?? []);
      for (const [marker, resolve] of arrivals) if (text.includes(marker)) resolve(at);
      const content = JSON.stringify({ reply: "Olá!", action: "reply", lead: null });
      res.end(
        JSON.stringify({
          id: "chatcmpl-bench",
          object: "chat.completion",
          created: 1,
          model: json.model,
          choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop" }],
          usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
        }),
      );
      return;
    }
    if (req.url?.endsWith("/embeddings")) {
      const inputs: string[] = Array.isArray(json.input) ? json.input : [json.input];
      const data = inputs.map((text, index) => {
        const vector = queryVectors[Number(/^q:(\d+)$/.exec(text)?.[1] ?? 0)] ?? new Float32Array(dimensions);
        const embedding =
          json.encoding_format === "base64" ? Buffer.from(vector.buffer).toString("base64") : Array.from(vector);
        return { object: "embedding", index, embedding };
      });
      res.end(
        JSON.stringify({ object: "list", model: json.model, data, usage: { prompt_tokens: 3, total_tokens: 3 } }),
      );
      return;
    }
    res.statusCode = 404;
    res.end("{}");
  });
});
await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
const fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/v1`;

const customerMessage = (phoneNumberId: string, appSecret: string, from: string, text: string) =>
  metaWebhook({ phoneNumberId, appSecret, from, id: `wamid.${randomBytes(8).toString("hex")}`, text });

const database = await benchDatabase("switchboard_bench_ai");
const started = await startGateway(database.url, {
  OPENAI_API_KEY: "sk-bench",
  OPENAI_BASE_URL: fakeUrl,
  SANDBOX: "true",
});
const gateway = started.url;
const db = new pg.Client({ connectionString: database.url });
await db.connect();
try {
  const plain = await benchOrganization(gateway, "Ingest", "200300400");
  const bot = await benchOrganization(gateway, "Bot", "300400500");
  const agent = await fetch(`${gateway}/api/ai/agents`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${bot.token}` },
    body: JSON.stringify({
      name: "Sofia",
      instructions: "Responda sobre os produtos da Acme.",
      channelIds: [bot.channelId],
      debounceSeconds: 0,
      knowledge: false,
    }),
  });
  if (agent.status !== 201) throw new Error(`agent: ${agent.status} ${await agent.text()}`);

  // Reply overhead, one message at a time, alternating the two channels; a new customer each.
  const ingest: number[] = [];
  const toModel: number[] = [];
  const botAnswer: number[] = [];
  for (let i = 0; i < replies + 5; i++) {
    const from = (base: number) => `55${base}9${String(10_000_000 + i).padStart(8, "0")}`;
    const a = customerMessage("200300400", plain.appSecret, from(11), `mensagem ${i}`);
    let t0 = performance.now();
    const r1 = await fetch(`${gateway}/webhooks/meta/${plain.channelId}`, { method: "POST", ...a });
    await r1.text();
    const plainMs = performance.now() - t0;
    const marker = `bench-ai-${i}-${randomBytes(4).toString("hex")}`;
    const arrived = new Promise<number>((resolve, reject) => {
      arrivals.set(marker, resolve);
      setTimeout(() => reject(new Error(`no model request for ${marker} within 15 s`)), 15_000);
    });
    const b = customerMessage("300400500", bot.appSecret, from(21), `Oi, quanto custa? ${marker}`);
    t0 = performance.now();
    const r2 = await fetch(`${gateway}/webhooks/meta/${bot.channelId}`, { method: "POST", ...b });
    await r2.text();
    const answered = performance.now() - t0;
    const at = await arrived;
    arrivals.delete(marker);
    if (i < 5) continue; // warm-up
    ingest.push(plainMs);
    botAnswer.push(answered);
    toModel.push(at - t0);
  }

  // Retrieval: 10,000 passages in 100 articles of the bot's organization, written as the embed job would.
  const articles: string[] = [];
  for (let a = 0; a < chunkCount / 100; a++) {
    const { rows } = await db.query(
      "insert into knowledge_articles (id, organization_id, title, content, content_hash, status, embedded_hash, embedding_model) values (gen_random_uuid(), $1, $2, 'x', 'h', 'embedded', 'h', 'text-embedding-3-small') returning id",
      [bot.organizationId, `Artigo ${a}`],
    );
    articles.push(rows[0].id);
  }
  const stored: { id: string; vector: Float32Array }[] = [];
  for (let start = 0; start < chunkCount; start += 250) {
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (let i = start; i < Math.min(chunkCount, start + 250); i++) {
      const vector = near(topics[i % topics.length] as Float64Array, 1.2);
      const id = crypto.randomUUID();
      stored.push({ id, vector });
      const p = values.length;
      values.push(
        id,
        bot.organizationId,
        articles[Math.floor(i / 100)],
        i % 100,
        `passagem ${i}`,
        dimensions,
        toBytes(vector),
        signBits(vector),
      );
      tuples.push(
        `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}, $${p + 7}, $${p + 8}::bit varying)`,
      );
    }
    await db.query(
      `insert into knowledge_chunks (id, organization_id, article_id, ordinal, content, dimensions, embedding, bits) values ${tuples.join(",")}`,
      values,
    );
  }
  await db.query("vacuum analyze knowledge_chunks");
  for (let q = 0; q < queries; q++) queryVectors.push(near(topics[(q * 7) % topics.length] as Float64Array, 1.6));

  const exactTop = (query: Float32Array) =>
    stored
      .map((s) => ({ id: s.id, score: dot(query, s.vector) }))
      .sort((x, y) => y.score - x.score)
      .slice(0, 5);
  const searchMs: number[] = [];
  const scanMs: number[] = [];
  let hits = 0;
  for (let q = -5; q < queries; q++) {
    const index = Math.max(0, q);
    let t0 = performance.now();
    const response = await fetch(`${gateway}/api/knowledge/search`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${bot.token}` },
      body: JSON.stringify({ query: `q:${index}`, limit: 5 }),
    });
    const found = (await response.json()) as { data: { chunkId: string }[] };
    const elapsed = performance.now() - t0;
    if (!response.ok) throw new Error(`search: ${response.status} ${JSON.stringify(found)}`);
    t0 = performance.now();
    const exact = exactTop(queryVectors[index] as Float32Array);
    const scanned = performance.now() - t0;
    if (q < 0) continue;
    searchMs.push(elapsed);
    scanMs.push(scanned);
    const ids = new Set(found.data.map((d) => d.chunkId));
    hits += exact.filter((e) => ids.has(e.id)).length;
  }
  // What a Worker would pay to scan without the shortlist: every vector read from Postgres first.
  const fetchScanMs: number[] = [];
  for (let q = 0; q < 10; q++) {
    const t0 = performance.now();
    const { rows } = await db.query(
      "select id, embedding from knowledge_chunks where organization_id = $1 and dimensions = $2",
      [bot.organizationId, dimensions],
    );
    const query = queryVectors[q] as Float32Array;
    const scored = rows.map((r: { id: string; embedding: Buffer }) => ({
      id: r.id,
      score: dot(
        query,
        new Float32Array(
          r.embedding.buffer.slice(r.embedding.byteOffset, r.embedding.byteOffset + r.embedding.byteLength),
        ),
      ),
    }));
    scored.sort((x: { score: number }, y: { score: number }) => y.score - x.score);
    fetchScanMs.push(performance.now() - t0);
  }

  console.log("\nAI agent (fake model answering at once; one message at a time, new customer each)");
  console.log(
    `  webhook answer, channel without agent   p50 ${ms(percentile(ingest, 50))}   p99 ${ms(percentile(ingest, 99))}`,
  );
  console.log(
    `  webhook answer, channel with agent      p50 ${ms(percentile(botAnswer, 50))}   p99 ${ms(percentile(botAnswer, 99))}`,
  );
  console.log(
    `  webhook sent -> model request arrives   p50 ${ms(percentile(toModel, 50))}   p99 ${ms(percentile(toModel, 99))}`,
  );
  console.log(
    `  ratio to the ingest figure              ${(percentile(toModel, 50) / percentile(ingest, 50)).toFixed(2)} p50, ${(percentile(toModel, 99) / percentile(ingest, 99)).toFixed(2)} p99   (${replies} replies)`,
  );
  console.log(`knowledge retrieval: top-5 of ${chunkCount} passages, ${dimensions} dimensions, ${queries} queries`);
  console.log(
    `  POST /api/knowledge/search (HTTP, embedding call, SQL shortlist, rescoring)  p50 ${ms(percentile(searchMs, 50))}   p99 ${ms(percentile(searchMs, 99))}`,
  );
  console.log(
    `  brute-force TypeScript scan, vectors already in memory                     p50 ${ms(percentile(scanMs, 50))}   p99 ${ms(percentile(scanMs, 99))}`,
  );
  console.log(
    `  brute-force TypeScript scan after reading every vector from Postgres       p50 ${ms(percentile(fetchScanMs, 50))}   p99 ${ms(percentile(fetchScanMs, 99))}`,
  );
  console.log(
    `  ratio search / in-memory scan ${(percentile(searchMs, 50) / percentile(scanMs, 50)).toFixed(2)}, search / read-and-scan ${(percentile(searchMs, 50) / percentile(fetchScanMs, 50)).toFixed(2)}; recall@5 against the exact scan ${(hits / (queries * 5)).toFixed(3)}`,
  );
} finally {
  await db.end();
  started.child.kill("SIGTERM");
  fake.close();
  await new Promise((r) => setTimeout(r, 1000));
  await database.drop();
}
