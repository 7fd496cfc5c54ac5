/**
 * A user's messages: those they sent or, with `unread`, those of their channels past their read
 * marker that someone else sent (the unread rule of chat sessions' unread channel lists).
 */
import type { Context } from "hono";
import type { MessageFilter } from "../../chat/queries/messages";
import { countApplicationMessages } from "../../chat/queries/messages";
import type { AppEnv } from "../../env";
import type { CursorQuery } from "../../http/cursor";
import { filteredMessagesPage } from "../messages/messages.operations";
import { loadUser } from "./users.operations";

const filterOf = (userId: number, unread: boolean): MessageFilter => (unread ? { unreadBy: userId } : { senderId: userId });

export const userMessagesPage = async (
  c: Context<AppEnv>,
  appId: number,
  userId: number,
  query: CursorQuery & { unread?: boolean | undefined },
  href: string,
) => {
  await loadUser(c, appId, userId);
  const unread = query.unread ?? false;
  return filteredMessagesPage(c, appId, query, filterOf(userId, unread), { unread: unread ? "true" : undefined }, href);
};

export const countUnreadMessages = async (c: Context<AppEnv>, appId: number, userId: number) => {
  await loadUser(c, appId, userId);
  return countApplicationMessages(c.var.db, appId, filterOf(userId, true));
};
