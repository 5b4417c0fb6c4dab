// The default answers of the loopback OpenAI-compatible fake (served by fakes.ts under /openai/).
// A test owns a scope (/openai/<scope>/v1/...) and scripts answers for it through /__script;
// unscripted calls get these. Shaped like OpenAI's answers, so the real SDK parses them.

/** What an unscripted chat completion answers, and the tokens it reports. */
export const DEFAULT_MODEL_REPLY = { reply: "Olá! Como posso ajudar?", action: "reply", lead: null };
export const DEFAULT_USAGE = { prompt_tokens: 120, completion_tokens: 30 };

/** What an unscripted transcription answers (whisper-1 style: billed by the second). */
export const DEFAULT_TRANSCRIPT = { text: "Olá, queria saber o preço do modelo X.", seconds: 7 };

export function transcription(text: string, seconds: number) {
  return { text, usage: { type: "duration", seconds } };
}

/** Dimensions of the fake's embeddings (text-embedding-3-small has 1536; fewer keep tests fast). */
export const FAKE_EMBEDDING_DIMENSIONS = 256;

function fnv1a(word: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** The words the fake embeds: lower case, accents dropped, four letters or more, a plural's s dropped. */
export function embeddingWords(text: string): string[] {
  return (
    text
      .normalize("NFD")
      .replace(/\p{M}/gu, "")
      .toLowerCase()
      .match(/[a-z0-9]{4,}/g) ?? []
  ).map((w) => (w.endsWith("s") ? w.slice(0, -1) : w));
}

/**
 * A deterministic embedding: each word adds ±1 to the dimension its hash picks (sign from the hash
 * too), so texts sharing words are close and texts without any in common are near orthogonal.
 */
export function fakeEmbedding(text: string, dimensions = FAKE_EMBEDDING_DIMENSIONS): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of embeddingWords(text)) {
    const hash = fnv1a(word);
    vector[hash % dimensions] = (vector[hash % dimensions] ?? 0) + (hash & 0x80000000 ? -1 : 1);
  }
  return vector;
}

function embeddings(body: string) {
  const request = JSON.parse(body || "{}") as {
    model?: string;
    input?: string | string[];
    encoding_format?: string;
    dimensions?: number;
  };
  const inputs = Array.isArray(request.input) ? request.input : [request.input ?? ""];
  const tokens = inputs.reduce((sum, text) => sum + Math.max(1, text.split(/\s+/).filter(Boolean).length), 0);
  return {
    object: "list",
    model: request.model ?? "text-embedding-3-small",
    data: inputs.map((text, index) => {
      const vector = fakeEmbedding(text, request.dimensions ?? FAKE_EMBEDDING_DIMENSIONS);
      const embedding =
        request.encoding_format === "base64" ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector;
      return { object: "embedding", index, embedding };
    }),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/** An API key the fake refuses (401), echoing it in the message the way OpenAI does. */
export const REFUSED_KEY = "sk-refused-by-the-fake";

export function chatCompletion(
  model: string,
  content: string,
  usage: { prompt_tokens: number; completion_tokens: number } = DEFAULT_USAGE,
) {
  return {
    id: `chatcmpl-fake${Date.now().toString(36)}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      { index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop", logprobs: null },
    ],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

export function openaiAnswer(
  path: string,
  body: string,
  headers: Record<string, string>,
): { status: number; body: unknown } {
  if (headers.authorization === `Bearer ${REFUSED_KEY}`) {
    return {
      status: 401,
      body: {
        error: {
          message: `Incorrect API key provided: ${REFUSED_KEY}.`,
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      },
    };
  }
  if (path.endsWith("/models")) {
    return {
      status: 200,
      body: { object: "list", data: [{ id: "gpt-4o-mini", object: "model", created: 1, owned_by: "fake" }] },
    };
  }
  if (path.endsWith("/chat/completions")) {
    const model = (JSON.parse(body || "{}") as { model?: string }).model ?? "gpt-4o-mini";
    return { status: 200, body: chatCompletion(model, JSON.stringify(DEFAULT_MODEL_REPLY)) };
  }
  if (path.endsWith("/embeddings")) return { status: 200, body: embeddings(body) };
  if (path.endsWith("/audio/transcriptions")) {
    return { status: 200, body: transcription(DEFAULT_TRANSCRIPT.text, DEFAULT_TRANSCRIPT.seconds) };
  }
  return { status: 404, body: { error: { message: `no fake for ${path}`, type: "invalid_request_error" } } };
}
