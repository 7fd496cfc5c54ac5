/**
 * What the Platform API reads of sessions: the application's user and chat sessions, and a
 * channel's participants (its users with an active chat session). The session shards write them
 * (durable/session-records.ts).
 */
import type { Context } from "hono";
import {
  findUserSession,
  listChatSessionsPage,
  listParticipantsPage,
  listUserSessionsPage,
  type SessionListOptions,
} from "../../chat/queries/sessions";
import type { UserSort } from "../../chat/queries/users";
import type { AppEnv } from "../../env";
import { ApiError } from "../../http/errors";
import { type PageQuery, pageMetadata, pageOffset } from "../../http/pagination";
import { loadChannel } from "../channels/channels.operations";

type SessionListQuery = PageQuery & SessionListOptions;

export const listUserSessions = async (c: Context<AppEnv>, appId: number, query: SessionListQuery) => {
  const { rows, total } = await listUserSessionsPage(c.var.db, appId, pageOffset(query), query.size, query);
  return { rows, meta: pageMetadata(query, total) };
};

export const loadUserSession = async (c: Context<AppEnv>, appId: number, sessionId: number) => {
  const session = await findUserSession(c.var.db, appId, sessionId);
  if (!session) throw new ApiError("ResourceNotFoundError", `User session ${sessionId} not found`);
  return session;
};

export const listChatSessions = async (c: Context<AppEnv>, appId: number, query: SessionListQuery) => {
  const { rows, total } = await listChatSessionsPage(c.var.db, appId, pageOffset(query), query.size, query);
  return { rows, meta: pageMetadata(query, total) };
};

/** Any channel of the application has participants, an OPEN one too (it has no members list). */
export const listParticipants = async (
  c: Context<AppEnv>,
  appId: number,
  channelId: number,
  query: PageQuery & { sort?: UserSort | undefined },
) => {
  await loadChannel(c, appId, channelId);
  const { rows, total } = await listParticipantsPage(c.var.db, appId, channelId, pageOffset(query), query.size, query.sort);
  return { rows, meta: pageMetadata(query, total) };
};
