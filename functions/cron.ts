import { assignmentSweep } from "@/assignment/sweep";
import { type CronTask, runCron } from "@/cron/run";
import { outboxSweep } from "@/jobs/sweep";
import { otpPrune } from "@/otp/prune";
import type { Bindings } from "@/platform/env";
import { dailySummary } from "@/sla/daily-summary";
import { slaSweep } from "@/sla/sweep";
import { unknownOutcomeSweep } from "@/voice/place/unknown-outcome";

/** The tasks of every cron tick, in order: the composition root, so cron/ never imports a domain. */
const cronTasks: readonly CronTask[] = [
  outboxSweep,
  assignmentSweep,
  slaSweep,
  dailySummary,
  otpPrune,
  unknownOutcomeSweep,
];

export default {
  scheduled: (controller, env, ctx) => runCron(cronTasks, controller, env, ctx),
} satisfies ExportedHandler<Bindings>;
