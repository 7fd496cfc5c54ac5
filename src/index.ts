import { createApp } from "./app";
import { createDb } from "./db/client";
import { drainFileDeletions } from "./files/deletions";
import { sweepIdempotencyKeys } from "./chat/queries/idempotency";

export { ChannelRoom } from "./durable/channel-room";
export { SessionShard } from "./durable/session-shard";

const app = createApp();

export default {
  fetch: app.fetch,
  /**
   * The cron in wrangler.toml: retries file deletions that failed after their commit and forgets
   * expired idempotency keys. Each part logs its own failures and leaves the rest for next time.
   */
  async scheduled(_controller, env, _ctx) {
    await Promise.allSettled([drainFileDeletions(env), sweepIdempotencyKeys(createDb(env.DB), Date.now())]);
  },
} satisfies ExportedHandler<Env>;
