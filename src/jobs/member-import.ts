/**
 * CHANNEL_MEMBERS_IMPORT rows (ChatKitty's `ChannelMembershipImport`, `{username, idempotencyKey}`):
 * each names a user of the application, who joins the job's channel as
 * `POST /v1/channels/{id}/members` adds one. A user who is already a member, or a row whose
 * `idempotencyKey` was imported, is skipped, so running an import again is safe.
 */
import { z } from "@hono/zod-openapi";
import { LIMITS } from "../config";
import { recordImportKey } from "../chat/queries/import-keys";
import { addMembersQueries, membershipsAmong } from "../chat/queries/members";
import { findUsersByIdOrName } from "../chat/queries/users";
import type { Db } from "../db/client";
import type { ChunkPlan } from "./queries";
import { idempotencyKey, keyedSkipper, readRecords } from "./row-errors";

const MemberImportRow = z.object(
  {
    username: z
      .string({ error: "username must be a string" })
      .min(1, "username must not be empty")
      .max(LIMITS.nameLength, `username must be at most ${LIMITS.nameLength} characters`),
    idempotencyKey,
  },
  { error: "a record must be a JSON object" },
);

export const importMembers = async (
  db: Db,
  applicationId: number,
  channelId: number,
  rows: unknown[],
  first: number,
): Promise<ChunkPlan> => {
  const { records: named, errors } = readRecords(rows, first, (row, value) => {
    const { username, idempotencyKey: key } = MemberImportRow.parse(value);
    return { row, username, key };
  });
  const users = await findUsersByIdOrName(db, applicationId, [], [...new Set(named.map((n) => n.username))]);
  const idOf = new Map(users.map((u) => [u.name, u.id]));
  const [members, skipKey] = await Promise.all([
    membershipsAmong(
      db,
      applicationId,
      users.map((u) => ({ channelId, userId: u.id })),
    ),
    keyedSkipper(
      db,
      applicationId,
      "MEMBER",
      named.map((n) => n.key),
    ),
  ]);
  const joined = new Set(users.filter((u) => members.has(`${channelId}:${u.id}`)).map((u) => u.id));
  const userIds: number[] = [];
  const keys: { key: string; userId: number }[] = [];
  let skipped = 0;
  for (const { row, username, key } of named) {
    const id = idOf.get(username);
    if (id === undefined) {
      errors.push({ row, message: `No user is named ${JSON.stringify(username)}` });
    } else if (joined.has(id) || skipKey(key)) {
      skipped++;
    } else {
      joined.add(id);
      userIds.push(id);
      if (key !== undefined) keys.push({ key, userId: id });
    }
  }
  errors.sort((a, b) => a.row - b.row);
  return {
    writes: [
      ...addMembersQueries(db, applicationId, channelId, userIds),
      ...keys.map(({ key, userId }) => recordImportKey(db, applicationId, "MEMBER", key, userId)),
    ],
    imported: userIds.length,
    skipped,
    errors,
  };
};
