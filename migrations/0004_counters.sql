-- Custom migration (drizzle-kit generate --custom): triggers keep applications.user_count and
-- channel_count exact on every write path (Platform API, guest sessions, cascades), so listing a
-- page reads one counter row instead of counting every row of a large application.
UPDATE `applications` SET
  `user_count` = (SELECT count(*) FROM `users` WHERE `users`.`application_id` = `applications`.`id`),
  `channel_count` = (SELECT count(*) FROM `channels` WHERE `channels`.`application_id` = `applications`.`id`);
--> statement-breakpoint
CREATE TRIGGER `users_count_insert` AFTER INSERT ON `users` BEGIN
  UPDATE `applications` SET `user_count` = `user_count` + 1 WHERE `id` = NEW.`application_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `users_count_delete` AFTER DELETE ON `users` BEGIN
  UPDATE `applications` SET `user_count` = `user_count` - 1 WHERE `id` = OLD.`application_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `channels_count_insert` AFTER INSERT ON `channels` BEGIN
  UPDATE `applications` SET `channel_count` = `channel_count` + 1 WHERE `id` = NEW.`application_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `channels_count_delete` AFTER DELETE ON `channels` BEGIN
  UPDATE `applications` SET `channel_count` = `channel_count` - 1 WHERE `id` = OLD.`application_id`;
END;
