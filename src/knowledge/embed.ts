import { type ModelConnection, openaiClient } from "@/ai/client";
import { modelJobError } from "@/ai/errors";
import { readAiSettings } from "@/ai/settings";
import { recordUsage } from "@/ai/usage/record";
import type { Services } from "@/platform/services";
import { normalize } from "./vector";

/** OpenAI takes up to 2,048 inputs a request; fewer keeps one request well inside the timeout. */
const BATCH = 128;

/**
 * Embeddings of `input` through `/embeddings`, unit length, in input order; one usage row (purpose
 * embed) per request. Failures are job errors (429/5xx retried later, honouring Retry-After).
 */
export async function embedTexts(
  services: Services,
  connection: ModelConnection,
  call: { organizationId: string; ticketId?: string | null; agentId?: string | null; model: string; input: string[] },
): Promise<Float32Array[]> {
  const client = openaiClient(services.env, connection);
  const { prices } = await readAiSettings(services.db, call.organizationId);
  const vectors: Float32Array[] = [];
  for (let start = 0; start < call.input.length; start += BATCH) {
    const input = call.input.slice(start, start + BATCH);
    let answer: Awaited<ReturnType<typeof client.embeddings.create>>;
    try {
      answer = await client.embeddings.create({ model: call.model, input });
    } catch (error) {
      throw modelJobError(error);
    }
    await recordUsage(
      services.db,
      {
        organizationId: call.organizationId,
        ticketId: call.ticketId,
        agentId: call.agentId,
        purpose: "embed",
        model: call.model,
        promptTokens: answer.usage?.prompt_tokens ?? 0,
        completionTokens: 0,
      },
      prices,
    );
    const ordered = [...answer.data].sort((a, b) => a.index - b.index);
    if (ordered.length !== input.length) {
      throw modelJobError(new Error(`asked ${input.length} embeddings, got ${ordered.length}`));
    }
    for (const item of ordered) vectors.push(normalize(item.embedding));
  }
  return vectors;
}
