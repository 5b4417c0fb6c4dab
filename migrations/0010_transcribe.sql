CREATE TABLE "ticket_insights" (
	"ticket_id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid NOT NULL,
	"sentiment" text NOT NULL,
	"intent" text NOT NULL,
	"category" text NOT NULL,
	"urgency" text NOT NULL,
	"churn_risk" text NOT NULL,
	"summary" text,
	"model" text NOT NULL,
	"trigger" text NOT NULL,
	"last_message_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "ai_usage" ADD COLUMN "audio_seconds" numeric(12, 3);--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "transcript" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "transcript_status" text;--> statement-breakpoint
ALTER TABLE "ticket_insights" ADD CONSTRAINT "ticket_insights_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_insights" ADD CONSTRAINT "ticket_insights_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;