import { ticketInsightsJob } from "@/ai/insights/job";
import { aiReplyJob } from "@/ai/reply/job";
import { transcribeJob } from "@/ai/transcribe/job";
import { assignTicketJob, drainJob } from "@/assignment/jobs";
import type { JobDefinition } from "@/jobs/define";
import { registerJobEndpoint } from "@/jobs/endpoint";
import { reencryptKeysJob } from "@/keys/job";
import { knowledgeEmbedJob } from "@/knowledge/job";
import { chatwootSyncJob } from "@/leads/chatwoot-sync";
import { pipeRunDealJobDefinition } from "@/leads/piperun-job";
import { deliverEventJob } from "@/notify/job";
import { slackNotifyJob } from "@/notify/slack-job";
import { otpSendJob } from "@/otp/send-job";
import { sendMessageJob } from "@/outbound/send-job";
import { newWorkerApp } from "@/platform/app";
import type { Bindings } from "@/platform/env";
import { placeCallJob } from "@/voice/place/job";
import { recordCallJobDefinition, rejectReservationJobDefinition } from "@/voice/twilio/jobs";
import { transcribeRecordingJobDefinition } from "@/voice/twilio/transcribe";

/** Every job this function runs, by name: the composition root, so jobs/ never imports a domain. */
const jobRegistry: ReadonlyMap<string, JobDefinition> = new Map<string, JobDefinition>(
  [
    sendMessageJob,
    assignTicketJob,
    drainJob,
    deliverEventJob,
    aiReplyJob,
    chatwootSyncJob,
    pipeRunDealJobDefinition,
    transcribeJob,
    ticketInsightsJob,
    knowledgeEmbedJob,
    slackNotifyJob,
    // Twilio Voice
    recordCallJobDefinition,
    rejectReservationJobDefinition,
    transcribeRecordingJobDefinition,
    otpSendJob,
    reencryptKeysJob,
    placeCallJob,
  ].map((job) => [job.name, job as unknown as JobDefinition]),
);

/** /jobs/<name>: durable job deliveries (QStash or local), verified, run and acknowledged. */
const app = newWorkerApp();
registerJobEndpoint(app, jobRegistry);

export default { fetch: app.fetch } satisfies ExportedHandler<Bindings>;
