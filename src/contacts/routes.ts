import type { App } from "@/platform/api-app";

export function registerContactRoutes(_app: App) {}
