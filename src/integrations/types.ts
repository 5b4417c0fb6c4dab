import type * as z from "zod";
import type { Env } from "@/platform/env";

/** Where a provider's settings came from: the organization's own, or the deployment's env. */
export type IntegrationSource = "organization" | "deployment";

/**
 * An outside service an organization connects to. Adding one (chatwoot, piperun, slack) is a file
 * with one of these and a line in ./registry.ts; the API, storage and sealing are shared.
 */
export interface IntegrationProvider<Config extends Record<string, unknown> = Record<string, unknown>> {
  readonly name: string;
  readonly summary: string;
  /** Every field, secret or not; validated on PUT after omitted secrets are filled from storage. */
  readonly configSchema: z.ZodType<Config>;
  /** Fields stored sealed and never returned (the API says only whether they are set). */
  readonly secretFields: readonly string[];
  /** The deployment-wide settings that apply when the organization has none of its own. */
  fromEnv?(env: Env): Config | null;
  /** A real call to the provider's API; throws with a readable message when it fails. */
  test(config: Config, env: Env): Promise<void>;
}
