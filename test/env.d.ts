import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof import("../src/index");
    }
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      TEST_FOREIGN_KEY: string;
      TEST_TINY_RATE_LIMITER: RateLimit;
    }
  }
}
