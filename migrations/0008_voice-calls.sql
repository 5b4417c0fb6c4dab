CREATE TABLE "blocked_numbers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid NOT NULL,
	"phone" text NOT NULL,
	"reason" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "call_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid NOT NULL,
	"call_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "recording_sid" text;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "recording_channels" integer;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "recording_status" text;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "transcript_turns" jsonb;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "analysis" jsonb;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "successful" boolean;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "disconnection_reason" text;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "provider_agent_id" text;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "wait_seconds" integer;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "caller_id" text;--> statement-breakpoint
ALTER TABLE "blocked_numbers" ADD CONSTRAINT "blocked_numbers_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "blocked_numbers" ADD CONSTRAINT "blocked_numbers_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_events" ADD CONSTRAINT "call_events_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_events" ADD CONSTRAINT "call_events_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "blocked_numbers_phone_key" ON "blocked_numbers" USING btree ("organization_id","phone");--> statement-breakpoint
CREATE UNIQUE INDEX "call_events_key" ON "call_events" USING btree ("call_id","key");--> statement-breakpoint
CREATE INDEX "call_events_call_idx" ON "call_events" USING btree ("call_id","occurred_at");--> statement-breakpoint
CREATE INDEX "calls_contact_idx" ON "calls" USING btree ("contact_id","created_at");--> statement-breakpoint
CREATE INDEX "calls_organization_created_idx" ON "calls" USING btree ("organization_id","created_at");