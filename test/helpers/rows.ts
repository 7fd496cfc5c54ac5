/**
 * Rows read and written straight in D1, bypassing the API: for tests that check what a request
 * stored (message and membership counts of a channel) and for the query-function tests, which
 * make their own applications.
 */
import { env } from "cloudflare:workers";
import { count, eq } from "drizzle-orm";
import { createDb, openSession, type Db } from "../../src/db/client";
import { applications, channelMembers, messages } from "../../src/db/schema";

export const db = () => createDb(openSession(env.DB));

/** An application row of its own (no client credential: the query tests need none). */
export const newApp = async (d: Db, name = "Q App") => d.insert(applications).values({ name, key: crypto.randomUUID() }).returning().get();

/** How many messages of the channel are persisted. */
export const messageRows = async (channelId: number) =>
  (await createDb(openSession(env.DB)).select({ n: count() }).from(messages).where(eq(messages.channelId, channelId)).get())?.n ?? 0;

/** How many memberships the channel has. */
export const membershipRows = async (channelId: number) =>
  (await createDb(openSession(env.DB)).select({ n: count() }).from(channelMembers).where(eq(channelMembers.channelId, channelId)).get())
    ?.n ?? 0;
