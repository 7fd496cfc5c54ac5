import { and, count, eq, inArray, or } from "drizzle-orm";
import type { Db } from "../../db/client";
import { channelMembers, channels, type ChannelType } from "../../db/schema";
import { findApplicationQuery } from "../applications/applications.queries";

const channelColumns = { id: channels.id, type: channels.type, name: channels.name };
export type ChannelView = { id: number; type: ChannelType; name: string };

export const findChannelQuery = (db: Db, applicationId: number, channelId: number) =>
  db
    .select(channelColumns)
    .from(channels)
    .where(and(eq(channels.applicationId, applicationId), eq(channels.id, channelId)));

export const findChannel = (db: Db, applicationId: number, channelId: number) =>
  findChannelQuery(db, applicationId, channelId).get();

export const insertChannel = (db: Db, applicationId: number, type: ChannelType, name: string) =>
  db.insert(channels).values({ applicationId, type, name }).returning(channelColumns).get();

const pageOf = async (db: Db, where: ReturnType<typeof and>, offset: number, limit: number) => {
  const [rows, [total]] = await db.batch([
    db.select(channelColumns).from(channels).where(where).orderBy(channels.id).limit(limit).offset(offset),
    db.select({ n: count() }).from(channels).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
};

export const listChannelsPage = (db: Db, applicationId: number, offset: number, limit: number) =>
  pageOf(db, eq(channels.applicationId, applicationId), offset, limit);

/** The channels a user has joined or can join: every OPEN and PUBLIC one, and PRIVATE ones they belong to. */
export const listUserChannelsPage = (db: Db, applicationId: number, userId: number, offset: number, limit: number) =>
  pageOf(
    db,
    and(
      eq(channels.applicationId, applicationId),
      or(
        inArray(channels.type, ["OPEN", "PUBLIC"]),
        inArray(
          channels.id,
          db.select({ id: channelMembers.channelId }).from(channelMembers).where(eq(channelMembers.userId, userId)),
        ),
      ),
    ),
    offset,
    limit,
  );

/**
 * Deletes a channel; its messages and memberships go with it through ON DELETE CASCADE, in the
 * same statement, so no reader ever sees a half-deleted channel. Returns the deleted channel
 * (its type decides whether an in-memory open channel must be cleared too) and the application.
 */
export const deleteChannel = async (db: Db, applicationId: number, channelId: number) => {
  const [deleted, [app]] = await db.batch([
    db
      .delete(channels)
      .where(and(eq(channels.applicationId, applicationId), eq(channels.id, channelId)))
      .returning(channelColumns),
    findApplicationQuery(db, applicationId),
  ]);
  return { deleted: deleted[0], app };
};
