/**
 * `npm run app -- <command>`: manage applications and their client credentials in D1, locally
 * (the database `npm run dev` serves) or in the deployed database with `--remote`. The running
 * server sees credential changes at once: it reads credentials from D1 on every token request.
 * A raised token epoch (`tokens revoke-all`) reaches every Worker isolate within
 * TOKEN_EPOCH_TTL_SECONDS: isolates cache epochs so that authenticating needs no D1 query.
 *
 * Commands are a tree (`COMMANDS`): a node either has `run` (a command) or `commands` (a group,
 * e.g. `credentials add|list|revoke`), so adding one is adding an entry.
 * @example npm run app -- create --name "My App" --json
 * @example npm run app -- update --id 2 --authenticated-sessions on
 * @example npm run app -- credentials revoke --client ck_0123456789abcdef01234567
 */
import { randomBytes, randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { CliError, applyLocalMigrations, d1Execute, isSqlSafe, randomHex, runMain, sha256Hex, sqlString } from "./lib.mjs";

const PROGRAM = "npm run app --";
const NAME_MAX_LENGTH = 255; // contract §1: counted as JavaScript's String.length

/** Bad usage: exit code 2, with the usage of the command that was being parsed. */
class UsageError extends CliError {
  constructor(message, usage) {
    super(message, { exitCode: 2 });
    this.usage = usage;
  }
}

/** Options every command that touches D1 takes. */
const TARGET_OPTIONS = {
  remote: { type: "boolean", description: "use the deployed D1 database (needs `wrangler login` or CLOUDFLARE_API_TOKEN)" },
  local: { type: "boolean", description: "use the local D1 database of `npm run dev` (the default)" },
  json: { type: "boolean", description: "print one JSON object on stdout and nothing else" },
};

/** `--remote` or the default local database; local runs apply pending migrations first. */
const target = (values, usage) => {
  if (values.remote && values.local) throw new UsageError("--local and --remote cannot be combined", usage);
  const remote = Boolean(values.remote);
  if (!remote) applyLocalMigrations();
  return { remote, where: remote ? "remote D1" : "local D1" };
};

const validateName = (name, usage) => {
  if (name === undefined) throw new UsageError("--name is required", usage);
  if (name.trim() === "") throw new UsageError("--name must not be empty or blank", usage);
  if (name.length > NAME_MAX_LENGTH) {
    throw new UsageError(`--name must be at most ${NAME_MAX_LENGTH} characters (got ${name.length})`, usage);
  }
  if (!isSqlSafe(name)) throw new UsageError("--name must not contain control characters", usage);
  return name;
};

/** A client id (`ck_` + 96 random bits in hex) and a secret of 256 random bits, base64url. */
const newClientCredentials = () => ({
  clientId: `ck_${randomHex(12)}`,
  clientSecret: randomBytes(32).toString("base64url"),
});

const createApplication = (values, usage) => {
  const name = validateName(values.name, usage);
  const { remote, where } = target(values, usage);

  const key = randomUUID();
  const { clientId, clientSecret } = newClientCredentials();
  // One `d1 execute` call: its statements run as one batch, so the application never exists
  // without its credentials. The last statement reads back the generated id.
  const sql = [
    `INSERT INTO applications (name, key) VALUES (${sqlString(name)}, ${sqlString(key)})`,
    `INSERT INTO client_credentials (application_id, client_id, secret_hash)` +
      ` SELECT id, ${sqlString(clientId)}, ${sqlString(sha256Hex(clientSecret))} FROM applications WHERE key = ${sqlString(key)}`,
    `SELECT id FROM applications WHERE key = ${sqlString(key)}`,
  ].join(";\n");
  const id = d1Execute(sql, { remote }).at(-1)?.results?.[0]?.id;
  if (typeof id !== "number") throw new CliError(`the application was not found in the ${where} database after inserting it`);

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ id, name, key, clientId, clientSecret })}\n`);
    return;
  }
  console.log(`Created application "${name}" in the ${where} database.

  Application id:  ${id}
  Name:            ${name}
  API key:         ${key}
  Client id:       ${clientId}
  Client secret:   ${clientSecret}

The client secret is shown only this once: only its SHA-256 hash is stored. Save it now.`);
  if (!remote) {
    console.log(`
Get a token from the dev server:
  curl --user '${clientId}:${clientSecret}' --form grant_type=client_credentials http://localhost:8787/oauth/token`);
  }
};

/** An application id: a positive integer, as the Platform API shows it. */
const validateId = (id, usage, flag = "id") => {
  if (id === undefined) throw new UsageError(`--${flag} is required`, usage);
  if (!/^[1-9]\d{0,15}$/.test(id) || !Number.isSafeInteger(Number(id))) {
    throw new UsageError(`--${flag} must be an application id (a positive integer), got ${JSON.stringify(id)}`, usage);
  }
  return Number(id);
};

const SWITCH = { on: true, off: false };

/** A setting that is switched with `on` or `off`. */
const validateSwitch = (flag, value, usage) => {
  if (value === undefined) throw new UsageError(`--${flag} is required`, usage);
  if (!Object.hasOwn(SWITCH, value)) throw new UsageError(`--${flag} must be on or off, got ${JSON.stringify(value)}`, usage);
  return SWITCH[value];
};

const updateApplication = (values, usage) => {
  const id = validateId(values.id, usage);
  const required = validateSwitch("authenticated-sessions", values["authenticated-sessions"], usage);
  const { remote, where } = target(values, usage);

  // `id` is a validated integer, so it is safe to inline; both statements run as one batch.
  const sql = [
    `UPDATE applications SET require_authenticated_sessions = ${required ? 1 : 0} WHERE id = ${id}`,
    `SELECT id, name, key, require_authenticated_sessions FROM applications WHERE id = ${id}`,
  ].join(";\n");
  const row = d1Execute(sql, { remote }).at(-1)?.results?.[0];
  if (!row) throw new CliError(`there is no application with id ${id} in the ${where} database`);
  const application = {
    id: row.id,
    name: row.name,
    key: row.key,
    requireAuthenticatedSessions: Boolean(row.require_authenticated_sessions),
  };

  if (values.json) {
    process.stdout.write(`${JSON.stringify(application)}\n`);
    return;
  }
  console.log(`Updated application "${application.name}" (id ${id}) in the ${where} database.

  Authenticated sessions:  ${application.requireAuthenticatedSessions ? "on" : "off"}
${
  application.requireAuthenticatedSessions
    ? `
Chat sessions must now present one of the user's challenge tokens (the SDK's authParams: {token});
guest sessions are refused. Create tokens with POST /v1/applications/${id}/users/{userId}/tokens.`
    : `
Chat sessions need no token; a new user name starts a guest session.`
}`);
};

/** A client id as `credentials list` prints it; any id the table holds (the demo's is `acme`). */
const validateClientId = (clientId, usage) => {
  if (clientId === undefined) throw new UsageError("--client is required", usage);
  if (clientId === "") throw new UsageError("--client must not be empty", usage);
  if (clientId.length > NAME_MAX_LENGTH) throw new UsageError(`--client must be at most ${NAME_MAX_LENGTH} characters`, usage);
  if (!isSqlSafe(clientId)) throw new UsageError("--client must not contain control characters", usage);
  return clientId;
};

/** `created_at`/`revoked_at` are milliseconds since the epoch; shown as ISO 8601 (UTC). */
const isoTime = (ms) => (typeof ms === "number" ? new Date(ms).toISOString() : null);

const credentialOf = (row) => ({
  clientId: row.client_id,
  applicationId: row.application_id,
  createdAt: isoTime(row.created_at),
  revokedAt: isoTime(row.revoked_at),
});

const NOW_MS = "cast(unixepoch('subsec') * 1000 as integer)";

const addCredential = (values, usage) => {
  const applicationId = validateId(values.app, usage, "app");
  const { remote, where } = target(values, usage);

  const { clientId, clientSecret } = newClientCredentials();
  // Inserted only if the application exists (INSERT … SELECT); the last statement reads it back.
  const sql = [
    `INSERT INTO client_credentials (application_id, client_id, secret_hash)` +
      ` SELECT id, ${sqlString(clientId)}, ${sqlString(sha256Hex(clientSecret))} FROM applications WHERE id = ${applicationId}`,
    `SELECT client_id, application_id, created_at, revoked_at FROM client_credentials WHERE client_id = ${sqlString(clientId)}`,
  ].join(";\n");
  const row = d1Execute(sql, { remote }).at(-1)?.results?.[0];
  if (!row) throw new CliError(`there is no application with id ${applicationId} in the ${where} database`);
  const credential = credentialOf(row);

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ...credential, clientSecret })}\n`);
    return;
  }
  console.log(`Added a client credential to application ${applicationId} in the ${where} database.

  Client id:       ${clientId}
  Client secret:   ${clientSecret}

The client secret is shown only this once: only its SHA-256 hash is stored. Save it now.
The application's other credentials keep working; revoke one with
  ${PROGRAM} credentials revoke --client <clientId>${remote ? " --remote" : ""}`);
};

const listCredentials = (values, usage) => {
  const applicationId = validateId(values.app, usage, "app");
  const { remote, where } = target(values, usage);

  // Secrets are never stored, and hashes are not printed either.
  const sql = [
    `SELECT id FROM applications WHERE id = ${applicationId}`,
    `SELECT client_id, application_id, created_at, revoked_at FROM client_credentials WHERE application_id = ${applicationId} ORDER BY id`,
  ].join(";\n");
  const [application, credentials] = d1Execute(sql, { remote });
  if (!application?.results?.[0]) throw new CliError(`there is no application with id ${applicationId} in the ${where} database`);
  const rows = (credentials?.results ?? []).map(credentialOf);

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ applicationId, credentials: rows })}\n`);
    return;
  }
  if (rows.length === 0) {
    console.log(`Application ${applicationId} has no client credentials in the ${where} database.`);
    return;
  }
  const table = [["CLIENT ID", "CREATED", "REVOKED"], ...rows.map((r) => [r.clientId, r.createdAt, r.revokedAt ?? "-"])];
  const widths = table[0].map((_, i) => Math.max(...table.map((cells) => cells[i].length)));
  console.log(`Client credentials of application ${applicationId} in the ${where} database:\n`);
  for (const cells of table) console.log(`  ${cells.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()}`);
};

const revokeCredential = (values, usage) => {
  const clientId = validateClientId(values.client, usage);
  const { remote, where } = target(values, usage);

  // Idempotent: an already revoked credential keeps its first revocation time. The first SELECT
  // tells which case this is (`d1 execute --json` reports no row counts for an UPDATE).
  const sql = [
    `SELECT revoked_at FROM client_credentials WHERE client_id = ${sqlString(clientId)}`,
    `UPDATE client_credentials SET revoked_at = ${NOW_MS} WHERE client_id = ${sqlString(clientId)} AND revoked_at IS NULL`,
    `SELECT client_id, application_id, created_at, revoked_at FROM client_credentials WHERE client_id = ${sqlString(clientId)}`,
    `SELECT count(*) AS active FROM client_credentials WHERE revoked_at IS NULL AND application_id =` +
      ` (SELECT application_id FROM client_credentials WHERE client_id = ${sqlString(clientId)})`,
  ].join(";\n");
  const [before, , read, count] = d1Execute(sql, { remote });
  const row = read?.results?.[0];
  if (!row) throw new CliError(`there is no client credential ${JSON.stringify(clientId)} in the ${where} database`);
  const credential = credentialOf(row);
  const alreadyRevoked = before?.results?.[0]?.revoked_at != null;
  const activeCredentials = count?.results?.[0]?.active ?? 0;

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ...credential, alreadyRevoked, activeCredentials })}\n`);
    return;
  }
  console.log(`${alreadyRevoked ? "Already revoked" : "Revoked"}: client ${clientId} of application ${credential.applicationId} in the ${where} database (since ${credential.revokedAt}).

It gets no new access tokens. Tokens it was already given stay valid until they expire
(TOKEN_TTL_SECONDS, 12 h by default); to cut off every token of the application now, run
  ${PROGRAM} tokens revoke-all --app ${credential.applicationId}${remote ? " --remote" : ""}
The application has ${activeCredentials} active credential${activeCredentials === 1 ? "" : "s"} left.`);
};

const revokeAllTokens = (values, usage) => {
  const applicationId = validateId(values.app, usage, "app");
  const { remote, where } = target(values, usage);

  const sql = [
    `UPDATE applications SET token_epoch = token_epoch + 1 WHERE id = ${applicationId}`,
    `SELECT id, name, token_epoch FROM applications WHERE id = ${applicationId}`,
  ].join(";\n");
  const row = d1Execute(sql, { remote }).at(-1)?.results?.[0];
  if (!row) throw new CliError(`there is no application with id ${applicationId} in the ${where} database`);

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ applicationId, tokenEpoch: row.token_epoch })}\n`);
    return;
  }
  console.log(`Raised the token epoch of application "${row.name}" (id ${applicationId}) to ${row.token_epoch} in the ${where} database.

Every access token issued to it before now is refused (401 invalid_token) within
TOKEN_EPOCH_TTL_SECONDS (30 s by default) by every running Worker. Clients whose credentials are
not revoked get a new token from /oauth/token as usual.`);
};

const COMMANDS = {
  commands: {
    create: {
      summary: "Create an application and its client credentials; prints the secret once",
      args: "--name <name> [--json] [--remote]",
      options: {
        name: { type: "string", description: `application name (1 to ${NAME_MAX_LENGTH} characters, not blank)` },
        ...TARGET_OPTIONS,
      },
      run: createApplication,
    },
    update: {
      summary: "Change an application's settings",
      args: "--id <id> --authenticated-sessions on|off [--json] [--remote]",
      options: {
        id: { type: "string", description: "the application's id (as in /v1/applications/{id})" },
        "authenticated-sessions": {
          type: "string",
          value: "on|off",
          description: "on: sessions must present a user challenge token (no guests); off: anyone",
        },
        ...TARGET_OPTIONS,
      },
      run: updateApplication,
    },
    credentials: {
      summary: "Manage an application's client credentials (add, list, revoke)",
      commands: {
        add: {
          summary: "Add a client credential to an application; prints the secret once",
          args: "--app <id> [--json] [--remote]",
          options: {
            app: { type: "string", value: "id", description: "the application's id (as in /v1/applications/{id})" },
            ...TARGET_OPTIONS,
          },
          run: addCredential,
        },
        list: {
          summary: "List an application's client credentials: ids, created, revoked (never secrets)",
          args: "--app <id> [--json] [--remote]",
          options: {
            app: { type: "string", value: "id", description: "the application's id (as in /v1/applications/{id})" },
            ...TARGET_OPTIONS,
          },
          run: listCredentials,
        },
        revoke: {
          summary: "Revoke a client credential: it gets no new tokens (idempotent)",
          args: "--client <clientId> [--json] [--remote]",
          options: {
            client: { type: "string", value: "clientId", description: "the client id to revoke (see `credentials list`)" },
            ...TARGET_OPTIONS,
          },
          run: revokeCredential,
        },
      },
    },
    tokens: {
      summary: "Cut off access tokens already issued (revoke-all)",
      commands: {
        "revoke-all": {
          summary: "Raise an application's token epoch: every access token issued before is refused",
          args: "--app <id> [--json] [--remote]",
          options: {
            app: { type: "string", value: "id", description: "the application's id (as in /v1/applications/{id})" },
            ...TARGET_OPTIONS,
          },
          run: revokeAllTokens,
        },
      },
    },
  },
};

const optionsHelp = (options) => {
  const rows = Object.entries(options)
    .map(([flag, o]) => [`${flag}${o.type === "string" ? ` <${o.value ?? flag}>` : ""}`, o.description])
    .concat([["help", "show this help"]]);
  const width = Math.max(16, ...rows.map(([synopsis]) => synopsis.length));
  return rows.map(([synopsis, description]) => `  --${synopsis.padEnd(width)} ${description}`).join("\n");
};

const usageOf = (path, node) => {
  const prefix = [PROGRAM, ...path].join(" ");
  if (node.run) {
    return `Usage: ${prefix} ${node.args}\n\n${node.summary}.\n\nOptions:\n${optionsHelp(node.options)}\n`;
  }
  const width = Math.max(...Object.keys(node.commands).map((n) => n.length));
  const list = Object.entries(node.commands)
    .map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary ?? `(${Object.keys(c.commands).join(", ")})`}`)
    .join("\n");
  return `Usage: ${prefix} <command> [options]\n\nCommands:\n${list}\n\nRun \`${prefix} <command> --help\` for a command's options.\n`;
};

/** Walks argv down the command tree, then parses the remaining arguments as the command's options. */
const dispatch = async (argv) => {
  const path = [];
  let node = COMMANDS;
  let rest = argv;
  while (node.commands) {
    const [word, ...tail] = rest;
    const usage = usageOf(path, node);
    if (word === undefined) throw new UsageError(`missing command`, usage);
    if (word === "--help" || word === "-h" || word === "help") {
      process.stdout.write(usage);
      return;
    }
    const next = Object.hasOwn(node.commands, word) ? node.commands[word] : undefined;
    if (!next) throw new UsageError(`unknown command "${[...path, word].join(" ")}"`, usage);
    path.push(word);
    node = next;
    rest = tail;
  }

  // Option errors show the synopsis only; the full option list is one `--help` away.
  const prefix = [PROGRAM, ...path].join(" ");
  const usage = `Usage: ${prefix} ${node.args}\nRun \`${prefix} --help\` for the options.\n`;
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { ...Object.fromEntries(Object.entries(node.options).map(([k, o]) => [k, { type: o.type }])), help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error.message, usage);
  }
  if (values.help) {
    process.stdout.write(usageOf(path, node));
    return;
  }
  await node.run(values, usage);
};

runMain(async () => {
  try {
    await dispatch(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n\n${error.usage}`);
      process.exitCode = error.exitCode;
      return;
    }
    throw error;
  }
});
