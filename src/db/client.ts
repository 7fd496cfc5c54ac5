/**
 * Every Drizzle client runs on a D1 session (`withSession`), never on the bare binding: reads may
 * be served by a nearby read replica, writes go to the primary, and everything in one session is
 * sequentially consistent (a read after a write sees it). A session starts from a bookmark (a
 * client's `X-D1-Bookmark`, a chat connection's last one) so its reads see at least that state, or
 * from `first-unconstrained` when there is none. `createDb` takes only a session, so a query path
 * that skipped one does not compile.
 * @example const session = openSession(env.DB, bookmark); const db = createDb(session); …; session.getBookmark()
 */
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

/** A D1 session from `bookmark`, or unconstrained (any replica) without one. */
export const openSession = (d1: D1Database, bookmark?: string): D1DatabaseSession => d1.withSession(bookmark ?? "first-unconstrained");

/** A Drizzle client over a D1 session. @example const db = createDb(openSession(env.DB)) */
// Drizzle's D1 driver calls only prepare() and batch(), which a session has.
export const createDb = (session: D1DatabaseSession) => drizzle(session as unknown as D1Database, { schema });
export type Db = ReturnType<typeof createDb>;
