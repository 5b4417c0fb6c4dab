import type { CronTask } from "@/cron/run";
import { drainBacklog } from "./jobs";

/** Safety net for the event-driven assignment: hands out any backlog every tick. */
export const assignmentSweep: CronTask = {
  name: "assignment.sweep",
  run: (services) => drainBacklog(services, null, 200),
};
