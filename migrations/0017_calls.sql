CREATE TABLE "call_placements" (
	"call_id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid NOT NULL,
	"record" boolean DEFAULT false NOT NULL,
	"machine_detection" boolean DEFAULT false NOT NULL,
	"requested_by_type" text NOT NULL,
	"requested_by_id" uuid NOT NULL,
	"attempted_at" timestamp with time zone,
	"placed_at" timestamp with time zone,
	"simulated" boolean DEFAULT false NOT NULL,
	"error" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "caller_ids" (
	"channel_id" uuid NOT NULL,
	"phone" text NOT NULL,
	"organization_id" uuid NOT NULL,
	"last_used_at" timestamp with time zone,
	"uses" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "caller_ids_channel_id_phone_pk" PRIMARY KEY("channel_id","phone")
);
--> statement-breakpoint
ALTER TABLE "call_placements" ADD CONSTRAINT "call_placements_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_placements" ADD CONSTRAINT "call_placements_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "caller_ids" ADD CONSTRAINT "caller_ids_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "caller_ids" ADD CONSTRAINT "caller_ids_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "call_placements_organization_idx" ON "call_placements" USING btree ("organization_id");--> statement-breakpoint
CREATE INDEX "calls_organization_started_idx" ON "calls" USING btree ("organization_id",coalesce("started_at", "created_at"));--> statement-breakpoint
CREATE INDEX "messages_contact_idx" ON "messages" USING btree ("contact_id","created_at");