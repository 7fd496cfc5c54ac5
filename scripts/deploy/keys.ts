/**
 * `npm run keys -- rotate|list [--env <name>]`: the deployed Worker's token signing keys.
 *
 * `rotate` replaces the signing key without logging anybody out (src/auth/key-ring.ts):
 *  1. the new key's public half goes into `signing_keys`, so every running isolate accepts tokens
 *     signed with it before any isolate signs with it;
 *  2. the `JWT_PRIVATE_KEY` secret is replaced (wrangler deploys a new version with it);
 *  3. the previous key is retired: it stays in the JWKS and verifies tokens until the last token
 *     it signed has expired (TOKEN_TTL_SECONDS plus a margin for isolates still on the old secret),
 *     then it is refused and the scheduled sweep deletes it. With `--revoke-previous` (a leaked
 *     key) it is refused at once instead: its tokens stop working, clients get new ones.
 * If step 2 fails, step 1 is taken back and nothing has changed.
 * @example npm run keys -- rotate --env production
 */
import {
  deleteExpiredKeys,
  deleteKey,
  insertKey,
  ROTATION_MARGIN_MS,
  retireKeysExcept,
  selectAcceptedKeys,
  selectAllKeys,
} from "../../src/auth/signing-keys.queries.ts";
import { readConfig } from "../../src/config.ts";
import { parseCommandLine, runCli, UsageError } from "../app/cli.ts";
import { openDatabase } from "../app/d1.ts";
import { CliError } from "../lib.mjs";
import { newSigningKey, SIGNING_KEY_SECRET } from "./signing-key.ts";
import { readTarget, type Target } from "./target.ts";
import { putSecret, secretNames } from "./wrangler.ts";

const USAGE = `Usage: npm run keys -- <command> [--env <name>]

Commands:
  rotate   replace the token signing key; tokens signed with the previous key stay valid until they expire
           (--revoke-previous: refuse them at once, for a leaked key)
  list     show the recorded keys and until when each is accepted

Options:
  --env <name>         the wrangler environment (staging, production); default: top level
  --revoke-previous    with rotate: the previous key stops verifying now
  --help               show this help
`;

const OPTIONS = {
  env: { type: "string" },
  "revoke-previous": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const remoteDb = (target: Target) => openDatabase({ remote: true, ...(target.env ? { env: target.env } : {}) }, USAGE).db;

const iso = (date: Date | null) => (date ? date.toISOString() : "-");

const list = async (target: Target) => {
  const rows = await selectAllKeys(remoteDb(target));
  if (rows.length === 0) {
    console.log(`No signing keys recorded for ${target.script} yet (\`npm run deploy\` records one).`);
    return;
  }
  console.log("kid               created                   retired                   accepted until");
  for (const row of rows) {
    console.log(
      `${row.kid.padEnd(17)} ${iso(row.createdAt).padEnd(25)} ${iso(row.retiredAt).padEnd(25)} ${row.acceptedUntil ? iso(row.acceptedUntil) : "(signing key)"}`,
    );
  }
};

const rotate = async (target: Target, revokePrevious: boolean) => {
  if (!secretNames(target).includes(SIGNING_KEY_SECRET)) {
    throw new CliError(`${target.script} has no ${SIGNING_KEY_SECRET} to rotate: run \`npm run deploy\` first`);
  }
  const db = remoteDb(target);
  const previous = await selectAcceptedKeys(db, Date.now());
  const signing = previous.filter((key) => key.acceptedUntil === null);
  if (signing.length === 0) {
    // Without the current key's public half, its tokens could not be verified after the swap.
    throw new CliError(
      `the signing key of ${target.script} is not recorded in signing_keys yet (the Worker's scheduled sweep records it within 5 minutes of a deployment); try again then`,
    );
  }

  const key = await newSigningKey();
  await insertKey(db, key.kid, key.publicJwk);
  try {
    putSecret(SIGNING_KEY_SECRET, key.secret, target);
  } catch (error) {
    await deleteKey(db, key.kid).catch(() => {});
    throw error;
  }

  const now = Date.now();
  const tokenTtlMs = readConfig(target.vars).tokenTtlSeconds * 1000;
  const acceptedUntil = revokePrevious ? now : now + tokenTtlMs + ROTATION_MARGIN_MS;
  await db.batch([retireKeysExcept(db, key.kid, { now, acceptedUntil }), deleteExpiredKeys(db, now)]);

  const kids = signing.map((k) => k.kid).join(", ");
  console.log(`Rotated the signing key of ${target.script}: key ${key.kid} signs from now on.`);
  console.log(
    revokePrevious
      ? `Previous key ${kids} is revoked: tokens it signed are refused within TOKEN_EPOCH_TTL_SECONDS; clients get new tokens from /oauth/token.`
      : `Previous key ${kids} stays in /.well-known/jwks.json and verifies the tokens it signed until ${new Date(acceptedUntil).toISOString()}.`,
  );
};

const main = async () => {
  const { values, positionals } = parseCommandLine(OPTIONS, USAGE);
  if (values.help || positionals.length === 0) {
    process.stdout.write(USAGE);
    if (!values.help) process.exitCode = 2;
    return;
  }
  const [command, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`, USAGE);
  const target = readTarget(values.env);
  if (command === "rotate") return rotate(target, values["revoke-previous"] === true);
  if (values["revoke-previous"]) throw new UsageError("--revoke-previous goes with rotate", USAGE);
  if (command === "list") return list(target);
  throw new UsageError(`unknown command "${command}"`, USAGE);
};

runCli(main);
