export * from "./schema/ai";
export * from "./schema/crm";
export * from "./schema/helpdesk";
export * from "./schema/identity";
export * from "./schema/insights";
export * from "./schema/knowledge";
export * from "./schema/messages";
export * from "./schema/operations";
