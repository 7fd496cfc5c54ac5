/**
 * Shared pieces of the developer scripts (`dev.mjs`, the `app/` CLI, `check-bundle.mjs`, and
 * bench/): running wrangler, talking to D1 through `wrangler d1 execute`, hashing client secrets
 * and quoting SQL literals, and generating the dev signing key. Node built-ins only, so the
 * scripts run before any build. Plain JavaScript, so that `.mjs` scripts on any Node can import it;
 * the TypeScript CLI reads its types through `allowJs` (scripts/tsconfig.json).
 * @example const rows = d1Execute(`SELECT id FROM applications WHERE key = ${sqlString(key)}`)
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes, webcrypto } from "node:crypto";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: wrangler runs here so it finds `wrangler.toml`, `.dev.vars` and `.wrangler/`. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The D1 binding in `wrangler.toml`. */
export const DB_BINDING = "DB";

/** An error meant for the person at the terminal: printed without a stack, then exit with `exitCode`. */
export class CliError extends Error {
  /** @param {string} message @param {{ exitCode?: number, details?: string }} [options] */
  constructor(message, { exitCode = 1, details } = {}) {
    super(message);
    this.exitCode = exitCode;
    /** Extra output (e.g. wrangler's) shown under the message. */
    this.details = details;
  }
}

/**
 * Runs a script's main function: a `CliError` prints its message (and details) to stderr and
 * exits with its code; anything else is a bug and keeps its stack.
 * @example runMain(async () => { ... })
 */
export const runMain = (main) => {
  Promise.resolve()
    .then(main)
    .catch((error) => {
      if (error instanceof CliError) {
        if (error.details) process.stderr.write(`${error.details.trimEnd()}\n`);
        process.stderr.write(`error: ${error.message}\n`);
        process.exitCode = error.exitCode;
      } else {
        console.error(error);
        process.exitCode = 1;
      }
    });
};

// Wrangler 4.87+ refuses Node < 22.12. `npm run` puts the `node@22` devDependency first on
// PATH, so this script normally already runs on it; when someone runs `node scripts/x.mjs` on
// the machine's Node 20 instead, wrangler is started with the project's Node 22 binary.
const WRANGLER_JS = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const PROJECT_NODE = join(ROOT, "node_modules", ".bin", "node");

const nodeIsRecentEnough = () => {
  const [major, minor] = process.versions.node.split(".").map(Number);
  return major > 22 || (major === 22 && minor >= 12);
};

const wranglerCommand = (args) => {
  if (!existsSync(WRANGLER_JS)) {
    throw new CliError("wrangler is not installed; run `npm install` first");
  }
  const node = nodeIsRecentEnough() || !existsSync(PROJECT_NODE) ? process.execPath : PROJECT_NODE;
  return { command: node, args: [WRANGLER_JS, ...args] };
};

// CI=true makes wrangler take the non-interactive path: `d1 migrations apply` confirms with its
// default ("yes") instead of waiting on a prompt, and nothing asks about logins or telemetry.
const NON_INTERACTIVE_ENV = { CI: "true" };

/**
 * Runs wrangler to completion with its output captured. `input` is written to its stdin (how a
 * secret reaches `wrangler secret put` without appearing in argv).
 * @example const { status, stdout, stderr } = runWrangler(["d1", "migrations", "list", "DB", "--local"])
 * @param {string[]} args
 * @param {{ env?: Record<string, string>, input?: string }} [options]
 */
export const runWrangler = (args, { env = {}, input } = {}) => {
  const { command, args: argv } = wranglerCommand(args);
  const result = spawnSync(command, argv, {
    cwd: ROOT,
    env: { ...process.env, ...NON_INTERACTIVE_ENV, ...env },
    encoding: "utf8",
    input,
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new CliError(`could not start wrangler: ${result.error.message}`);
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
};

/**
 * Starts a long-running wrangler (e.g. `dev`) with the terminal attached, forwards SIGINT and
 * SIGTERM to it, and resolves with the exit code to leave with.
 * @example process.exitCode = await execWrangler(["dev", "--port", "8787"])
 */
export const execWrangler = (args) =>
  new Promise((resolve, reject) => {
    const { command, args: argv } = wranglerCommand(args);
    const child = spawn(command, argv, { cwd: ROOT, stdio: "inherit" });
    const forward = (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
    for (const s of signals) process.on(s, forward);
    child.on("error", (error) => reject(new CliError(`could not start wrangler: ${error.message}`)));
    child.on("exit", (code, signal) => {
      for (const s of signals) process.off(s, forward);
      // A child killed by a signal leaves with 128 + its number, as a shell would report it.
      resolve(code ?? 128 + (constants.signals[signal] ?? 0));
    });
  });

/** The local database: wrangler's default state folder, or `persistTo` (as `wrangler dev --persist-to`). */
const localFlags = (persistTo) => ["--local", ...(persistTo ? ["--persist-to", persistTo] : [])];

const wranglerOutput = ({ stdout, stderr }) => [stdout, stderr].filter((s) => s?.trim()).join("\n");

/**
 * Applies pending migrations to the local D1 (`.wrangler/state`). Quiet on success; on failure
 * throws with wrangler's output.
 * @example applyLocalMigrations()
 */
export const applyLocalMigrations = ({ persistTo } = {}) => {
  const result = runWrangler(["d1", "migrations", "apply", DB_BINDING, ...localFlags(persistTo)]);
  if (result.status !== 0) {
    throw new CliError("applying migrations to the local D1 database failed", { details: wranglerOutput(result) });
  }
  return result;
};

const LOCKED_RETRIES = 5;
const isLocked = (result) => /database is locked|SQLITE_BUSY/.test(`${result.stdout}${result.stderr}`);

/**
 * Executes SQL (one or more `;`-separated statements, run as one batch) with
 * `wrangler d1 execute --json` and returns one `{results, success, meta}` per statement. `env`
 * picks a wrangler environment's database (`[env.<name>]` in wrangler.toml).
 * @example const [{ results }] = d1Execute("SELECT 1 AS one") // results: [{ one: 1 }]
 */
export const d1Execute = (sql, { remote = false, persistTo, env } = {}) => {
  const args = [
    "d1",
    "execute",
    DB_BINDING,
    ...(remote ? ["--remote"] : localFlags(persistTo)),
    ...(env ? ["--env", env] : []),
    "--json",
    "--yes",
    "--command",
    sql,
  ];
  let result = runWrangler(args);
  // A running `npm run dev` may hold the local database's write lock for a moment: the batch ran
  // nothing (it is one transaction), so it is safe to try again.
  for (let attempt = 1; !remote && result.status !== 0 && isLocked(result) && attempt <= LOCKED_RETRIES; attempt++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200 * attempt);
    result = runWrangler(args);
  }
  let parsed;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    parsed = undefined;
  }
  if (result.status !== 0 || !Array.isArray(parsed)) {
    // With --json, wrangler reports SQL errors as {"error": {"text": "..."}} on stdout.
    const reason = parsed?.error?.text ?? parsed?.error?.message;
    throw new CliError(`wrangler d1 execute (${remote ? "remote" : "local"}) failed${reason ? `: ${reason}` : ""}`, {
      details: reason ? result.stderr : wranglerOutput(result),
    });
  }
  return parsed;
};

/**
 * Lowercase hex SHA-256 of a string's UTF-8 bytes: the form of `client_credentials.secret_hash`.
 * @example sha256Hex("acmesecret") // "1c5b…" (64 hex characters)
 */
export const sha256Hex = (value) => createHash("sha256").update(value, "utf8").digest("hex");

// C0 controls (NUL included) and DEL. Nothing we store needs them, and a NUL would truncate the
// statement on its way through argv and SQLite's C API.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * A SQLite string literal: single quotes doubled, wrapped in single quotes. Control characters
 * and unpaired surrogates are refused rather than escaped, since SQLite literals have no escapes.
 * Only for the scripts, which must hand wrangler a single SQL string; the Worker binds values.
 * @example sqlString("it's") // "'it''s'"
 */
export const sqlString = (value) => {
  if (typeof value !== "string") throw new TypeError(`sqlString expects a string, got ${typeof value}`);
  if (CONTROL_CHARACTERS.test(value)) throw new RangeError("SQL string literal contains a control character");
  if (!value.isWellFormed()) throw new RangeError("SQL string literal contains an unpaired surrogate");
  return `'${value.replaceAll("'", "''")}'`;
};

/** Whether `sqlString` accepts the value. @example isSqlSafe("a\u0000b") // false */
export const isSqlSafe = (value) => typeof value === "string" && !CONTROL_CHARACTERS.test(value) && value.isWellFormed();

/** `n` random bytes as lowercase hex. @example randomHex(8) // "9f2c…" (16 characters) */
export const randomHex = (n) => randomBytes(n).toString("hex");

/**
 * A fresh ES256 (P-256) private JWK for `JWT_PRIVATE_KEY`, with a random `kid`, `alg` and `use`.
 * `ext` and `key_ops` are dropped: `key_ops: ["sign"]` would otherwise follow the public half
 * derived from this JWK and make it unusable for verification.
 * @example JSON.stringify(await generateSigningJwk()) // '{"kty":"EC","crv":"P-256",…,"kid":"…"}'
 */
export const generateSigningJwk = async () => {
  const { privateKey } = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const { kty, crv, x, y, d } = await webcrypto.subtle.exportKey("jwk", privateKey);
  return { kty, crv, x, y, d, kid: randomHex(8), alg: "ES256", use: "sig" };
};
