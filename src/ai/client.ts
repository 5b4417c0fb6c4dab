import { OpenAI } from "openai/client";
import type { Env } from "@/platform/env";

const DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1";

/** How to reach an OpenAI-compatible server: OpenAI itself, a gateway, a local model server. */
export type ModelConnection = { apiKey: string; baseUrl?: string };

/**
 * A client for one request or job, never shared. Retries are the job system's (honouring
 * Retry-After), never the SDK's inside a request; every call has the deployment's timeout.
 */
export function openaiClient(env: Env, connection: ModelConnection): OpenAI {
  return new OpenAI({
    apiKey: connection.apiKey,
    baseURL: connection.baseUrl ?? DEFAULT_OPENAI_BASE_URL,
    maxRetries: 0,
    timeout: env.OPENAI_TIMEOUT_SECONDS * 1000,
  });
}
