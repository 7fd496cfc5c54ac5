/**
 * `npm run app -- tokens revoke-all`: raise an application's token epoch, as
 * src/auth/credentials.queries.ts `raiseTokenEpoch` does. Every access token issued before
 * carries an older epoch and is refused once a Worker isolate's cached epoch expires
 * (TOKEN_EPOCH_TTL_SECONDS; see src/auth/epochs.ts).
 * @example npm run app -- tokens revoke-all --app 1
 */
import { eq, sql } from "drizzle-orm";
import { readConfig } from "../../src/config.ts";
import { applications } from "../../src/db/schema.ts";
import { APP_OPTION, TARGET_OPTIONS, duration, notFound, printJson, requireId, type Group, type Values } from "./cli.ts";
import { openDatabase } from "./d1.ts";

const revokeAllTokens = async (values: Values, usage: string) => {
  const applicationId = requireId(values.app, usage, "app");
  const { db, where } = openDatabase(values, usage);

  const byId = eq(applications.id, applicationId);
  const [, [row]] = await db.batch([
    db
      .update(applications)
      .set({ tokenEpoch: sql`${applications.tokenEpoch} + 1` })
      .where(byId),
    db.select({ name: applications.name, tokenEpoch: applications.tokenEpoch }).from(applications).where(byId),
  ]);
  if (!row) throw notFound(`application with id ${applicationId}`, where);

  if (values.json) {
    printJson({ applicationId, tokenEpoch: row.tokenEpoch });
    return;
  }
  console.log(`Raised the token epoch of application "${row.name}" (id ${applicationId}) to ${row.tokenEpoch} in the ${where} database.

Every access token issued to it before now is refused (401 invalid_token) within
TOKEN_EPOCH_TTL_SECONDS (${duration(readConfig({}).tokenEpochTtlSeconds)} by default) by every running Worker. Clients whose credentials are
not revoked get a new token from /oauth/token as usual.`);
};

export const tokens: Group = {
  summary: "Cut off access tokens already issued (revoke-all)",
  commands: {
    "revoke-all": {
      summary: "Raise an application's token epoch: every access token issued before is refused",
      args: "--app <id> [--json] [--remote]",
      options: { app: APP_OPTION, ...TARGET_OPTIONS },
      run: revokeAllTokens,
    },
  },
};
