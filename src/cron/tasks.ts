import type { CronTask } from "./run";

/** The tasks of every cron tick, in order. */
export const cronTasks: CronTask[] = [];
