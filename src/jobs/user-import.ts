/**
 * USER_IMPORT rows (ChatKitty's `ChatUserImport`), checked by the rules `POST /v1/users` applies
 * (its body schema) and inserted by the users queries. A row whose name the application already
 * has, or whose `idempotencyKey` was imported, is skipped, which is what makes running an import
 * again safe.
 */
import { z } from "@hono/zod-openapi";
import { CreateUserBody } from "../api/users/users.schemas";
import { recordImportKeyOfLastInsert } from "../chat/queries/import-keys";
import { findUsersByIdOrName, insertNewUsersQueries, type NewUserRow } from "../chat/queries/users";
import type { Db } from "../db/client";
import type { ChunkPlan } from "./queries";
import { idempotencyKey, keyedSkipper, readRecords } from "./row-errors";

const WEB_URL = /^https?:\/\//i;

/** ChatKitty's document says `guest`, its own code sample `isGuest`: either is read. */
const UserImportRow = z
  .object({
    guest: z.boolean({ error: "guest must be a boolean" }).optional(),
    displayPicture: z
      .object(
        { url: z.string().regex(WEB_URL, "displayPicture.url must be an http(s) URL") },
        { error: "displayPicture must be an object" },
      )
      .optional(),
    idempotencyKey,
  })
  .passthrough();

const toNewUser = (row: unknown): NewUserRow & { key: string | undefined } => {
  const { guest, displayPicture, idempotencyKey: key, ...rest } = UserImportRow.parse(row);
  const user = CreateUserBody.parse({ ...rest, isGuest: rest.isGuest ?? guest });
  return { ...user, displayPictureUrl: displayPicture?.url, key };
};

export const importUsers = async (db: Db, applicationId: number, rows: unknown[], first: number): Promise<ChunkPlan> => {
  const { records: valid, errors } = readRecords(rows, first, (_row, value) => toNewUser(value));
  const [existing, skipKey] = await Promise.all([
    findUsersByIdOrName(
      db,
      applicationId,
      [],
      valid.map((u) => u.name),
    ),
    keyedSkipper(
      db,
      applicationId,
      "USER",
      valid.map((u) => u.key),
    ),
  ]);
  const taken = new Set(existing.map((u) => u.name));
  const unkeyed: NewUserRow[] = [];
  const keyed: { user: NewUserRow; key: string }[] = [];
  for (const { key, ...user } of valid) {
    if (taken.has(user.name) || skipKey(key)) continue;
    taken.add(user.name);
    if (key === undefined) unkeyed.push(user);
    else keyed.push({ user, key });
  }
  // A keyed user goes in alone, so the key's statement can name the row it inserted.
  const keyedWrites = keyed.flatMap(({ user, key }) => [
    ...insertNewUsersQueries(db, applicationId, [user]),
    recordImportKeyOfLastInsert(db, applicationId, "USER", key),
  ]);
  const imported = unkeyed.length + keyed.length;
  return {
    writes: [...insertNewUsersQueries(db, applicationId, unkeyed), ...keyedWrites],
    imported,
    skipped: valid.length - imported,
    errors,
  };
};
