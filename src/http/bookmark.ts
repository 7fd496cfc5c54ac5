/**
 * Read-your-writes across requests (Cloudflare's convention for D1 read replication): every
 * request runs its queries in one D1 session, and its response carries the bookmark that session
 * ended at in `X-D1-Bookmark`. A client that sends a bookmark back reads at least the state it
 * names; without one, reads start on whichever replica is nearest (`first-unconstrained`). Inside
 * one request a write and every read after it are consistent anyway (the session guarantees it).
 */
import { createMiddleware } from "hono/factory";
import { createDb, openSession } from "../db/client";
import type { AppEnv } from "../env";
import { ApiError } from "./errors";

const BOOKMARK_HEADER = "X-D1-Bookmark";

// What D1 hands out (e.g. 0000006a-00000002-00004ee8-d7d7…): anything else is refused before D1 sees it.
const BOOKMARK_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/i;

export const d1Session = createMiddleware<AppEnv>(async (c, next) => {
  const sent = c.req.header(BOOKMARK_HEADER);
  if (sent !== undefined && !BOOKMARK_SHAPE.test(sent)) {
    const message = `${BOOKMARK_HEADER} must be a bookmark this API returned`;
    throw new ApiError("InvalidRequestError", message, { [BOOKMARK_HEADER]: message });
  }
  // D1 writes bookmarks in lower case; a client that upper-cased one still means the same state.
  const session = openSession(c.env.DB, sent?.toLowerCase());
  c.set("db", createDb(session));
  await next();
  const bookmark = session.getBookmark() ?? sent;
  if (bookmark) c.res.headers.set(BOOKMARK_HEADER, bookmark);
});
