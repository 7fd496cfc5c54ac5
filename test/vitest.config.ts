import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { webcrypto } from "node:crypto";
import path from "node:path";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "..");

/** Tests sign with their own throwaway key, never the developer's `.dev.vars` one. */
const testSigningKey = async () => {
  const { privateKey } = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const jwk = await webcrypto.subtle.exportKey("jwk", privateKey);
  return JSON.stringify({ ...jwk, kid: "test-key", alg: "ES256", use: "sig" });
};

export default defineConfig({
  test: {
    projects: [
      {
        // Inside workerd, through the Worker's own fetch handler, with real D1 and Durable Objects.
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: path.join(root, "wrangler.toml") },
            miniflare: {
              bindings: {
                JWT_PRIVATE_KEY: await testSigningKey(),
                // A second key of the same kind: tokens it signs must be refused.
                TEST_FOREIGN_KEY: await testSigningKey(),
                TEST_MIGRATIONS: await readD1Migrations(path.join(root, "migrations")),
                OPEN_CHANNEL_MESSAGE_LIMIT: "5",
                // One JSON line per request would bury the test output; errors are still logged.
                ACCESS_LOG: "off",
                // 1 MiB instead of 25 MiB, so the file-size tests stay fast; a file of exactly this
                // size still needs the upload body limit (its multipart body is over 1 MiB).
                MAX_FILE_BYTES: "1048576",
                // 1 s instead of 30 s, so test/api/credentials.test.ts can watch an epoch raised
                // straight in D1 take effect; at most one extra epoch read per application a second.
                TOKEN_EPOCH_TTL_SECONDS: "1",
              },
              // A limiter of 3 requests a minute, which test/api/rate-limit.test.ts hands to the Worker
              // in place of TOKEN_/API_RATE_LIMITER; every other test runs on wrangler.toml's limits.
              ratelimits: { TEST_TINY_RATE_LIMITER: { namespace_id: "9301", simple: { limit: 3, period: 60 } } },
            },
          })),
        ],
        test: {
          name: "workerd",
          root,
          include: ["test/{unit,api,db,durable,realtime,abuse,chat}/**/*.test.ts"],
          setupFiles: [path.join(root, "test/setup/apply-migrations.ts")],
        },
      },
      {
        // From Node, against `npm run dev`'s server (started once for the run), with real clients.
        test: {
          name: "e2e",
          root,
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: [path.join(root, "test/e2e/dev-server.ts")],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // `npm run deploy` / `npm run keys` as child processes, against a local stand-in for the
        // Cloudflare API (test/deploy/cloudflare-api.ts); each run starts wrangler several times.
        test: {
          name: "deploy",
          root,
          environment: "node",
          include: ["test/deploy/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
