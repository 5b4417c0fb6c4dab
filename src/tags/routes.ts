import type { App } from "@/platform/api-app";

export function registerTagRoutes(_app: App) {}
