/**
 * USER_IMPORT rows (ChatKitty's `ChatUserImport`), checked by the rules `POST /v1/users` applies
 * (its body schema) and inserted by the users queries. A row whose name the application already
 * has is skipped, which is what makes running an import again safe.
 */
import { z } from "@hono/zod-openapi";
import { CreateUserBody } from "../api/users/users.schemas";
import { insertNewUsers, type NewUserRow } from "../chat/queries/users";
import type { Db } from "../db/client";
import type { RowError } from "../db/schema";
import { rowError } from "./row-errors";

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
  })
  .passthrough();

const toNewUser = (row: unknown): NewUserRow => {
  const { guest, displayPicture, ...rest } = UserImportRow.parse(row);
  const user = CreateUserBody.parse({ ...rest, isGuest: rest.isGuest ?? guest });
  return { ...user, displayPictureUrl: displayPicture?.url };
};

export const importUsers = async (db: Db, applicationId: number, rows: unknown[], first: number) => {
  const valid: NewUserRow[] = [];
  const errors: RowError[] = [];
  rows.forEach((row, i) => {
    try {
      valid.push(toNewUser(row));
    } catch (e) {
      errors.push(rowError(first + i, e));
    }
  });
  const inserted = await insertNewUsers(db, applicationId, valid);
  return { imported: inserted.length, skipped: valid.length - inserted.length, errors };
};
