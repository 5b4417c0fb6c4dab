// Retell's REST API (docs.retellai.com/api-references), through providerFetch: a timeout on every
// call, 429/5xx retried in place when the wait is short, otherwise a retryable ProviderError. The
// shapes are retell-sdk's (its types only: the SDK client itself stays out of the bundle).
import type { AgentCreateParams } from "retell-sdk/resources/agent";
import type { LlmCreateParams } from "retell-sdk/resources/llm";
import * as z from "zod";
import { describeWith, ProviderError, providerFetch, readAnswer } from "@/channels/http";
import type { Env } from "@/platform/env";

export const DEFAULT_RETELL_API_URL = "https://api.retellai.com";

/** Where and as whom to call Retell: the deployment's base URL, a channel's API key. */
export type RetellApi = { baseUrl: string; apiKey: string; fetch: typeof fetch; timeoutMs?: number };

export function retellApi(env: Pick<Env, "RETELL_API_URL">, apiKey: string, fetcher: typeof fetch = fetch): RetellApi {
  return { baseUrl: (env.RETELL_API_URL ?? DEFAULT_RETELL_API_URL).replace(/\/+$/, ""), apiKey, fetch: fetcher };
}

const errorAnswer = z
  .looseObject({ message: z.string().optional(), error_message: z.string().optional(), error: z.string().optional() })
  .transform((e) => ({ message: e.message ?? e.error_message ?? e.error }));

/**
 * One request to Retell: bearer key, JSON both ways. With `schema`, the 2xx answer is read through
 * it, and an answer that does not fit is a final ProviderError (`unreadable_answer`): the request
 * was taken, so repeating it could do it twice. Without `schema`, the answer is discarded.
 */
export async function retellRequest<T = undefined>(
  api: RetellApi,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  options: { body?: unknown; schema?: z.ZodType<T> } = {},
): Promise<T> {
  const response = await providerFetch(
    api.fetch,
    `${api.baseUrl}${path}`,
    {
      method,
      headers: {
        authorization: `Bearer ${api.apiKey}`,
        accept: "application/json",
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    },
    { describe: describeWith(errorAnswer), timeoutMs: api.timeoutMs },
  );
  if (!options.schema) {
    await response.body?.cancel();
    return undefined as T;
  }
  const text = await response.text();
  const answer = readAnswer(text, options.schema);
  if (answer === undefined) {
    throw new ProviderError(`Retell answered ${method} ${path} with an unreadable body: ${text.slice(0, 200)}`, {
      status: response.status,
      retryable: false,
      code: "unreadable_answer",
    });
  }
  return answer;
}

const id = (value: string) => encodeURIComponent(value);

const llmAnswer = z.looseObject({
  llm_id: z.string().min(1),
  general_prompt: z.string().nullish(),
  begin_message: z.string().nullish(),
  model: z.string().nullish(),
  model_temperature: z.number().nullish(),
});
export type RetellLlm = z.infer<typeof llmAnswer>;

const agentAnswer = z.looseObject({
  agent_id: z.string().min(1),
  agent_name: z.string().nullish(),
  voice_id: z.string(),
  language: z.string().nullish(),
  webhook_url: z.string().nullish(),
  response_engine: z.looseObject({ type: z.string(), llm_id: z.string().nullish() }),
});
export type RetellAgent = z.infer<typeof agentAnswer>;

// The request bodies are checked against the SDK's own parameter types at compile time.
type LlmBody = Pick<LlmCreateParams, "general_prompt" | "begin_message" | "model_temperature"> & { model?: string };
type AgentBody = Pick<AgentCreateParams, "response_engine" | "voice_id" | "agent_name" | "webhook_url"> & {
  language?: string;
};

/** POST /create-retell-llm: the response engine an agent needs (prompt, first message, model). */
export const createRetellLlm = (api: RetellApi, body: LlmBody) =>
  retellRequest(api, "POST", "/create-retell-llm", { body, schema: llmAnswer });

export const getRetellLlm = (api: RetellApi, llmId: string) =>
  retellRequest(api, "GET", `/get-retell-llm/${id(llmId)}`, { schema: llmAnswer });

export const deleteRetellLlm = (api: RetellApi, llmId: string) =>
  retellRequest(api, "DELETE", `/delete-retell-llm/${id(llmId)}`);

/** POST /create-agent: the voice agent, answering with the given response engine. */
export const createRetellAgent = (api: RetellApi, body: AgentBody) =>
  retellRequest(api, "POST", "/create-agent", { body, schema: agentAnswer });

export const getRetellAgent = (api: RetellApi, agentId: string) =>
  retellRequest(api, "GET", `/get-agent/${id(agentId)}`, { schema: agentAnswer });

export const deleteRetellAgent = (api: RetellApi, agentId: string) =>
  retellRequest(api, "DELETE", `/delete-agent/${id(agentId)}`);
