/**
 * Invitations to PRIVATE channels: a user a back end invited, who has not joined yet. Joining
 * (becoming a member by any path) is what accepts an invite, so every statement that adds members
 * also withdraws their invites (members.ts), and a member is never invited.
 */
import { and, asc, count, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { channelInvites, channelMembers, channels } from "../../db/schema";

const inviteColumns = { userId: channelInvites.userId, createdAt: channelInvites.createdAt };
export type InviteRow = { userId: number; createdAt: Date };

const ofChannel = (applicationId: number, channelId: number) =>
  and(eq(channelInvites.applicationId, applicationId), eq(channelInvites.channelId, channelId));

/**
 * Invites a user who is not a member, once: a second invite is the first. One transaction reads
 * the outcome: the invite (new or earlier), or none because the user is a member.
 */
export const inviteUser = async (db: Db, applicationId: number, channelId: number, userId: number) => {
  const member = sql`select 1 from ${channelMembers} where ${channelMembers.channelId} = ${channelId} and ${channelMembers.userId} = ${userId}`;
  const [, [invite]] = await db.batch([
    db
      .insert(channelInvites)
      .select((qb) =>
        qb
          .select({
            channelId: sql<number>`${channels.id}`.as("channel_id"),
            userId: sql<number>`${userId}`.as("user_id"),
            applicationId: channels.applicationId,
            createdAt: sql<Date>`${channelInvites.createdAt.default}`.as("created_at"),
          })
          .from(channels)
          .where(and(eq(channels.applicationId, applicationId), eq(channels.id, channelId), sql`not exists (${member})`)),
      )
      .onConflictDoNothing(),
    db
      .select(inviteColumns)
      .from(channelInvites)
      .where(and(ofChannel(applicationId, channelId), eq(channelInvites.userId, userId))),
  ]);
  return invite as InviteRow | undefined;
};

/** A numbered page of a channel's pending invites, oldest first unless `newestFirst`, with the total. */
export const listInvitesPage = async (
  db: Db,
  applicationId: number,
  channelId: number,
  offset: number,
  limit: number,
  newestFirst: boolean,
) => {
  const where = ofChannel(applicationId, channelId);
  const order = newestFirst ? desc(channelInvites.createdAt) : asc(channelInvites.createdAt);
  const [rows, [total]] = await db.batch([
    db.select(inviteColumns).from(channelInvites).where(where).orderBy(order, asc(channelInvites.userId)).limit(limit).offset(offset),
    db.select({ n: count() }).from(channelInvites).where(where),
  ]);
  return { rows: rows as InviteRow[], total: total?.n ?? 0 };
};

/** Withdraws the invites of users who are joining (for the batch that adds them). */
export const withdrawInvitesQuery = (db: Db, applicationId: number, channelId: number, userIds: number[]) =>
  db.delete(channelInvites).where(and(ofChannel(applicationId, channelId), inArray(channelInvites.userId, userIds)));
