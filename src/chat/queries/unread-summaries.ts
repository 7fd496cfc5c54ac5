/**
 * Unread summaries: per membership of an application, how many messages of the channel the member
 * has not read (past their read marker, sent by someone else: the unread rule of
 * queries/messages.ts and queries/channels.ts). Only memberships with something unread are listed.
 */
import { and, asc, count, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { channelMembers, messages } from "../../db/schema";
import { type ChannelRow, findChannelsByIds } from "./channels";
import { findUsersByIdOrName, type UserRow } from "./users";

const unreadOfMember = sql`from ${messages} where ${messages.channelId} = ${channelMembers.channelId}
  and ${messages.id} > coalesce(${channelMembers.lastReadMessageId}, 0)
  and (${messages.userId} is null or ${messages.userId} != ${channelMembers.userId})`;

export interface UnreadSummary {
  channel: ChannelRow;
  user: UserRow;
  count: number;
}

/** A numbered page of unread summaries (by channel, then user), with the total. */
export const listUnreadSummariesPage = async (db: Db, applicationId: number, offset: number, limit: number) => {
  const where = and(eq(channelMembers.applicationId, applicationId), sql`exists (select 1 ${unreadOfMember})`);
  const [rows, [total]] = await db.batch([
    db
      .select({
        channelId: channelMembers.channelId,
        userId: channelMembers.userId,
        count: sql<number>`(select count(*) ${unreadOfMember})`,
      })
      .from(channelMembers)
      .where(where)
      .orderBy(asc(channelMembers.channelId), asc(channelMembers.userId))
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(channelMembers).where(where),
  ]);
  const channelIds = [...new Set(rows.map((r) => r.channelId))];
  const [channelRows, userRows] = await Promise.all([
    findChannelsByIds(db, applicationId, channelIds),
    findUsersByIdOrName(db, applicationId, [...new Set(rows.map((r) => r.userId))], []),
  ]);
  const channelById = new Map(channelRows.map((c) => [c.id, c]));
  const userById = new Map(userRows.map((u) => [u.id, u]));
  // A channel or user deleted between the two reads is left out of the page rather than half shown.
  const summaries = rows.flatMap(({ channelId, userId, count: n }): UnreadSummary[] => {
    const channel = channelById.get(channelId);
    const user = userById.get(userId);
    return channel && user ? [{ channel, user, count: n }] : [];
  });
  return { summaries, total: total?.n ?? 0 };
};
