ALTER TABLE "tickets" ADD COLUMN "next_response_breached_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ticket_stats_counts" ADD COLUMN "next_response_met" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "ticket_stats_counts" ADD COLUMN "next_response_breached" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "ticket_stats_counts" ADD COLUMN "next_response_waiting" integer DEFAULT 0 NOT NULL;