import * as z from "zod";
import { describeWith, ProviderError, providerFetch, readAnswer } from "@/channels/http";
import type { IntegrationProvider } from "../types";

const config = z.object({
  apiToken: z.string().trim().min(1).max(500),
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .default("https://api.pipe.run/v1"),
  pipelineId: z.coerce.number().int().positive(),
  stageId: z.coerce.number().int().positive(),
  /** PipeRun's "origem" of the deal, if the account uses them. */
  originId: z.coerce.number().int().positive().optional(),
});
export type PipeRunConfig = z.infer<typeof config>;

const errorAnswer = z
  .object({ message: z.string().optional(), error: z.string().optional() })
  .transform((e) => ({ message: e.message ?? e.error }));

const url = (settings: PipeRunConfig, path: string) => `${settings.baseUrl.replace(/\/+$/, "")}${path}`;

export type DealInput = {
  title: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  notes: string;
};

/** POST /deals, header `token`: the new deal's id. */
export async function createPipeRunDeal(settings: PipeRunConfig, deal: DealInput): Promise<string> {
  const response = await providerFetch(
    fetch,
    url(settings, "/deals"),
    {
      method: "POST",
      headers: { token: settings.apiToken, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        title: deal.title,
        pipeline_id: settings.pipelineId,
        stage_id: settings.stageId,
        ...(settings.originId ? { origin_id: settings.originId } : {}),
        description: deal.notes,
        person: { name: deal.name ?? deal.title, phone: deal.phone, email: deal.email },
      }),
    },
    { describe: describeWith(errorAnswer) },
  );
  const text = await response.text();
  const id = readAnswer(text, z.object({ data: z.object({ id: z.union([z.number(), z.string()]) }) }))?.data.id;
  if (id === undefined) {
    // Created (2xx) but unreadable: creating again could make a second deal.
    throw new ProviderError(`PipeRun created the deal but answered without an id: ${text.slice(0, 200)}`, {
      status: response.status,
      retryable: false,
    });
  }
  return String(id);
}

/** PipeRun CRM: a deal in the configured pipeline and stage for every lead that turns hot. */
export const piperunIntegration: IntegrationProvider<PipeRunConfig> = {
  name: "piperun",
  summary: "PipeRun CRM: a deal for every lead that turns hot (once per lead).",
  configSchema: config,
  secretFields: ["apiToken"],
  async test(settings) {
    // Reading the configured pipeline checks the token and the pipeline id at once, and changes nothing.
    const response = await providerFetch(
      fetch,
      url(settings, `/pipelines/${settings.pipelineId}`),
      { headers: { token: settings.apiToken, accept: "application/json" } },
      { describe: describeWith(errorAnswer), timeoutMs: 5000 },
    );
    await response.body?.cancel();
  },
};
