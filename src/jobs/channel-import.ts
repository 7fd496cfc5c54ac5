/**
 * CHANNEL_IMPORT rows (ChatKitty's `ChannelImport`): PUBLIC and PRIVATE channels with `name` and
 * `displayName`, DIRECT ones; all with `members` (usernames), `creator`, `properties` and
 * `idempotencyKey`. Checked by the rules `POST /v1/channels` applies (its body schema, the DIRECT
 * member count; the creator becomes a member; a PUBLIC or PRIVATE channel without a name gets a
 * UUID) and created as it creates one, each channel with its members in one transaction. Names
 * are not unique there, so neither are they here: running an import again creates its PUBLIC and
 * PRIVATE channels again unless their rows carry an `idempotencyKey`. A DIRECT channel whose set
 * of members has one already is skipped (it exists).
 */
import { z } from "@hono/zod-openapi";
import { CurrentCreateChannelBody } from "../api/channels/channels.schemas";
import { createChannelQueries, directKeyOf, takenDirectKeys } from "../chat/queries/channels";
import { recordImportKeyOfLastInsert } from "../chat/queries/import-keys";
import { findUsersByIdOrName } from "../chat/queries/users";
import { directMembersRule, isValidDirectMemberCount, MAX_INITIAL_MEMBERS } from "../chat/rules";
import { LIMITS } from "../config";
import type { Db } from "../db/client";
import type { ChunkPlan } from "./queries";
import { idempotencyKey, keyedSkipper, readRecords } from "./row-errors";

const username = (field: string) =>
  z
    .string({ error: `${field} must be usernames (strings)` })
    .min(1, `${field} must not be empty`)
    .max(LIMITS.nameLength, `${field} must be at most ${LIMITS.nameLength} characters`);

/** What the create body does not check: members and creator by username, and the key. */
const ChannelImportRow = z
  .object(
    {
      members: z
        .array(username("members"), {
          error: (i) => (i.input === undefined ? "members is required" : "members must be an array of usernames"),
        })
        .max(MAX_INITIAL_MEMBERS, `members may list at most ${MAX_INITIAL_MEMBERS} users`),
      creator: username("creator").optional(),
      idempotencyKey,
    },
    { error: "a record must be a JSON object" },
  )
  .passthrough();

interface ChannelRecord {
  row: number;
  channel: z.infer<typeof CurrentCreateChannelBody>;
  members: string[];
  creator: string | undefined;
  key: string | undefined;
}

const toRecord = (row: number, value: unknown): ChannelRecord => {
  const { members, creator, idempotencyKey: key, ...rest } = ChannelImportRow.parse(value);
  return { row, channel: CurrentCreateChannelBody.parse(rest), members, creator, key };
};

export const importChannels = async (db: Db, applicationId: number, rows: unknown[], first: number): Promise<ChunkPlan> => {
  const { records, errors } = readRecords(rows, first, toRecord);
  const names = records.flatMap((r) => [...r.members, ...(r.creator === undefined ? [] : [r.creator])]);
  const users = await findUsersByIdOrName(db, applicationId, [], [...new Set(names)]);
  const idOf = new Map(users.map((u) => [u.name, u.id]));
  const resolved = records.flatMap((record) => {
    const unknown = [...(record.creator === undefined ? [] : [record.creator]), ...record.members].find((n) => !idOf.has(n));
    if (unknown !== undefined) {
      errors.push({ row: record.row, message: `No user is named ${JSON.stringify(unknown)}` });
      return [];
    }
    const creatorId = record.creator === undefined ? undefined : idOf.get(record.creator);
    const memberIds = [...new Set([...(creatorId === undefined ? [] : [creatorId]), ...record.members.map((n) => idOf.get(n)!)])];
    if (record.channel.type === "DIRECT" && !isValidDirectMemberCount(memberIds.length)) {
      errors.push({ row: record.row, message: directMembersRule });
      return [];
    }
    return [{ ...record, creatorId, memberIds }];
  });
  const directKeys = resolved.flatMap((r) => (r.channel.type === "DIRECT" ? [directKeyOf(r.memberIds)] : []));
  const [takenDirect, skipKey] = await Promise.all([
    takenDirectKeys(db, applicationId, directKeys),
    keyedSkipper(
      db,
      applicationId,
      "CHANNEL",
      resolved.map((r) => r.key),
    ),
  ]);
  let skipped = 0;
  const writes = resolved.flatMap(({ channel, memberIds, creatorId, key }) => {
    const direct = channel.type === "DIRECT" ? directKeyOf(memberIds) : undefined;
    if ((direct !== undefined && takenDirect.has(direct)) || skipKey(key)) {
      skipped++;
      return [];
    }
    if (direct !== undefined) takenDirect.add(direct);
    const { type, name, displayName, properties } = channel;
    return createChannelQueries(
      db,
      applicationId,
      {
        type,
        name: name ?? (type === "DIRECT" ? undefined : crypto.randomUUID()),
        memberIds,
        details: { displayName, creatorId, properties },
      },
      key === undefined ? [] : [recordImportKeyOfLastInsert(db, applicationId, "CHANNEL", key)],
    );
  });
  errors.sort((a, b) => a.row - b.row);
  return { writes, imported: resolved.length - skipped, skipped, errors };
};
