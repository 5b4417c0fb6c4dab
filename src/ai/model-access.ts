import type { OpenAIConfig } from "@/integrations/providers/openai";
import { integrationSettings } from "@/integrations/service";
import type { Executor } from "@/platform/db";
import type { Env } from "@/platform/env";
import type { ModelConnection } from "./client";

/** How an organization reaches a model: its own openai integration, else the deployment's key; null when neither. */
export async function modelConnection(db: Executor, env: Env, organizationId: string): Promise<ModelConnection | null> {
  const found = await integrationSettings<OpenAIConfig>(db, env, organizationId, "openai");
  return found ? { apiKey: found.settings.apiKey, baseUrl: found.settings.baseUrl } : null;
}
