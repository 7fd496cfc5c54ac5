CREATE TABLE `channel_invites` (
	`channel_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`application_id` integer NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`channel_id`, `user_id`),
	FOREIGN KEY (`channel_id`) REFERENCES `channels`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `channel_invites_user_idx` ON `channel_invites` (`user_id`,`channel_id`);--> statement-breakpoint
CREATE TABLE `chat_sessions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`application_id` integer NOT NULL,
	`user_session_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`channel_id` integer NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`ended_at` integer,
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_session_id`) REFERENCES `user_sessions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`channel_id`) REFERENCES `channels`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `chat_sessions_application_idx` ON `chat_sessions` (`application_id`,`id`);--> statement-breakpoint
CREATE INDEX `chat_sessions_channel_idx` ON `chat_sessions` (`channel_id`,`ended_at`,`user_id`);--> statement-breakpoint
CREATE INDEX `chat_sessions_user_session_idx` ON `chat_sessions` (`user_session_id`);--> statement-breakpoint
CREATE INDEX `chat_sessions_ended_idx` ON `chat_sessions` (`ended_at`);--> statement-breakpoint
CREATE TABLE `import_keys` (
	`application_id` integer NOT NULL,
	`kind` text NOT NULL,
	`key` text NOT NULL,
	`resource_id` integer NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`application_id`, `kind`, `key`),
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `user_sessions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`application_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`shard` text NOT NULL,
	`conn` text NOT NULL,
	`user_agent` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`ended_at` integer,
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `user_sessions_application_idx` ON `user_sessions` (`application_id`,`id`);--> statement-breakpoint
CREATE INDEX `user_sessions_connection_idx` ON `user_sessions` (`shard`,`conn`);--> statement-breakpoint
CREATE INDEX `user_sessions_ended_idx` ON `user_sessions` (`ended_at`);