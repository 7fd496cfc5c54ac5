CREATE TABLE `user_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`application_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`token` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `user_tokens_token_unique` ON `user_tokens` (`token`);--> statement-breakpoint
CREATE INDEX `user_tokens_user_idx` ON `user_tokens` (`user_id`,`id`);--> statement-breakpoint
ALTER TABLE `applications` ADD `require_authenticated_sessions` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `channels` ADD `direct_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `channels_direct_unique` ON `channels` (`application_id`,`direct_key`);--> statement-breakpoint
ALTER TABLE `messages` ADD `group_tag` text;--> statement-breakpoint
CREATE INDEX `messages_application_idx` ON `messages` (`application_id`,`id`);