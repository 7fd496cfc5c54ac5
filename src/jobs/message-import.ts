/**
 * MESSAGE_IMPORT rows (ChatKitty's `MessageImport`): `TEXT` messages of a user (`user`, a
 * username) and `SYSTEM_TEXT` messages, each with `channelId`, `body`, `groupTag`, `properties`
 * and `idempotencyKey`. Checked by the rules of posting one (the message body schema; a persisted
 * channel of the application, not OPEN; a sender who may write in it: a member of a PRIVATE or
 * DIRECT channel) and inserted in file order, so a channel's imported history reads as the file
 * does. Imported messages are history: they reach no live session and notify nobody; a sender's
 * read marker moves to their newest imported message, as sending one moves it. A row without an
 * `idempotencyKey` is imported each time its file is: running an import again is safe only for
 * keyed rows.
 */
import { z } from "@hono/zod-openapi";
import { CreateMessageBody } from "../api/messages/messages.schemas";
import { findChannelsByIds } from "../chat/queries/channels";
import { recordImportKeyOfLastInsert } from "../chat/queries/import-keys";
import { markReadToOwnNewest, membershipsAmong } from "../chat/queries/members";
import { IMPORTED_MESSAGES_PER_INSERT, type ImportedMessage, insertImportedMessagesQuery } from "../chat/queries/messages";
import { findUsersByIdOrName } from "../chat/queries/users";
import { isEphemeral, isOpenToAll } from "../chat/rules";
import { LIMITS } from "../config";
import type { Db } from "../db/client";
import type { RowError } from "../db/schema";
import type { ChunkPlan } from "./queries";
import { idempotencyKey, keyedSkipper, readRecords } from "./row-errors";

/** What the message body schema does not check: the type, channel, sender and key. */
const MessageImportRow = z
  .object(
    {
      type: z.enum(["TEXT", "SYSTEM_TEXT"], {
        error: (i) => (i.input === undefined ? "type is required" : "type must be TEXT or SYSTEM_TEXT"),
      }),
      channelId: z
        .number({ error: (i) => (i.input === undefined ? "channelId is required" : "channelId must be a channel id") })
        .int("channelId must be a channel id")
        .positive("channelId must be a channel id")
        .refine(Number.isSafeInteger, "channelId must be a channel id"),
      user: z
        .string({ error: "user must be a username" })
        .min(1, "user must not be empty")
        .max(LIMITS.nameLength, `user must be at most ${LIMITS.nameLength} characters`)
        .optional(),
      idempotencyKey,
    },
    { error: "a record must be a JSON object" },
  )
  .passthrough()
  .superRefine((row, ctx) => {
    if (row.type === "TEXT" && row.user === undefined)
      ctx.addIssue({ code: "custom", path: ["user"], message: "user is required for TEXT" });
    if (row.type === "SYSTEM_TEXT" && row.user !== undefined) {
      ctx.addIssue({ code: "custom", path: ["user"], message: "a SYSTEM_TEXT message has no user" });
    }
  });

/** Posting a text message's rules: its body, group tag and properties. */
const TextMessageBody = CreateMessageBody.options[0];

interface MessageRecord {
  row: number;
  message: Omit<ImportedMessage, "userId">;
  user: string | undefined;
  key: string | undefined;
}

const toRecord = (row: number, value: unknown): MessageRecord => {
  const { type, channelId, user, idempotencyKey: key, ...rest } = MessageImportRow.parse(value);
  const { body, groupTag, properties } = TextMessageBody.parse(rest);
  return { row, message: { channelId, content: { type, body, groupTag, properties } }, user, key };
};

/** A persisted message (not an OPEN channel's), by a sender who may write in its channel. */
const checkedRecords = async (db: Db, applicationId: number, records: MessageRecord[], errors: RowError[]) => {
  const [channels, users] = await Promise.all([
    findChannelsByIds(
      db,
      applicationId,
      records.map((r) => r.message.channelId),
    ),
    findUsersByIdOrName(db, applicationId, [], [...new Set(records.flatMap((r) => (r.user === undefined ? [] : [r.user])))]),
  ]);
  const channelOf = new Map(channels.map((c) => [c.id, c]));
  const idOf = new Map(users.map((u) => [u.name, u.id]));
  const needMembership = records.flatMap(({ message: { channelId }, user }) => {
    const channel = channelOf.get(channelId);
    const userId = user === undefined ? undefined : idOf.get(user);
    return channel && userId !== undefined && !isOpenToAll(channel.type) ? [{ channelId, userId }] : [];
  });
  const members = await membershipsAmong(db, applicationId, needMembership);
  return records.flatMap((record): (ImportedMessage & { key: string | undefined })[] => {
    const { row, message, user, key } = record;
    const channel = channelOf.get(message.channelId);
    const fail = (text: string) => {
      errors.push({ row, message: text });
      return [];
    };
    if (!channel) return fail(`No channel ${message.channelId}`);
    if (isEphemeral(channel.type)) return fail(`Channel ${channel.id} is OPEN: its messages are not kept, so none can be imported`);
    const userId = user === undefined ? null : idOf.get(user);
    if (userId === undefined) return fail(`No user is named ${JSON.stringify(user)}`);
    if (userId !== null && !isOpenToAll(channel.type) && !members.has(`${channel.id}:${userId}`)) {
      return fail(`User ${user} is not a member of channel ${channel.id}, which only members write in`);
    }
    return [{ ...message, userId, key }];
  });
};

export const importMessages = async (db: Db, applicationId: number, rows: unknown[], first: number): Promise<ChunkPlan> => {
  const { records, errors } = readRecords(rows, first, toRecord);
  const checked = await checkedRecords(db, applicationId, records, errors);
  const skipKey = await keyedSkipper(
    db,
    applicationId,
    "MESSAGE",
    checked.map((m) => m.key),
  );
  const writes: ChunkPlan["writes"] = [];
  // Runs of unkeyed messages go in multi-row inserts; a keyed one alone, so its key's statement
  // can name the row it inserted. Either way in file order.
  let run: ImportedMessage[] = [];
  const flush = () => {
    if (run.length > 0) writes.push(insertImportedMessagesQuery(db, applicationId, run));
    run = [];
  };
  const senders = new Map<string, { channelId: number; userId: number }>();
  let imported = 0;
  for (const { key, ...message } of checked) {
    if (skipKey(key)) continue;
    imported++;
    const { channelId, userId } = message;
    if (userId !== null) senders.set(`${channelId}:${userId}`, { channelId, userId });
    if (key === undefined) {
      run.push(message);
      if (run.length === IMPORTED_MESSAGES_PER_INSERT) flush();
    } else {
      flush();
      writes.push(
        insertImportedMessagesQuery(db, applicationId, [message]),
        recordImportKeyOfLastInsert(db, applicationId, "MESSAGE", key),
      );
    }
  }
  flush();
  for (const { channelId, userId } of senders.values()) writes.push(markReadToOwnNewest(db, applicationId, channelId, userId));
  errors.sort((a, b) => a.row - b.row);
  return { writes, imported, skipped: checked.length - imported, errors };
};
