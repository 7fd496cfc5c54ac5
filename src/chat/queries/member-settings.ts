/**
 * Writes to one member's own row of a channel (mute, hide, cleared history, moderator role) and
 * joining by invitation. Each is one statement whose WHERE names the membership, so a member who
 * left meanwhile is reported (no row) rather than silently re-created.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { channelMembers, messages } from "../../db/schema";
import { withdrawInvitesQuery } from "./invites";
import { newestMessageIdSql } from "./members";

const membership = (applicationId: number, channelId: number, userId: number) =>
  and(eq(channelMembers.applicationId, applicationId), eq(channelMembers.channelId, channelId), eq(channelMembers.userId, userId));

/** Sets the member's mute or hide flag; false when they are not a member (any more). */
export const updateMemberFlags = async (
  db: Db,
  applicationId: number,
  channelId: number,
  userId: number,
  flags: { muted?: boolean; hidden?: boolean },
) =>
  (
    await db
      .update(channelMembers)
      .set(flags)
      .where(membership(applicationId, channelId, userId))
      .returning({ userId: channelMembers.userId })
  ).length > 0;

/**
 * Clears the member's history up to the channel's newest message, and moves their read marker
 * there too (so the cleared messages stop counting as unread); neither mark ever goes down, and a
 * channel without messages leaves both as they were. `lastReadAt` changes only when the read
 * marker moves, as a read does. False when they are not a member (any more).
 */
export const clearMemberHistory = async (db: Db, applicationId: number, channelId: number, userId: number) => {
  const newest = sql`coalesce((select max(${messages.id}) from ${messages} where ${messages.channelId} = ${channelId}), 0)`;
  const raised = (column: typeof channelMembers.clearedThroughId | typeof channelMembers.lastReadMessageId) =>
    sql`nullif(max(coalesce(${column}, 0), ${newest}), 0)`;
  return (
    (
      await db
        .update(channelMembers)
        .set({
          clearedThroughId: raised(channelMembers.clearedThroughId),
          lastReadMessageId: raised(channelMembers.lastReadMessageId),
          // SET expressions all see the row as it was, so this compares with the old marker.
          lastReadAt: sql`case when ${newest} > coalesce(${channelMembers.lastReadMessageId}, 0)
            then cast(unixepoch('subsec') * 1000 as integer) else ${channelMembers.lastReadAt} end`,
        })
        .where(membership(applicationId, channelId, userId))
        .returning({ userId: channelMembers.userId })
    ).length > 0
  );
};

/** Shows the channel again to every member who hid it; their ids (one statement). */
export const unhideMembersQuery = (db: Db, applicationId: number, channelId: number) =>
  db
    .update(channelMembers)
    .set({ hidden: false })
    .where(and(eq(channelMembers.applicationId, applicationId), eq(channelMembers.channelId, channelId), eq(channelMembers.hidden, true)))
    .returning({ userId: channelMembers.userId });

/** Makes a member a moderator; false when they are not a member (unlike `addModerator`, never adds one). */
export const promoteMember = async (db: Db, applicationId: number, channelId: number, userId: number) =>
  (
    await db
      .update(channelMembers)
      .set({ isModerator: true })
      .where(membership(applicationId, channelId, userId))
      .returning({ userId: channelMembers.userId })
  ).length > 0;

/**
 * Adds a member as `addMember` does (accepting their pending invite), telling whether they were
 * new: the insert's own RETURNING decides, so two concurrent invites cannot both report "added".
 */
export const addMemberIfAbsent = async (db: Db, applicationId: number, channelId: number, userId: number) => {
  const [inserted] = await db.batch([
    db
      .insert(channelMembers)
      .values({ applicationId, channelId, userId, lastReadMessageId: newestMessageIdSql(channelId) })
      .onConflictDoNothing()
      .returning({ userId: channelMembers.userId }),
    withdrawInvitesQuery(db, applicationId, channelId, [userId]),
  ]);
  return inserted.length > 0;
};
