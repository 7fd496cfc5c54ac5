/**
 * The application CLI (`npm run app`, scripts/app/) against the local D1 that the running dev
 * server reads: what the CLI writes is what the Worker serves. Each command runs as a separate
 * process (Node 22 stripping the types), as a developer would run it.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, inject, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const baseUrl = inject("baseUrl");
const statePath = inject("statePath");

/** Runs `npm run app -- <args>` on the dev server's database; its exit code, stdout and stderr. */
const app = (...args: string[]) => {
  try {
    const stdout = execFileSync(process.execPath, ["scripts/app/main.ts", ...args, "--persist-to", statePath], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return { code: 0, stdout, stderr: "" };
  } catch (e) {
    const failed = e as { status: number; stdout: string; stderr: string };
    return { code: failed.status, stdout: failed.stdout, stderr: failed.stderr };
  }
};

const appJson = <T>(...args: string[]): T => {
  const run = app(...args, "--json");
  if (run.code !== 0) throw new Error(`npm run app -- ${args.join(" ")}: exit ${run.code}\n${run.stderr}`);
  return JSON.parse(run.stdout) as T;
};

const tokenStatus = async (clientId: string, clientSecret: string) =>
  (
    await fetch(`${baseUrl}/oauth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret }),
    })
  ).status;

describe("npm run app against the dev server's database", () => {
  it("creates an application whose credentials the server accepts, then adds and revokes credentials", async ({ expect }) => {
    const name = `CLI app ✓ ${crypto.randomUUID()}`;
    const created = appJson<{ id: number; name: string; key: string; clientId: string; clientSecret: string }>("create", "--name", name);
    expect(created.name).toBe(name);
    expect(await tokenStatus(created.clientId, created.clientSecret)).toBe(200);

    const added = appJson<{ clientId: string; clientSecret: string }>("credentials", "add", "--app", String(created.id));
    const listed = appJson<{ credentials: { clientId: string }[] }>("credentials", "list", "--app", String(created.id));
    expect(listed.credentials.map((c) => c.clientId).sort()).toEqual([created.clientId, added.clientId].sort());

    appJson("credentials", "revoke", "--client", created.clientId);
    expect(await tokenStatus(created.clientId, created.clientSecret)).toBe(401);
    expect(await tokenStatus(added.clientId, added.clientSecret)).toBe(200);
  }, 60_000);

  it("refuses bad usage with exit code 2: a name of 256 characters, an unknown command", ({ expect }) => {
    const tooLong = app("create", "--name", "n".repeat(256));
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toMatch(/--name must be at most 255 characters/);
    expect(app("frobnicate").code).toBe(2);
  }, 60_000);

  it("accepts a name of exactly 255 characters", ({ expect }) => {
    const name = "é".repeat(255);
    expect(appJson<{ name: string }>("create", "--name", name).name).toBe(name);
  }, 60_000);
});
