CREATE TABLE "otp_organization_hours" (
	"organization_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"sends" integer NOT NULL,
	CONSTRAINT "otp_organization_hours_organization_id_hour_pk" PRIMARY KEY("organization_id","hour")
);
--> statement-breakpoint
CREATE TABLE "otp_send_windows" (
	"organization_id" uuid NOT NULL,
	"phone" text NOT NULL,
	"purpose" text NOT NULL,
	"sent_at" timestamp with time zone[] NOT NULL,
	CONSTRAINT "otp_send_windows_organization_id_phone_purpose_pk" PRIMARY KEY("organization_id","phone","purpose")
);
--> statement-breakpoint
DROP INDEX "otp_challenges_phone_idx";--> statement-breakpoint
ALTER TABLE "otp_challenges" ALTER COLUMN "max_attempts" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "otp_challenges" ADD COLUMN "channel" text;--> statement-breakpoint
ALTER TABLE "otp_challenges" ADD COLUMN "channel_id" uuid;--> statement-breakpoint
ALTER TABLE "otp_challenges" ADD COLUMN "key_id" text NOT NULL;--> statement-breakpoint
ALTER TABLE "otp_challenges" ADD COLUMN "code_sealed" text;--> statement-breakpoint
ALTER TABLE "otp_challenges" ADD COLUMN "status" text DEFAULT 'pending' NOT NULL;--> statement-breakpoint
ALTER TABLE "otp_challenges" ADD COLUMN "decoy" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "otp_challenges" ADD COLUMN "send_status" text DEFAULT 'queued' NOT NULL;--> statement-breakpoint
ALTER TABLE "otp_challenges" ADD COLUMN "send_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "otp_challenges" ADD COLUMN "provider_message_id" text;--> statement-breakpoint
ALTER TABLE "otp_challenges" ADD COLUMN "send_error" text;--> statement-breakpoint
ALTER TABLE "otp_challenges" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "otp_organization_hours" ADD CONSTRAINT "otp_organization_hours_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "otp_send_windows" ADD CONSTRAINT "otp_send_windows_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "otp_challenges" ADD CONSTRAINT "otp_challenges_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "otp_challenges_pair_idx" ON "otp_challenges" USING btree ("organization_id","phone","purpose","created_at");