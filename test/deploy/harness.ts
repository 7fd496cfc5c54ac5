/**
 * Running `npm run deploy` / `npm run keys` against the Cloudflare API stand-in, and reading what
 * they should have done from the repository (wrangler.toml through wrangler's own config reader,
 * migrations/, public/).
 *
 * Commands run as child processes, asynchronously (the stand-in answers from this process), with
 * an environment of their own: the stand-in's URL, token and account, a fresh HOME (no wrangler
 * login, no npm config), no variables of the AI coding agents that make wrangler behave otherwise,
 * no Cloudflare credentials of the machine.
 */
import { spawn } from "node:child_process";
import { webcrypto } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { unstable_readConfig } from "wrangler";
import { type CloudflareApi, type RecordedRequest, startCloudflareApi } from "./cloudflare-api.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");

// Variables by which wrangler (and npm) recognise an AI agent, CI of a known vendor, or a login.
const DROPPED_ENV =
  /^(CLAUDE|CURSOR|CODEX|AIDER|WINDSURF|GEMINI_CLI|COPILOT|OPENCODE|ANTIGRAVITY|AUGMENT|AI_AGENT|PI_CODING_AGENT|REPL_ID|AGENT$|AGENT_NAME$|CLOUDFLARE_|CF_|WRANGLER_|VITEST|NO_COLOR|FORCE_COLOR|HTTPS?_PROXY|NO_PROXY)/i;

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout then stderr. */
  output: string;
  ms: number;
}

/** A temporary HOME for the commands of one test file; remove it with `dispose()`. */
const isolatedHome = () => {
  const home = mkdtempSync(path.join(tmpdir(), "deploy-test-home-"));
  return { home, dispose: () => rmSync(home, { recursive: true, force: true }) };
};

/**
 * A fresh stand-in and an isolated HOME for the tests of the enclosing file or `describe`: started
 * before them, closed after. Read `api` and `home` inside tests (they are set in `beforeAll`).
 */
export const useStandIn = () => {
  const standIn = {} as { api: CloudflareApi; home: string };
  let home: ReturnType<typeof isolatedHome> | undefined;
  beforeAll(async () => {
    standIn.api = await startCloudflareApi();
    home = isolatedHome();
    standIn.home = home.home;
  });
  afterAll(async () => {
    await standIn.api?.close();
    home?.dispose();
  });
  return standIn;
};

export const childEnv = (api: CloudflareApi, home: string): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !DROPPED_ENV.test(key)) env[key] = value;
  }
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, ".config"),
    WRANGLER_HIDE_BANNER: "true",
    WRANGLER_SEND_METRICS: "false",
    CI: "true",
    NO_COLOR: "1",
    npm_config_update_notifier: "false",
    ...api.env(),
  };
};

/** Runs a command to its end (or kills it after `timeoutMs`). */
export const runCommand = (
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; input?: string; timeoutMs?: number },
): Promise<CommandResult> =>
  new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.stdin.end(options.input ?? "");
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 150_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output: `${stdout}\n${stderr}`, ms: Date.now() - started });
    });
  });

/** `npm run <script> -- <args>` in `cwd` (the repository by default) against the stand-in. */
export const npmRun = (api: CloudflareApi, home: string, script: string, args: readonly string[] = [], cwd = ROOT) =>
  runCommand("npm", ["run", script, "--", ...args], { cwd, env: childEnv(api, home) });

/** A readable account of a run for failure messages: its output and the requests it made. */
export const explain = (result: CommandResult, api: CloudflareApi, from: number) =>
  `exit ${result.code} after ${result.ms} ms\n--- output ---\n${result.output.trim()}\n--- requests ---\n${api.log(from)}`;

// ---------------------------------------------------------------------------------------------
// What wrangler.toml asks for

export interface WranglerConfig {
  name: string;
  compatibility_date: string;
  vars: Record<string, unknown>;
  d1_databases: { binding: string; database_name: string; database_id?: string; migrations_dir?: string }[];
  r2_buckets: { binding: string; bucket_name: string }[];
  durable_objects: { bindings: { name: string; class_name: string; script_name?: string }[] };
  migrations: { tag: string; [step: string]: unknown }[];
  ratelimits: { name: string; namespace_id: string; simple: { limit: number; period: number } }[];
  triggers: { crons?: string[] };
  queues: {
    producers?: { binding: string; queue: string }[];
    consumers?: { queue: string; max_batch_size?: number; max_batch_timeout?: number; max_retries?: number }[];
  };
  assets?: { directory: string; html_handling?: string; not_found_handling?: string };
}

/** wrangler.toml resolved for an environment (undefined: the top level), as `wrangler deploy --env` reads it. */
export const wranglerConfig = (env?: string, root = ROOT): WranglerConfig =>
  unstable_readConfig({ config: path.join(root, "wrangler.toml"), env }, { hideWarnings: true }) as unknown as WranglerConfig;

/** The migration files wrangler applies, in order. */
export const migrationFiles = (config: WranglerConfig, root = ROOT) => {
  const dir = path.join(root, config.d1_databases[0]?.migrations_dir ?? "migrations");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
};

/**
 * The files of the assets directory that wrangler uploads, path (`/v1/…`) → bytes: all but
 * `.assetsignore`, `_headers`, `_redirects` and what `.assetsignore` lists (gitignore-style
 * patterns; `*` and `**` and a leading `/` are understood, which is what this repository uses).
 */
export const assetFiles = (config: WranglerConfig, root = ROOT): Map<string, Buffer> => {
  const dir = path.resolve(root, config.assets!.directory);
  const ignoreFile = path.join(dir, ".assetsignore");
  const patterns = ["/.assetsignore", "/_headers", "/_redirects"];
  try {
    patterns.push(...readFileSync(ignoreFile, "utf8").split("\n"));
  } catch {
    // no .assetsignore
  }
  const matchers = patterns
    .map((p) => p.trim())
    .filter((p) => p !== "" && !p.startsWith("#"))
    .map((p) => {
      const anchored = p.startsWith("/");
      const body = p
        .replace(/^\//, "")
        .replace(/\/$/, "")
        .split(/(\*\*|\*)/)
        .map((part) => (part === "**" ? ".*" : part === "*" ? "[^/]*" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
        .join("");
      return new RegExp(`^${anchored ? "" : "(.*/)?"}${body}(/.*)?$`);
    });
  const files = new Map<string, Buffer>();
  const walk = (sub: string) => {
    for (const entry of readdirSync(path.join(dir, sub))) {
      const relative = sub ? `${sub}/${entry}` : entry;
      if (matchers.some((m) => m.test(relative))) continue;
      if (statSync(path.join(dir, relative)).isDirectory()) walk(relative);
      else files.set(`/${relative}`, readFileSync(path.join(dir, relative)));
    }
  };
  walk("");
  return files;
};

// ---------------------------------------------------------------------------------------------
// Looking at what was sent

export const apiPath = (api: CloudflareApi, rest: string) => `/accounts/${api.accountId}${rest}`;

/** The SQL texts sent to D1 (`/query` and `/raw`) by the requests. */
export const d1Queries = (requests: readonly RecordedRequest[]) =>
  requests
    .filter((r) => r.method === "POST" && /\/d1\/database\/[^/]+\/(query|raw)$/.test(r.path))
    .map((r) => String((r.body as { sql?: string })?.sql));

/** Whether a private JWK is a usable ES256 key whose public half is `publicJwk`: signs with one, verifies with the other. */
export const keyPairWorks = async (privateJwk: JsonWebKey, publicJwk: JsonWebKey) => {
  const algorithm = { name: "ECDSA", namedCurve: "P-256" };
  const { kty, crv, x, y, d } = privateJwk;
  const signing = await webcrypto.subtle.importKey("jwk", { kty, crv, x, y, d }, algorithm, false, ["sign"]);
  const verifying = await webcrypto.subtle.importKey(
    "jwk",
    { kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x, y: publicJwk.y },
    algorithm,
    false,
    ["verify"],
  );
  const data = new TextEncoder().encode("kitty-edge deploy test");
  const signature = await webcrypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, signing, data);
  return webcrypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, verifying, signature, data);
};

/** Occurrences of `needle` in `haystack`. */
export const occurrences = (haystack: string, needle: string) => haystack.split(needle).length - 1;
