import type { App } from "@/platform/api-app";

export function registerQueueRoutes(_app: App) {}
