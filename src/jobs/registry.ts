import { assignTicketJob, drainJob } from "@/assignment/jobs";
import { deliverEventJob } from "@/notify/job";
import { sendMessageJob } from "@/outbound/send-job";
import type { JobDefinition } from "./define";

/** Every job the jobs function runs, by name. */
export const jobRegistry: ReadonlyMap<string, JobDefinition> = new Map<string, JobDefinition>(
  [sendMessageJob, assignTicketJob, drainJob, deliverEventJob].map((job) => [
    job.name,
    job as unknown as JobDefinition,
  ]),
);
