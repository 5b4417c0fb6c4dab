import type { InboundEvent } from "@/channels/types";

/** The channel a webhook named, as ingest needs it. */
export type IngestChannel = {
  id: string;
  organizationId: string;
  provider: string;
  queueId: string | null;
  reopenWindowHours: number;
  /** The organization has an events webhook: inbound messages and new tickets are notified. */
  notify: boolean;
};

export type IngestResult = { messages: number; statuses: number; duplicates: number; ignored: number };

/** The verified body as it arrived, kept byte for byte in webhook_events. */
export type Delivery = {
  id: string;
  route: string | null;
  contentType: string | null;
  body: Uint8Array;
  /** A replay updates the delivery's existing row instead of writing a new one. */
  replay?: boolean;
};

/** Normalized events, cleaned for the database, and the body as a JSON value for interaction_events. */
export type IngestInput = { events: InboundEvent[]; raw: unknown };
