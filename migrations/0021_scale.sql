CREATE TABLE "ticket_stats_counts" (
	"organization_id" uuid NOT NULL,
	"level" smallint NOT NULL,
	"period" integer NOT NULL,
	"dimension" text NOT NULL,
	"key" uuid NOT NULL,
	"open" integer DEFAULT 0 NOT NULL,
	"pending" integer DEFAULT 0 NOT NULL,
	"resolved" integer DEFAULT 0 NOT NULL,
	"closed" integer DEFAULT 0 NOT NULL,
	"first_response_met" integer DEFAULT 0 NOT NULL,
	"first_response_late" integer DEFAULT 0 NOT NULL,
	"first_response_waiting" integer DEFAULT 0 NOT NULL,
	"resolution_met" integer DEFAULT 0 NOT NULL,
	"resolution_late" integer DEFAULT 0 NOT NULL,
	"resolution_waiting" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "ticket_stats_counts_organization_id_level_period_dimension_key_pk" PRIMARY KEY("organization_id","level","period","dimension","key"),
	CONSTRAINT "ticket_stats_counts_level" CHECK ("ticket_stats_counts"."level" between 0 and 3)
);
--> statement-breakpoint
CREATE TABLE "ticket_stats_durations" (
	"organization_id" uuid NOT NULL,
	"level" smallint NOT NULL,
	"period" integer NOT NULL,
	"metric" text NOT NULL,
	"fine" integer[] NOT NULL,
	"coarse" integer[] NOT NULL,
	CONSTRAINT "ticket_stats_durations_organization_id_level_period_metric_pk" PRIMARY KEY("organization_id","level","period","metric")
);
--> statement-breakpoint
ALTER TABLE "ticket_stats_counts" ADD CONSTRAINT "ticket_stats_counts_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_stats_durations" ADD CONSTRAINT "ticket_stats_durations_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tickets_response_waiting_idx" ON "tickets" USING btree ("organization_id","first_response_due_at","created_at") WHERE "tickets"."first_response_at" is null and "tickets"."first_response_due_at" is not null;--> statement-breakpoint
CREATE INDEX "tickets_resolution_waiting_idx" ON "tickets" USING btree ("organization_id","resolution_due_at","created_at") WHERE "tickets"."resolved_at" is null and "tickets"."resolution_due_at" is not null;