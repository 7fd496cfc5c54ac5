/** Standalone threads of channels (stompx-current.md §10) and the messages sent to them. */
import { and, count, desc, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type JsonObject, threads } from "../../db/schema";

export type ThreadRow = typeof threads.$inferSelect;

export const insertThread = (
  db: Db,
  thread: { applicationId: number; channelId: number; creatorId: number; name: string; properties: JsonObject },
): Promise<ThreadRow> => db.insert(threads).values(thread).returning().get();

export const findThread = (db: Db, applicationId: number, threadId: number): Promise<ThreadRow | undefined> =>
  db
    .select()
    .from(threads)
    .where(and(eq(threads.applicationId, applicationId), eq(threads.id, threadId)))
    .get();

/** A numbered page of the channel's threads, newest first, with the total. */
export const listThreadsPage = async (db: Db, applicationId: number, channelId: number, offset: number, limit: number) => {
  const where = and(eq(threads.applicationId, applicationId), eq(threads.channelId, channelId));
  const [rows, [total]] = await db.batch([
    db.select().from(threads).where(where).orderBy(desc(threads.id)).limit(limit).offset(offset),
    db.select({ n: count() }).from(threads).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
};
