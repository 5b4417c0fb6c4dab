import { zodResponseFormat } from "openai/helpers/zod";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type * as z from "zod";
import type { UsagePurpose } from "@/db/schema";
import type { Services } from "@/platform/services";
import { cleanDeep } from "@/platform/text";
import { type ModelConnection, openaiClient } from "./client";
import { modelJobError } from "./errors";
import { readAiSettings } from "./settings";
import { recordUsage } from "./usage/record";

export type StructuredCall<S extends z.ZodType> = {
  organizationId: string;
  ticketId?: string | null;
  agentId?: string | null;
  purpose: UsagePurpose;
  model: string;
  temperature?: number | null;
  messages: ChatCompletionMessageParam[];
  schema: S;
  schemaName: string;
};

/**
 * One Chat Completions call with a structured output (the zod schema as `response_format:
 * json_schema`). Every answered call is a usage row, parsed or not; failures come out as job
 * errors (retry later, or give up).
 */
export async function structuredCall<S extends z.ZodType>(
  services: Services,
  connection: ModelConnection,
  call: StructuredCall<S>,
): Promise<{ output: z.infer<S>; costUsd: number }> {
  const { db, env } = services;
  let completion: Awaited<ReturnType<ReturnType<typeof openaiClient>["chat"]["completions"]["parse"]>>;
  try {
    completion = await openaiClient(env, connection).chat.completions.parse({
      model: call.model,
      messages: call.messages,
      ...(call.temperature != null ? { temperature: call.temperature } : {}),
      response_format: zodResponseFormat(call.schema, call.schemaName),
    });
  } catch (error) {
    throw modelJobError(error);
  }
  const { prices } = await readAiSettings(db, call.organizationId);
  const costUsd = await recordUsage(
    db,
    {
      organizationId: call.organizationId,
      ticketId: call.ticketId,
      agentId: call.agentId,
      purpose: call.purpose,
      model: call.model,
      promptTokens: completion.usage?.prompt_tokens ?? 0,
      completionTokens: completion.usage?.completion_tokens ?? 0,
    },
    prices,
  );
  const parsed = completion.choices[0]?.message.parsed;
  if (parsed == null) throw modelJobError(new Error("no structured output (a refusal or an empty answer)"));
  // Model output is untrusted text on its way to SQL: PostgreSQL refuses NUL and lone surrogates.
  return { output: cleanDeep(parsed) as z.infer<S>, costUsd };
}
