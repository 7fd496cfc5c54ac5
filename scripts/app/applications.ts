/**
 * `npm run app -- create|update`: applications. `create` makes the application and its first
 * client credential in one batch, so an application never exists without a way to get tokens.
 * @example npm run app -- create --name "My App" --json
 * @example npm run app -- update --id 2 --authenticated-sessions on
 */
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { LIMITS } from "../../src/config.ts";
import { applications } from "../../src/db/schema.ts";
import { CliError } from "../lib.mjs";
import { TARGET_OPTIONS, notFound, printJson, requireId, requireName, requireSwitch, type Command, type Values } from "./cli.ts";
import { insertCredential, newClientCredentials } from "./credentials.ts";
import { openDatabase } from "./d1.ts";

const createApplication = async (values: Values, usage: string) => {
  const name = requireName(values.name, usage);
  const { db, remote, where } = openDatabase(values, usage);

  const key = randomUUID();
  const { clientId, clientSecret, secretHash } = await newClientCredentials();
  // One batch: the application never exists without its credentials. The last statement reads
  // back the generated id (found by the key, which is unique).
  const byKey = eq(applications.key, key);
  const [, , [created]] = await db.batch([
    db.insert(applications).values({ name, key }),
    insertCredential(db, { clientId, secretHash }, byKey),
    db.select({ id: applications.id }).from(applications).where(byKey),
  ]);
  if (!created) throw new CliError(`the application was not found in the ${where} database after inserting it`);
  const { id } = created;

  if (values.json) {
    printJson({ id, name, key, clientId, clientSecret });
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

const updateApplication = async (values: Values, usage: string) => {
  const id = requireId(values.id, usage);
  const required = requireSwitch("authenticated-sessions", values["authenticated-sessions"], usage);
  const { db, where } = openDatabase(values, usage);

  const byId = eq(applications.id, id);
  const [, [application]] = await db.batch([
    db.update(applications).set({ requireAuthenticatedSessions: required }).where(byId),
    db
      .select({
        id: applications.id,
        name: applications.name,
        key: applications.key,
        requireAuthenticatedSessions: applications.requireAuthenticatedSessions,
      })
      .from(applications)
      .where(byId),
  ]);
  if (!application) throw notFound(`application with id ${id}`, where);

  if (values.json) {
    printJson(application);
    return;
  }
  const on = application.requireAuthenticatedSessions;
  console.log(`Updated application "${application.name}" (id ${id}) in the ${where} database.

  Authenticated sessions:  ${on ? "on" : "off"}
${
  on
    ? `
Chat sessions must now present one of the user's challenge tokens (the SDK's authParams: {token});
guest sessions are refused. Create tokens with POST /v1/applications/${id}/users/{userId}/tokens.`
    : `
Chat sessions need no token; a new user name starts a guest session.`
}`);
};

export const create: Command = {
  summary: "Create an application and its client credentials; prints the secret once",
  args: "--name <name> [--json] [--remote]",
  options: {
    name: { type: "string", description: `application name (1 to ${LIMITS.nameLength} characters, not blank)` },
    ...TARGET_OPTIONS,
  },
  run: createApplication,
};

export const update: Command = {
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
};
