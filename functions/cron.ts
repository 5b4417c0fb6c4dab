import { runCron } from "@/cron/run";
import { cronTasks } from "@/cron/tasks";
import type { Bindings } from "@/platform/env";

export default {
  scheduled: (controller, env, ctx) => runCron(cronTasks, controller, env, ctx),
} satisfies ExportedHandler<Bindings>;
