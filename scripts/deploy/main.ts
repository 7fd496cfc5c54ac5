/**
 * `npm run deploy [-- --env <name>] [-- --create-app "Name"]`: from a Cloudflare account (fresh or
 * already deployed to) to the current code running, in one command that is safe to re-run.
 *
 *  1. The account's workers.dev subdomain, registered if it has none.
 *  2. The D1 database, R2 bucket and queue named in wrangler.toml, created by name if missing (so
 *     no account-specific id is ever written to wrangler.toml). `wrangler deploy` refuses a
 *     Worker whose queue does not exist, so the queue comes first.
 *  3. Remote D1 migrations, before the new code: a running older Worker meets the new schema for a
 *     moment, which is why migrations stay backward compatible for one release (docs/operations.md).
 *  4. The `JWT_PRIVATE_KEY` secret, only when the Worker has none: generated here, its public half
 *     recorded in `signing_keys` first, the private half handed to `wrangler deploy --secrets-file`
 *     and never printed. An existing key is never replaced (`npm run keys -- rotate` does that).
 *  5. `wrangler deploy`: the Worker, its static assets, bindings, Durable Object migrations, cron.
 *  6. With `--create-app`, the first application and its credentials, printed once.
 * @example npm run deploy -- --env staging --create-app "Acme"
 */
import { deleteKey, insertKey } from "../../src/auth/signing-keys.queries.ts";
import { create } from "../app/applications.ts";
import { parseCommandLine, requireName, runCli, UsageError } from "../app/cli.ts";
import { openDatabase } from "../app/d1.ts";
import { CliError } from "../lib.mjs";
import { newSigningKey, SIGNING_KEY_SECRET, type NewSigningKey } from "./signing-key.ts";
import { readTarget, type Target } from "./target.ts";
import {
  applyRemoteMigrations,
  bucketExists,
  createBucket,
  createDatabase,
  createQueue,
  deployWorker,
  ensureSubdomain,
  listDatabases,
  queueExists,
  secretNames,
} from "./wrangler.ts";

const USAGE = `Usage: npm run deploy -- [--env <name>] [--create-app <name>] [--subdomain <name>]

Creates what is missing (D1 database, R2 bucket, queue, signing key, workers.dev subdomain), applies the
D1 migrations and deploys the Worker with its assets. Safe to re-run: a second run only uploads the
new code. Needs \`npx wrangler login\`, or CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID when the
token reaches several accounts).

Options:
  --env <name>          the wrangler environment to deploy (staging, production); default: top level
  --create-app <name>   also create an application and print its credentials (once)
  --subdomain <name>    the workers.dev subdomain to register if the account has none
  --help                show this help
`;

const step = (message: string) => console.log(`• ${message}`);

const OPTIONS = {
  env: { type: "string" },
  "create-app": { type: "string" },
  subdomain: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const ensureDatabases = (target: Target) => {
  const unpinned = target.databases.filter((db) => db.id === undefined);
  if (unpinned.length === 0) return;
  const existing = new Set(listDatabases(target).map((db) => db.name));
  for (const { name } of unpinned) {
    if (existing.has(name)) {
      step(`D1 database "${name}": exists`);
    } else {
      createDatabase(name, target);
      step(`D1 database "${name}": created`);
    }
  }
};

const ensureBuckets = (target: Target) => {
  for (const name of target.buckets) {
    if (bucketExists(name, target)) {
      step(`R2 bucket "${name}": exists`);
    } else {
      createBucket(name, target);
      step(`R2 bucket "${name}": created`);
    }
  }
};

const ensureQueues = (target: Target) => {
  for (const name of target.queues) {
    if (queueExists(name, target)) {
      step(`Queue "${name}": exists`);
    } else {
      createQueue(name, target);
      step(`Queue "${name}": created`);
    }
  }
};

const migrate = (target: Target) => {
  for (const { binding } of target.databases) {
    const report = applyRemoteMigrations(binding, target);
    step(/No migrations to apply/i.test(report) ? `D1 migrations (${binding}): up to date` : `D1 migrations (${binding}): applied`);
  }
};

type RemoteDb = ReturnType<typeof openDatabase>["db"];

/** Whether the Worker has its signing key; true when that cannot be found out (keep, don't delete). */
const hasSigningSecret = (target: Target): boolean => {
  try {
    return secretNames(target).includes(SIGNING_KEY_SECRET);
  } catch {
    return true;
  }
};

/** The key to install when the Worker has none, already recorded in `signing_keys`. */
const signingKeyToInstall = async (target: Target, db: RemoteDb): Promise<NewSigningKey | undefined> => {
  if (secretNames(target).includes(SIGNING_KEY_SECRET)) {
    step(`Signing key: kept (the Worker has ${SIGNING_KEY_SECRET}; rotate with \`npm run keys -- rotate\`)`);
    return undefined;
  }
  const key = await newSigningKey();
  await insertKey(db, key.kid, key.publicJwk);
  return key;
};

const main = async () => {
  const { values, positionals } = parseCommandLine(OPTIONS, USAGE);
  if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(" ")}`, USAGE);
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const appName = values["create-app"] === undefined ? undefined : requireName(values["create-app"], USAGE);
  const target = readTarget(values.env);
  const dbValues = { remote: true, ...(target.env ? { env: target.env } : {}) };
  const { db } = openDatabase(dbValues, USAGE);
  console.log(`Deploying ${target.script}${target.env ? ` (env ${target.env})` : ""}`);

  const { subdomain, created } = await ensureSubdomain(target, values.subdomain);
  step(`workers.dev subdomain "${subdomain}": ${created ? "registered" : "exists"}`);
  ensureDatabases(target);
  ensureBuckets(target);
  ensureQueues(target);
  migrate(target);

  const key = await signingKeyToInstall(target, db);
  let urls: string[];
  try {
    urls = deployWorker(target, key ? { [SIGNING_KEY_SECRET]: key.secret } : undefined);
  } catch (error) {
    // Wrangler can fail after the upload that carried the secret (e.g. setting the cron): the
    // public half stays recorded then. Only a key that never reached the Worker is taken back.
    // If even that lookup fails, the row stays (harmless: no one holds its private half) and the
    // deploy's own error is what gets reported.
    if (key && !hasSigningSecret(target)) await deleteKey(db, key.kid).catch(() => {});
    throw error;
  }
  if (key) step(`Signing key: generated (kid ${key.kid}) and stored as the secret ${SIGNING_KEY_SECRET}`);
  const url = urls[0];
  if (!url) throw new CliError("wrangler deploy reported no URL");
  step(`Worker "${target.script}": deployed`);
  console.log(`\nDeployed ${target.script} to ${url}`);

  if (appName !== undefined) {
    console.log("");
    await create.run({ name: appName, ...dbValues }, USAGE);
    console.log(`\nGet a token:\n  curl --user '<client id>:<client secret>' --form grant_type=client_credentials ${url}/oauth/token`);
  }
};

runCli(main);
