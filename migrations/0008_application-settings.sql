ALTER TABLE `applications` ADD `properties` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `applications` ADD `user_created_channels` integer DEFAULT true NOT NULL;