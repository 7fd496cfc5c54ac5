ALTER TABLE `channel_members` ADD `is_moderator` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `channels` ADD `display_name` text;--> statement-breakpoint
ALTER TABLE `channels` ADD `creator_id` integer;