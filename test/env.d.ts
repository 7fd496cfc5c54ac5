import type { D1Migration } from "cloudflare:test";

declare global {
  /** Vite's `import.meta.glob` (vitest transforms it), only in the eager form the tests use. */
  interface ImportMeta {
    glob<T>(pattern: string, options: { query: string; import: string; eager: true }): Record<string, T>;
  }
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
