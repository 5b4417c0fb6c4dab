import { assignmentSweep } from "@/assignment/sweep";
import { outboxSweep } from "@/jobs/sweep";
import type { CronTask } from "./run";

/** The tasks of every cron tick, in order. */
export const cronTasks: CronTask[] = [outboxSweep, assignmentSweep];
