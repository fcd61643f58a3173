CREATE TABLE "log_outbox" (
	"log_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"exercise" varchar(255) NOT NULL,
	"reps" integer NOT NULL,
	"weight_kg" double precision NOT NULL,
	"logged_at" text NOT NULL,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "voice_sessions" ADD COLUMN "summary" jsonb;--> statement-breakpoint
CREATE INDEX "log_outbox_queued_at_idx" ON "log_outbox" USING btree ("queued_at");