/**
 * `npm run dev [-- <wrangler dev flags>]`: everything a fresh checkout needs, then `wrangler dev`.
 *  1. `.dev.vars` gets a freshly generated ES256 `JWT_PRIVATE_KEY` unless it already has one
 *     (an existing key is never replaced: tokens it signed would stop verifying).
 *  2. Pending migrations are applied to the local D1 database.
 *  3. The demo application ("Acme Demo", client `acme` / `acmesecret`, the seed document's
 *     example credentials) is inserted once; re-runs change nothing.
 *  4. `wrangler dev --port 8787` runs in the foreground with any extra arguments passed through,
 *     and with PUBLIC_BASE_URL set to the address it serves (unless .dev.vars or a `--var` sets
 *     one): a local server accepts any Host header, and links and file URLs must never be built
 *     from one a client made up.
 * @example npm run dev -- --ip 127.0.0.1
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, applyLocalMigrations, d1Execute, execWrangler, generateSigningJwk, runMain, sha256Hex, sqlString } from "./lib.mjs";

const DEV_VARS = join(ROOT, ".dev.vars");
const DEV_VARS_EXAMPLE = join(ROOT, ".dev.vars.example");
const DEFAULT_PORT = "8787";

const DEMO = { name: "Acme Demo", clientId: "acme", clientSecret: "acmesecret" };

const KEY_LINE = /^\s*(?:export\s+)?JWT_PRIVATE_KEY\s*=(.*)$/;

/** The value of a dotenv line without surrounding quotes or a trailing comment. */
const dotenvValue = (raw) => {
  const value = raw.trim();
  const quoted = /^(['"`])([\s\S]*)\1$/.exec(value);
  if (quoted) return quoted[2];
  return value.replace(/\s+#.*$/, "").trim();
};

/** Warns (never fails) when the key in `.dev.vars` is not what `src/auth/tokens.ts` accepts. */
const checkExistingKey = (value) => {
  try {
    const jwk = JSON.parse(value);
    if (jwk?.kty === "EC" && jwk.crv === "P-256" && typeof jwk.d === "string" && typeof jwk.kid === "string") return;
  } catch {
    // fall through to the warning
  }
  console.warn(
    "warning: JWT_PRIVATE_KEY in .dev.vars is not a one-line P-256 private JWK with a kid;\n" +
      "         token requests will fail. Delete the line to have a new key generated.",
  );
};

/** Step 1: make sure `.dev.vars` holds a signing key, keeping every other line as it was. */
const ensureSigningKey = async () => {
  const hadFile = existsSync(DEV_VARS);
  const text = hadFile ? readFileSync(DEV_VARS, "utf8") : existsSync(DEV_VARS_EXAMPLE) ? readFileSync(DEV_VARS_EXAMPLE, "utf8") : "";
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split(/\r?\n/);
  const keyLines = lines.flatMap((line, i) => {
    const m = KEY_LINE.exec(line);
    return m ? [{ index: i, value: dotenvValue(m[1]) }] : [];
  });

  const existing = keyLines.find((l) => l.value !== "");
  if (existing) {
    checkExistingKey(existing.value);
    return;
  }

  const jwk = await generateSigningJwk();
  const line = `JWT_PRIVATE_KEY=${JSON.stringify(jwk)}`;
  if (keyLines.length > 0) {
    lines[keyLines[0].index] = line;
  } else {
    // Append after the last non-empty line, keeping the file's final newline.
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    lines.push(line);
  }
  writeFileSync(DEV_VARS, `${lines.join(eol).replace(/(\r?\n)*$/, "")}${eol}`, { mode: 0o600 });
  console.log(
    `Generated a dev signing key (ES256, kid ${jwk.kid}) in ${hadFile ? "" : "a new "}.dev.vars. ` +
      "Keep it: tokens it signed stop verifying if it changes.",
  );
};

/**
 * Step 3: insert the demo application and its credentials unless `acme` exists, then read back
 * what is there. One `wrangler d1 execute` call, so the two inserts succeed or fail together.
 */
const seedDemoApplication = (persistTo) => {
  const key = randomUUID();
  const notSeeded = `NOT EXISTS (SELECT 1 FROM client_credentials WHERE client_id = ${sqlString(DEMO.clientId)})`;
  const sql = [
    `INSERT INTO applications (name, key) SELECT ${sqlString(DEMO.name)}, ${sqlString(key)} WHERE ${notSeeded}`,
    `INSERT INTO client_credentials (application_id, client_id, secret_hash)` +
      ` SELECT id, ${sqlString(DEMO.clientId)}, ${sqlString(sha256Hex(DEMO.clientSecret))}` +
      ` FROM applications WHERE key = ${sqlString(key)} AND ${notSeeded}`,
    `SELECT a.id, a.name, a.key, c.secret_hash, c.revoked_at FROM client_credentials c` +
      ` JOIN applications a ON a.id = c.application_id WHERE c.client_id = ${sqlString(DEMO.clientId)}`,
  ].join(";\n");
  const statements = d1Execute(sql, { persistTo });
  const row = statements.at(-1)?.results?.[0];
  if (!row) throw new Error("the demo application was not found after seeding");

  console.log(
    row.key === key
      ? `Seeded the demo application "${row.name}" (id ${row.id}).`
      : `Demo application "${row.name}" (id ${row.id}) already present.`,
  );
  if (row.secret_hash !== sha256Hex(DEMO.clientSecret)) {
    console.warn(`warning: the local "${DEMO.clientId}" credentials have a different secret than "${DEMO.clientSecret}".`);
  }
  if (row.revoked_at !== null) console.warn(`warning: the local "${DEMO.clientId}" credentials are revoked.`);
  console.log(`  client_id:     ${DEMO.clientId}`);
  console.log(`  client_secret: ${DEMO.clientSecret}`);
  console.log(`  API key:       ${row.key}`);
};

/** The value of `--flag value` or `--flag=value` among wrangler's arguments. */
const flagValue = (args, flag) => {
  const at = args.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  if (at < 0) return undefined;
  return args[at].includes("=") ? args[at].slice(flag.length + 1) : args[at + 1];
};

/** The origin `wrangler dev` will serve: its --ip (when it names one host) and --port. */
const servedOrigin = (args) => {
  const ip = flagValue(args, "--ip");
  const host = !ip || ip === "0.0.0.0" || ip === "::" || ip === "*" ? "localhost" : ip.includes(":") ? `[${ip}]` : ip;
  return `http://${host}:${flagValue(args, "--port") ?? DEFAULT_PORT}`;
};

const hasPublicBaseUrl = (args) =>
  args.some((a, i) => a.startsWith("PUBLIC_BASE_URL") && args[i - 1] === "--var") ||
  (existsSync(DEV_VARS) && /^\s*PUBLIC_BASE_URL\s*=\s*\S/m.test(readFileSync(DEV_VARS, "utf8")));

runMain(async () => {
  const extraArgs = process.argv.slice(2);

  await ensureSigningKey();

  // `--persist-to DIR` (a wrangler dev flag) moves the local state; migrate and seed that one.
  const persistAt = extraArgs.findIndex((a) => a === "--persist-to" || a.startsWith("--persist-to="));
  const persistTo =
    persistAt < 0 ? undefined : extraArgs[persistAt].includes("=") ? extraArgs[persistAt].split("=")[1] : extraArgs[persistAt + 1];

  console.log("Applying migrations to the local D1 database…");
  applyLocalMigrations({ persistTo });

  seedDemoApplication(persistTo);

  // A --port given on the command line wins over the default (wrangler rejects it twice).
  const hasPort = flagValue(extraArgs, "--port") !== undefined;
  const publicBase = hasPublicBaseUrl(extraArgs) ? [] : ["--var", `PUBLIC_BASE_URL:${servedOrigin(extraArgs)}`];
  process.exitCode = await execWrangler(["dev", ...(hasPort ? [] : ["--port", DEFAULT_PORT]), ...publicBase, ...extraArgs]);
});
