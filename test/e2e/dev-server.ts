/**
 * Global setup of the e2e project: runs `scripts/dev.mjs` (what `npm run dev` runs: signing key,
 * migrations, demo seed, `wrangler dev`) on a free port with its own throwaway state folder, so
 * the suite never touches the developer's local database or a server already on 8787.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    /** The dev server's `--persist-to` folder (its local D1), for tests of the application CLI. */
    statePath: string;
  }
}

const root = path.resolve(import.meta.dirname, "../..");

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

const waitForHealth = async (baseUrl: string, child: ChildProcess, log: () => string) => {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`dev server exited (${child.exitCode}):\n${log()}`);
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`dev server did not answer within 60 s:\n${log()}`);
};

export default async function setup(project: TestProject) {
  const port = await freePort();
  const state = mkdtempSync(path.join(tmpdir(), "kitty-edge-e2e-"));
  let output = "";
  const child = spawn(
    process.execPath,
    ["scripts/dev.mjs", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", state, "--show-interactive-dev-session=false"],
    { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "true" } },
  );
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = () => {
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      /* already gone */
    }
  };
  try {
    await waitForHealth(baseUrl, child, () => output);
  } catch (e) {
    stop();
    throw e;
  }
  project.provide("baseUrl", baseUrl);
  project.provide("statePath", state);
  return () => {
    stop();
    rmSync(state, { recursive: true, force: true });
  };
}
