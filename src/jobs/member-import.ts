/**
 * CHANNEL_MEMBERS_IMPORT rows (ChatKitty's `ChannelMembershipImport`, `{username}`): each names a
 * user of the application, who joins the job's channel as `POST /v1/channels/{id}/members` adds
 * one. A user who is already a member is skipped, so running an import again is safe.
 */
import { z } from "@hono/zod-openapi";
import { LIMITS } from "../config";
import { addMembers } from "../chat/queries/members";
import { findUsersByIdOrName } from "../chat/queries/users";
import type { Db } from "../db/client";
import type { RowError } from "../db/schema";
import { rowError } from "./row-errors";

const MemberImportRow = z.object(
  {
    username: z
      .string({ error: "username must be a string" })
      .min(1, "username must not be empty")
      .max(LIMITS.nameLength, `username must be at most ${LIMITS.nameLength} characters`),
  },
  { error: "a record must be a JSON object" },
);

export const importMembers = async (db: Db, applicationId: number, channelId: number, rows: unknown[], first: number) => {
  const errors: RowError[] = [];
  const named: { row: number; username: string }[] = [];
  rows.forEach((row, i) => {
    try {
      named.push({ row: first + i, username: MemberImportRow.parse(row).username });
    } catch (e) {
      errors.push(rowError(first + i, e));
    }
  });
  const users = await findUsersByIdOrName(db, applicationId, [], [...new Set(named.map((n) => n.username))]);
  const idOf = new Map(users.map((u) => [u.name, u.id]));
  const userIds: number[] = [];
  for (const { row, username } of named) {
    const id = idOf.get(username);
    if (id === undefined) errors.push({ row, message: `No user is named ${JSON.stringify(username)}` });
    else userIds.push(id);
  }
  const added = await addMembers(db, applicationId, channelId, userIds);
  errors.sort((a, b) => a.row - b.row);
  return { imported: added.length, skipped: userIds.length - added.length, errors };
};
