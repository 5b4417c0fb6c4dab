import type { App } from "@/platform/api-app";

export function registerTemplateRoutes(_app: App) {}
