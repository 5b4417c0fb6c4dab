// Loopback fakes of the provider APIs (Meta Graph, Z-API, BuilderBot, Twilio, TaskRouter, Telegram, QStash,
// an OpenAI-compatible model server under /openai/<scope>/v1, see openai-fake.ts).
// One HTTP server; each provider under its own path prefix. Every request is recorded, and a
// test can queue canned answers (429 with Retry-After, 500, a slow answer) for a path prefix.
// Tests scope everything by a prefix they own (a unique phone number id, instance, bot token),
// so test files running in parallel never see each other's traffic.
//
// Control API (used from inside workerd over loopback):
//   GET  /__requests?prefix=/meta/v21.0/123/   recorded requests under that prefix
//   POST /__script {prefix, responses: [{status, body?, headers?, delayMs?}]}  next answers
//   GET  /__qstash/messages?url=<destination prefix>  published messages, each with a real
//        HS256 Upstash-Signature for its destination (the test delivers them itself)
//   POST /__qstash/faults {url, match, rate, seed, acceptedShare?}  from now on a seeded `rate` of
//        publishes to destinations under `url` whose body contains `match` answer 500; a share
//        `acceptedShare` of those failures is taken (and delivered) first, as when only the answer
//        was lost. `rate: 0` removes the fault. GET /__qstash/faults?url=&match= → {failed, accepted}
import { createHash, createHmac, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { crmAnswer } from "./crm-fake";
import { prng as seeded } from "./fuzz";
import { openaiAnswer } from "./openai-fake";

export const QSTASH_TEST_KEYS = {
  current: "sig_test_current_signing_key_0123456789",
  next: "sig_test_next_signing_key_9876543210",
};

type Recorded = { method: string; path: string; headers: Record<string, string>; body: string; at: number };
type Scripted = { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number };
type Published = {
  messageId: string;
  url: string;
  body: string;
  headers: Record<string, string>;
  deduplicationId?: string;
};

type PublishFault = {
  url: string;
  match: string;
  rate: number;
  acceptedShare: number;
  random: () => number;
  failed: number;
  accepted: number;
};

const b64url = (buf: Buffer) => buf.toString("base64url");

/** A QStash-style delivery signature: an HS256 JWT over the destination URL and body hash. */
export function qstashSignature(key: string, url: string, body: string, now = Math.floor(Date.now() / 1000)): string {
  const header = b64url(Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })));
  const payload = b64url(
    Buffer.from(
      JSON.stringify({
        iss: "Upstash",
        sub: url,
        exp: now + 300,
        nbf: now,
        iat: now,
        jti: randomUUID(),
        body: b64url(createHash("sha256").update(body).digest()),
      }),
    ),
  );
  const signature = b64url(createHmac("sha256", key).update(`${header}.${payload}`).digest());
  return `${header}.${payload}.${signature}`;
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": typeof body === "string" ? "text/plain" : "application/json", ...headers });
  res.end(text);
}

let counter = 0;
const nextId = (prefix: string) => `${prefix}${Date.now().toString(36)}${(++counter).toString(36)}`;

/** The default (successful) answer of each provider API, shaped like the real one. */
function providerAnswer(path: string, body: string): { status: number; body: unknown } {
  if (path.startsWith("/meta/")) {
    return {
      status: 200,
      body: {
        messaging_product: "whatsapp",
        contacts: [{ input: "x", wa_id: "x" }],
        messages: [{ id: nextId("wamid.FAKE") }],
      },
    };
  }
  if (path.startsWith("/zapi/")) {
    const id = nextId("3EB0FAKE");
    return { status: 200, body: { zaapId: id, messageId: id, id } };
  }
  if (path.startsWith("/builderbot/")) return { status: 200, body: { status: "ok", id: nextId("bb_") } };
  if (path.startsWith("/twilio/")) {
    const params = new URLSearchParams(body);
    return {
      status: 201,
      // The Calls API answers a Call resource (CA + 32 hex digits, as Twilio's webhooks then
      // carry it), the Messages API a Message (SM...).
      body: {
        sid: path.endsWith("/Calls.json") ? `CA${randomUUID().replaceAll("-", "")}` : nextId("SMfake"),
        status: "queued",
        to: params.get("To"),
        from: params.get("From"),
      },
    };
  }
  // TaskRouter's reservation update: the reservation as it now stands.
  if (path.startsWith("/taskrouter/")) {
    const params = new URLSearchParams(body);
    return {
      status: 200,
      body: { sid: path.split("/").pop(), reservation_status: params.get("ReservationStatus") ?? "pending" },
    };
  }
  if (path.startsWith("/telegram/")) {
    return { status: 200, body: { ok: true, result: { message_id: ++counter, date: Math.floor(Date.now() / 1000) } } };
  }
  // A customer's endpoint receiving Switchboard's events webhook.
  if (path.startsWith("/events/")) return { status: 200, body: { received: true } };
  return { status: 404, body: { error: `no fake for ${path}` } };
}

export async function startFakes(): Promise<{ url: string; close(): Promise<void> }> {
  const recorded: Recorded[] = [];
  const scripts = new Map<string, Scripted[]>();
  const published: Published[] = [];
  const dedupe = new Map<string, string>();
  const publishFaults = new Map<string, PublishFault>();
  const faultKey = (url: string, match: string) => `${url}\n${match}`;

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const body = await read(req);
    const path = url.pathname;

    if (path === "/__requests") {
      const prefix = url.searchParams.get("prefix") ?? "/";
      return send(
        res,
        200,
        recorded.filter((r) => r.path.startsWith(prefix)),
      );
    }
    if (path === "/__script" && req.method === "POST") {
      const { prefix, responses } = JSON.parse(body) as { prefix: string; responses: Scripted[] };
      scripts.set(prefix, [...(scripts.get(prefix) ?? []), ...responses]);
      return send(res, 204, "");
    }
    if (path === "/__qstash/messages") {
      const prefix = url.searchParams.get("url") ?? "";
      const key = url.searchParams.get("key") === "next" ? QSTASH_TEST_KEYS.next : QSTASH_TEST_KEYS.current;
      return send(
        res,
        200,
        published
          .filter((m) => m.url.startsWith(prefix))
          .map((m) => ({ ...m, signature: qstashSignature(key, m.url, m.body) })),
      );
    }

    if (path === "/__qstash/faults") {
      if (req.method === "POST") {
        const spec = JSON.parse(body) as {
          url: string;
          match: string;
          rate: number;
          seed: number;
          acceptedShare?: number;
        };
        const key = faultKey(spec.url, spec.match);
        if (!spec.rate) publishFaults.delete(key);
        else
          publishFaults.set(key, {
            url: spec.url,
            match: spec.match,
            rate: spec.rate,
            acceptedShare: spec.acceptedShare ?? 0,
            random: seeded(spec.seed),
            failed: 0,
            accepted: 0,
          });
        return send(res, 204, "");
      }
      const fault = publishFaults.get(faultKey(url.searchParams.get("url") ?? "", url.searchParams.get("match") ?? ""));
      return send(res, 200, { failed: fault?.failed ?? 0, accepted: fault?.accepted ?? 0 });
    }

    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    recorded.push({ method: req.method ?? "GET", path: `${path}${url.search}`, headers, body, at: Date.now() });

    for (const [prefix, queue] of scripts) {
      if (!path.startsWith(prefix) || queue.length === 0) continue;
      const next = queue.shift() as Scripted;
      if (next.delayMs) await new Promise((r) => setTimeout(r, next.delayMs));
      return send(res, next.status, next.body ?? {}, next.headers);
    }

    if (path.startsWith("/qstash/v2/publish/")) {
      if (req.headers.authorization !== "Bearer qstash-test-token") return send(res, 401, { error: "invalid token" });
      const destination = decodeURIComponent(path.slice("/qstash/v2/publish/".length));
      const fault = [...publishFaults.values()].find((f) => destination.startsWith(f.url) && body.includes(f.match));
      const failing = fault !== undefined && fault.random() < fault.rate;
      const acceptedFirst = failing && fault.random() < fault.acceptedShare;
      if (failing) fault.failed += 1;
      if (failing && !acceptedFirst) return send(res, 500, { error: "injected publish failure" });
      if (acceptedFirst) fault.accepted += 1;
      const lostAnswer = acceptedFirst ? { status: 500, body: { error: "injected: taken, answer lost" } } : undefined;
      const deduplicationId = req.headers["upstash-deduplication-id"] as string | undefined;
      const seen = deduplicationId ? dedupe.get(deduplicationId) : undefined;
      if (seen)
        return send(res, lostAnswer?.status ?? 201, lostAnswer?.body ?? { messageId: seen, deduplicated: true });
      const messageId = nextId("msg_");
      if (deduplicationId) dedupe.set(deduplicationId, messageId);
      published.push({ messageId, url: destination, body, headers, deduplicationId });
      return send(res, lostAnswer?.status ?? 201, lostAnswer?.body ?? { messageId });
    }

    const crm = crmAnswer(path, req.method ?? "GET", headers);
    if (crm) return send(res, crm.status, crm.body);
    const answer = path.startsWith("/openai/") ? openaiAnswer(path, body, headers) : providerAnswer(path, body);
    return send(res, answer.status, answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
