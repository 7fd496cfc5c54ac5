import { createApp } from "./app";
import { sweepSigningKeys } from "./auth/key-ring";
import { readConfig } from "./config";
import { createDb, openSession } from "./db/client";
import { drainFileDeletions } from "./files/deletions";
import { sweepIdempotencyKeys } from "./chat/queries/idempotency";
import { sweepEndedSessions } from "./chat/queries/sessions";
import { sessionShardStub } from "./chat/live";
import { consumeJobs } from "./jobs/consumer";
import type { JobMessage } from "./jobs/messages";
import { FLOOR_HEADER, FLOOR_PATH, FLOOR_SHARD, floorEnabled } from "./durable/fan-out-floor";

export { ChannelRoom } from "./durable/channel-room";
export { SessionShard } from "./durable/session-shard";

const app = createApp();

/**
 * `GET /ping` is answered here, before the app and all its middleware: the floor that
 * `npm run bench` divides every case by (what the Worker costs when it does nothing).
 */
const PING = "/ping";

/** Whether the URL's path is exactly `path` (a string test: the floors cost as little as a route can). */
const isPath = (url: string, path: string) => url.endsWith(path) && url.indexOf("/", url.indexOf("//") + 2) === url.length - path.length;

export default {
  // Typed as a plain Request: tests call it with one (no incoming `cf` properties).
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const { url } = request;
    if (request.method === "GET" && isPath(url, PING)) return new Response("pong", { headers: { "Content-Type": "text/plain" } });
    if (floorEnabled(env) && isPath(url, FLOOR_PATH) && request.headers.get("Upgrade") === "websocket") {
      return sessionShardStub(env, FLOOR_SHARD).fetch("https://session-shard/floor", {
        headers: { Upgrade: "websocket", [FLOOR_HEADER]: "1" },
      });
    }
    return app.fetch(request, env, ctx);
  },
  /**
   * The cron in wrangler.toml: retries file deletions that failed after their commit, forgets
   * expired idempotency keys and sessions that ended 30 days ago, and keeps `signing_keys` in step with the signing key. A part that
   * fails is logged and leaves the rest for next time.
   */
  async scheduled(controller, env, _ctx) {
    const db = createDb(openSession(env.DB));
    const now = controller.scheduledTime;
    const parts = {
      fileDeletions: drainFileDeletions(env),
      idempotencyKeys: sweepIdempotencyKeys(db, now),
      sessions: sweepEndedSessions(db, now),
      signingKeys: sweepSigningKeys(db, env.JWT_PRIVATE_KEY, readConfig(env).tokenTtlSeconds, now),
    };
    const results = await Promise.allSettled(Object.values(parts));
    Object.keys(parts).forEach((part, i) => {
      const result = results[i]!;
      if (result.status === "rejected") {
        console.error(JSON.stringify({ level: "error", event: "scheduled_failed", part, error: String(result.reason) }));
      }
    });
  },
  /** The JOBS queue (wrangler.toml): imports, a chunk of rows per message (src/jobs/). */
  queue(batch, env, _ctx) {
    return consumeJobs(batch, env);
  },
} satisfies ExportedHandler<Env, JobMessage>;
