import type * as z from "zod";
import type { Services } from "@/platform/services";

export type JobContext = { jobId: string; attempt: number; maxAttempts: number };

export type JobDefinition<S extends z.ZodType = z.ZodType> = {
  name: string;
  payload: S;
  /** Idempotent: may run more than once for one job (redeliveries, takeovers after a crash). */
  handle(services: Services, payload: z.infer<S>, job: JobContext): Promise<Record<string, unknown> | undefined>;
  /** Runs once when the job becomes a dead letter, e.g. to mark a message failed. */
  onDead?(services: Services, payload: z.infer<S>, error: string): Promise<void>;
};

export function defineJob<S extends z.ZodType>(definition: JobDefinition<S>): JobDefinition<S> {
  return definition;
}
