/**
 * `npm run check:bundle`: builds the Worker exactly as `wrangler deploy` would
 * (`wrangler deploy --dry-run --outdir`), without deploying, and fails when the gzipped bundle
 * is not well under the Workers size limit (3 MiB gzipped on the free plan). Bundling errors
 * fail here too. Prints the sizes.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { runMain, runWrangler, CliError } from "./lib.mjs";

const BUDGET_GZIP_BYTES = 1024 * 1024; // a third of the smallest plan's 3 MiB

runMain(async () => {
  const out = mkdtempSync(path.join(tmpdir(), "kitty-edge-bundle-"));
  try {
    const result = runWrangler(["deploy", "--dry-run", "--outdir", out]);
    if (result.status !== 0) throw new CliError("wrangler deploy --dry-run failed", { details: `${result.stdout}\n${result.stderr}` });
    const bundle = readFileSync(path.join(out, "index.js"));
    const gzipped = gzipSync(bundle, { level: 9 }).byteLength;
    const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
    console.log(
      `Worker bundle: ${kib(bundle.byteLength)} (${kib(gzipped)} gzipped; budget ${kib(BUDGET_GZIP_BYTES)}, Workers limit 3 MiB gzipped)`,
    );
    if (gzipped > BUDGET_GZIP_BYTES)
      throw new CliError(`the gzipped bundle (${kib(gzipped)}) is over its ${kib(BUDGET_GZIP_BYTES)} budget`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
