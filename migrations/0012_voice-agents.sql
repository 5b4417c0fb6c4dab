CREATE TABLE "custom_webhooks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid NOT NULL,
	"name" text NOT NULL,
	"secret" text NOT NULL,
	"last_received_at" timestamp with time zone,
	"rotated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "retell_agents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid NOT NULL,
	"channel_id" uuid NOT NULL,
	"remote_agent_id" text NOT NULL,
	"remote_llm_id" text,
	"name" text NOT NULL,
	"voice_id" text NOT NULL,
	"prompt" text,
	"first_message" text,
	"model" text,
	"temperature" double precision,
	"language" text,
	"synced_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "custom_webhooks" ADD CONSTRAINT "custom_webhooks_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "retell_agents" ADD CONSTRAINT "retell_agents_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "retell_agents" ADD CONSTRAINT "retell_agents_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "custom_webhooks_name_key" ON "custom_webhooks" USING btree ("organization_id","name");--> statement-breakpoint
CREATE INDEX "custom_webhooks_organization_idx" ON "custom_webhooks" USING btree ("organization_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "retell_agents_remote_key" ON "retell_agents" USING btree ("channel_id","remote_agent_id");--> statement-breakpoint
CREATE INDEX "retell_agents_organization_idx" ON "retell_agents" USING btree ("organization_id","id");