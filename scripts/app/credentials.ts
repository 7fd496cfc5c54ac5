/**
 * `npm run app -- credentials add|list|revoke`: an application's client credentials. Secrets are
 * generated and hashed by src/auth/secrets.ts, as the Worker checks them; only the hash is
 * stored, and the secret is printed once.
 * @example npm run app -- credentials revoke --client ck_0123456789abcdef01234567
 */
import { and, asc, count, eq, isNull, sql, type SQL } from "drizzle-orm";
import type { SqliteRemoteDatabase } from "drizzle-orm/sqlite-proxy";
import { generateClientSecret, hashSecret } from "../../src/auth/secrets.ts";
import { readConfig } from "../../src/config.ts";
import { applications, clientCredentials } from "../../src/db/schema.ts";
import { randomHex } from "../lib.mjs";
import {
  APP_OPTION,
  PROGRAM,
  TARGET_OPTIONS,
  duration,
  notFound,
  printJson,
  requireClientId,
  requireId,
  type Command,
  type Group,
  type Values,
} from "./cli.ts";
import { openDatabase } from "./d1.ts";

/** A client id (`ck_` + 96 random bits in hex) and a secret of 256 random bits, base64url. */
export const newClientCredentials = async () => {
  const clientId = `ck_${randomHex(12)}`;
  const clientSecret = generateClientSecret();
  return { clientId, clientSecret, secretHash: await hashSecret(clientSecret) };
};

/**
 * Inserts a credential for the application that `application` selects (a condition on
 * `applications`), and nothing when it selects none. The other columns take their defaults.
 */
export const insertCredential = (
  db: SqliteRemoteDatabase,
  { clientId, secretHash }: { clientId: string; secretHash: string },
  application: SQL,
) => {
  const { applicationId, clientId: clientIdColumn, secretHash: secretHashColumn } = clientCredentials;
  const columns = sql.join(
    [applicationId, clientIdColumn, secretHashColumn].map((c) => sql.identifier(c.name)),
    sql`, `,
  );
  return db.run(
    sql`insert into ${clientCredentials} (${columns}) select ${applications.id}, ${clientId}, ${secretHash} from ${applications} where ${application}`,
  );
};

/** What is shown of a credential: never its secret, nor its hash. */
const CREDENTIAL = {
  clientId: clientCredentials.clientId,
  applicationId: clientCredentials.applicationId,
  createdAt: clientCredentials.createdAt,
  revokedAt: clientCredentials.revokedAt,
};

type CredentialRow = { clientId: string; applicationId: number; createdAt: Date; revokedAt: Date | null };

/** Times as ISO 8601 (UTC); they are stored as milliseconds since the epoch. */
const credentialOf = (row: CredentialRow) => ({
  clientId: row.clientId,
  applicationId: row.applicationId,
  createdAt: row.createdAt.toISOString(),
  revokedAt: row.revokedAt?.toISOString() ?? null,
});

/** The clock of the schema's `created_at` defaults: milliseconds, from SQLite. */
const NOW_MS = sql`cast(unixepoch('subsec') * 1000 as integer)`;

const addCredential = async (values: Values, usage: string) => {
  const applicationId = requireId(values.app, usage, "app");
  const { db, remote, where } = openDatabase(values, usage);

  const { clientId, clientSecret, secretHash } = await newClientCredentials();
  // Inserted only if the application exists (INSERT … SELECT); the last statement reads it back.
  const [, [row]] = await db.batch([
    insertCredential(db, { clientId, secretHash }, eq(applications.id, applicationId)),
    db.select(CREDENTIAL).from(clientCredentials).where(eq(clientCredentials.clientId, clientId)),
  ]);
  if (!row) throw notFound(`application with id ${applicationId}`, where);
  const credential = credentialOf(row);

  if (values.json) {
    printJson({ ...credential, clientSecret });
    return;
  }
  console.log(`Added a client credential to application ${applicationId} in the ${where} database.

  Client id:       ${clientId}
  Client secret:   ${clientSecret}

The client secret is shown only this once: only its SHA-256 hash is stored. Save it now.
The application's other credentials keep working; revoke one with
  ${PROGRAM} credentials revoke --client <clientId>${remote ? " --remote" : ""}`);
};

const listCredentials = async (values: Values, usage: string) => {
  const applicationId = requireId(values.app, usage, "app");
  const { db, where } = openDatabase(values, usage);

  const [application, rows] = await db.batch([
    db.select({ id: applications.id }).from(applications).where(eq(applications.id, applicationId)),
    db
      .select(CREDENTIAL)
      .from(clientCredentials)
      .where(eq(clientCredentials.applicationId, applicationId))
      .orderBy(asc(clientCredentials.id)),
  ]);
  if (application.length === 0) throw notFound(`application with id ${applicationId}`, where);
  const credentials = rows.map(credentialOf);

  if (values.json) {
    printJson({ applicationId, credentials });
    return;
  }
  if (credentials.length === 0) {
    console.log(`Application ${applicationId} has no client credentials in the ${where} database.`);
    return;
  }
  const table = [["CLIENT ID", "CREATED", "REVOKED"], ...credentials.map((c) => [c.clientId, c.createdAt, c.revokedAt ?? "-"])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((cells) => cells[i]!.length)));
  console.log(`Client credentials of application ${applicationId} in the ${where} database:\n`);
  for (const cells of table)
    console.log(
      `  ${cells
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd()}`,
    );
};

const revokeCredential = async (values: Values, usage: string) => {
  const clientId = requireClientId(values.client, usage);
  const { db, remote, where } = openDatabase(values, usage);

  // Idempotent: an already revoked credential keeps its first revocation time. The first SELECT
  // tells which case this is (`d1 execute --json` reports no row counts for an UPDATE).
  const byClientId = eq(clientCredentials.clientId, clientId);
  const [before, , [row], [active]] = await db.batch([
    db.select({ revokedAt: clientCredentials.revokedAt }).from(clientCredentials).where(byClientId),
    db
      .update(clientCredentials)
      .set({ revokedAt: NOW_MS })
      .where(and(byClientId, isNull(clientCredentials.revokedAt))),
    db.select(CREDENTIAL).from(clientCredentials).where(byClientId),
    db
      .select({ active: count() })
      .from(clientCredentials)
      .where(
        and(
          isNull(clientCredentials.revokedAt),
          eq(clientCredentials.applicationId, db.select({ id: clientCredentials.applicationId }).from(clientCredentials).where(byClientId)),
        ),
      ),
  ]);
  if (!row) throw notFound(`client credential ${JSON.stringify(clientId)}`, where);
  const credential = credentialOf(row);
  const alreadyRevoked = before[0]?.revokedAt != null;
  const activeCredentials = active?.active ?? 0;

  if (values.json) {
    printJson({ ...credential, alreadyRevoked, activeCredentials });
    return;
  }
  console.log(`${alreadyRevoked ? "Already revoked" : "Revoked"}: client ${clientId} of application ${credential.applicationId} in the ${where} database (since ${credential.revokedAt}).

It gets no new access tokens. Tokens it was already given stay valid until they expire
(TOKEN_TTL_SECONDS, ${duration(readConfig({}).tokenTtlSeconds)} by default); to cut off every token of the application now, run
  ${PROGRAM} tokens revoke-all --app ${credential.applicationId}${remote ? " --remote" : ""}
The application has ${activeCredentials} active credential${activeCredentials === 1 ? "" : "s"} left.`);
};

export const credentials: Group = {
  summary: "Manage an application's client credentials (add, list, revoke)",
  commands: {
    add: {
      summary: "Add a client credential to an application; prints the secret once",
      args: "--app <id> [--json] [--remote]",
      options: { app: APP_OPTION, ...TARGET_OPTIONS },
      run: addCredential,
    },
    list: {
      summary: "List an application's client credentials: ids, created, revoked (never secrets)",
      args: "--app <id> [--json] [--remote]",
      options: { app: APP_OPTION, ...TARGET_OPTIONS },
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
  } satisfies Record<string, Command>,
};
