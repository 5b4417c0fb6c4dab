import { createServices } from "@/platform/context";
import type { Bindings } from "@/platform/env";
import type { Services } from "@/platform/services";

export type CronTask = {
  name: string;
  run(services: Services, scheduledAt: Date): Promise<Record<string, unknown>>;
};

/**
 * Runs every task of a cron tick. Tasks are independent: one failing is logged and does not stop
 * the others. The task list is composed in functions/cron.ts.
 */
export async function runCron(
  tasks: readonly CronTask[],
  controller: Pick<ScheduledController, "scheduledTime" | "cron">,
  bindings: Bindings,
  ctx: ExecutionContext,
): Promise<void> {
  const services = createServices(bindings, ctx);
  const scheduledAt = new Date(controller.scheduledTime);
  try {
    for (const task of tasks) {
      const started = performance.now();
      try {
        const result = await task.run(services, scheduledAt);
        services.log.info("cron task done", {
          task: task.name,
          cron: controller.cron,
          durationMs: Math.round(performance.now() - started),
          ...result,
        });
      } catch (error) {
        services.log.error("cron task failed", { task: task.name, cron: controller.cron, error });
      }
    }
  } finally {
    ctx.waitUntil(services.dispose());
  }
}
