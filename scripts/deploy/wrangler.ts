/**
 * What `npm run deploy` and `npm run keys` ask of Cloudflare, each as one wrangler command (so a
 * `wrangler login` session and a CLOUDFLARE_API_TOKEN both work, and CLOUDFLARE_API_BASE_URL
 * points everything at another endpoint). The one call wrangler has no command for, registering
 * the account's workers.dev subdomain, goes to the API with the token wrangler reports.
 * @example if (!(await bucketExists("kitty-edge-files", target))) createBucket("kitty-edge-files", target)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliError, randomHex, runWrangler } from "../lib.mjs";
import type { Target } from "./target.ts";

// Plain text: the output is searched for error codes and shown under our own messages.
const PLAIN = { NO_COLOR: "1", FORCE_COLOR: "0" };

interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

const envFlag = (target: Target) => (target.env ? ["--env", target.env] : []);

const run = (args: string[], target: Target, options: { env?: Record<string, string>; input?: string } = {}): Result =>
  runWrangler([...args, ...envFlag(target)], { env: { ...PLAIN, ...options.env }, input: options.input });

const outputOf = ({ stdout, stderr }: Result) => [stdout, stderr].filter((s) => s.trim()).join("\n");

const mustSucceed = (result: Result, what: string): Result => {
  if (result.status !== 0) throw new CliError(`${what} failed`, { details: outputOf(result) });
  return result;
};

/** wrangler's `--json` output, or a CliError naming the command. */
const json = <T>(result: Result, what: string): T => {
  mustSucceed(result, what);
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new CliError(`${what} answered something that is not JSON`, { details: outputOf(result) });
  }
};

/** A Cloudflare API error code in wrangler's report of a failed call ("[code: 10006]"). */
const failedWithCode = (result: Result, code: number) => result.status !== 0 && outputOf(result).includes(`code: ${code}`);

export const listDatabases = (target: Target) =>
  json<{ uuid: string; name: string }[]>(run(["d1", "list", "--json"], target), "listing the D1 databases");

export const createDatabase = (name: string, target: Target) =>
  mustSucceed(run(["d1", "create", name, "--update-config=false"], target), `creating the D1 database "${name}"`);

/** Whether the bucket exists; any failure other than "no such bucket" (code 10006) is an error. */
export const bucketExists = (name: string, target: Target): boolean => {
  const result = run(["r2", "bucket", "info", name, "--json"], target);
  if (failedWithCode(result, 10006)) return false;
  mustSucceed(result, `looking up the R2 bucket "${name}"`);
  return true;
};

export const createBucket = (name: string, target: Target) =>
  mustSucceed(run(["r2", "bucket", "create", name, "--update-config=false"], target), `creating the R2 bucket "${name}"`);

/** Whether the queue exists; wrangler words a missing one itself (`Queue "x" does not exist.`). */
export const queueExists = (name: string, target: Target): boolean => {
  const result = run(["queues", "info", name], target);
  if (result.status !== 0 && outputOf(result).includes(`Queue "${name}" does not exist`)) return false;
  mustSucceed(result, `looking up the queue "${name}"`);
  return true;
};

export const createQueue = (name: string, target: Target) =>
  mustSucceed(run(["queues", "create", name], target), `creating the queue "${name}"`);

/** Applies pending migrations to the deployed database; returns wrangler's report. */
export const applyRemoteMigrations = (binding: string, target: Target) =>
  outputOf(mustSucceed(run(["d1", "migrations", "apply", binding, "--remote"], target), "applying the D1 migrations"));

/** Names of the Worker's secrets; none when the Worker does not exist yet (code 10007). */
export const secretNames = (target: Target): string[] => {
  const result = run(["secret", "list", "--format", "json"], target);
  // Wrangler words the API's 10007 itself: `Worker "x" not found`, or `Worker "x" (env: y) not found`.
  if (failedWithCode(result, 10007) || (result.status !== 0 && /Worker "[^"]+"(?: \(env: [^)]*\))? not found/.test(outputOf(result)))) {
    return [];
  }
  return json<{ name: string }[]>(result, "listing the Worker's secrets").map((s) => s.name);
};

/** Replaces one secret (a new version of the Worker, deployed at once); the value goes by stdin. */
export const putSecret = (name: string, value: string, target: Target) =>
  mustSucceed(run(["secret", "put", name], target, { input: value }), `setting the secret ${name}`);

/**
 * Runs `wrangler deploy`, with `secrets` (name → value) added to the Worker when given: written to
 * a file only this user can read, in a folder that is removed afterwards, never to argv or the
 * output. Returns the URLs wrangler deployed to (from its machine-readable output file).
 */
export const deployWorker = (target: Target, secrets: Record<string, string> | undefined): string[] => {
  const dir = mkdtempSync(join(tmpdir(), "kitty-edge-deploy-"));
  try {
    const outputFile = join(dir, "wrangler-output.ndjson");
    const secretArgs: string[] = [];
    if (secrets) {
      const file = join(dir, "secrets.json");
      writePrivateFile(file, JSON.stringify(secrets));
      secretArgs.push("--secrets-file", file);
    }
    mustSucceed(run(["deploy", ...secretArgs], target, { env: { WRANGLER_OUTPUT_FILE_PATH: outputFile } }), "wrangler deploy");
    const entries = readFileSync(outputFile, "utf8")
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as { type?: string; targets?: string[] });
    return entries.flatMap((entry) => (entry.type === "deploy" ? (entry.targets ?? []) : []));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const writePrivateFile = (file: string, content: string) => {
  // mode 0600 at creation: the key is never readable by anyone else, not even for a moment.
  writeFileSync(file, content, { mode: 0o600, flag: "wx" });
};

const API_BASE = () => (process.env.CLOUDFLARE_API_BASE_URL ?? "https://api.cloudflare.com/client/v4").replace(/\/+$/, "");

/** The account wrangler acts on: CLOUDFLARE_ACCOUNT_ID, wrangler.toml's account_id, or the only one the login reaches. */
const accountId = (target: Target): string => {
  const configured = process.env.CLOUDFLARE_ACCOUNT_ID || target.accountId;
  if (configured) return configured;
  const whoami = json<{ accounts?: { id: string; name: string }[] }>(run(["whoami", "--json"], target), "wrangler whoami");
  const accounts = whoami.accounts ?? [];
  if (accounts.length === 1) return accounts[0]!.id;
  throw new CliError(
    accounts.length === 0
      ? "the login reaches no Cloudflare account"
      : `the login reaches ${accounts.length} accounts: set CLOUDFLARE_ACCOUNT_ID to the one to deploy to (${accounts.map((a) => `${a.id} ${a.name}`).join(", ")})`,
  );
};

const api = async (path: string, token: string, init: RequestInit = {}) => {
  const res = await fetch(`${API_BASE()}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...init.headers },
  });
  const body = (await res.json().catch(() => ({}))) as {
    success?: boolean;
    result?: unknown;
    errors?: { code: number; message: string }[];
  };
  return { status: res.status, body };
};

/**
 * The account's workers.dev subdomain, registered as `wanted` (or `<script>-<random>`) when the
 * account has none: a fresh account has none, and wrangler only offers to register one
 * interactively.
 * @example await ensureSubdomain(target) // { subdomain: "acme", created: false }
 */
export const ensureSubdomain = async (target: Target, wanted?: string): Promise<{ subdomain: string; created: boolean }> => {
  const { token } = json<{ token: string }>(run(["auth", "token", "--json"], target), "reading wrangler's credentials");
  const base = `/accounts/${accountId(target)}/workers/subdomain`;
  const current = await api(base, token);
  const existing = (current.body.result as { subdomain?: string } | null)?.subdomain;
  if (current.status === 200 && existing) return { subdomain: existing, created: false };
  if (current.status !== 404)
    throw new CliError(`reading the account's workers.dev subdomain failed (HTTP ${current.status})`, {
      details: JSON.stringify(current.body.errors ?? []),
    });
  const subdomain = wanted ?? `${target.script}-${randomHex(3)}`;
  const created = await api(base, token, { method: "PUT", body: JSON.stringify({ subdomain }) });
  if (created.status !== 200 || created.body.success === false) {
    throw new CliError(
      `registering the workers.dev subdomain "${subdomain}" failed (HTTP ${created.status}); pick another with --subdomain`,
      {
        details: JSON.stringify(created.body.errors ?? []),
      },
    );
  }
  return { subdomain, created: true };
};
