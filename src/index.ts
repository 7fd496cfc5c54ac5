import { createApp } from "./app";
import { sweepSigningKeys } from "./auth/key-ring";
import { readConfig } from "./config";
import { createDb, openSession } from "./db/client";
import { drainFileDeletions } from "./files/deletions";
import { sweepIdempotencyKeys } from "./chat/queries/idempotency";
import { sweepEndedSessions } from "./chat/queries/sessions";
import { consumeJobs } from "./jobs/consumer";
import type { JobMessage } from "./jobs/messages";
import { floorFor } from "./floors";

export { ChannelRoom } from "./durable/channel-room";
export { SessionShard } from "./durable/session-shard";

const app = createApp();

export default {
  // Typed as a plain Request: tests call it with one (no incoming `cf` properties).
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    // The benchmark floors (src/floors.ts) are answered before the app and all its middleware.
    return floorFor(request, env) ?? app.fetch(request, env, ctx);
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
