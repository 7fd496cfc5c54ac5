/**
 * A small world for the chat-layer message tests, written straight to D1: an application with a
 * channel's creator, a moderator, two members and an outsider, and helpers to send messages.
 * Every call makes its own application, so tests never see each other's rows.
 */
import { env } from "cloudflare:workers";
import type { ChannelType } from "../../src/db/schema";
import { messages } from "../../src/db/schema";
import type { ChatScope } from "../../src/chat/messages";
import { insertChannel } from "../../src/chat/queries/channels";
import { addMember, addModerator } from "../../src/chat/queries/members";
import { insertUser } from "../../src/chat/queries/users";
import { db, newApp } from "../helpers/rows";

/** A message written as a user (or the system, with `userId` null) sends it, optionally as a reply. */
export const send = (
  scope: ChatScope,
  channelId: number,
  userId: number | null,
  body: string,
  { parentId = null, type }: { parentId?: number | null; type?: "TEXT" | "SYSTEM_TEXT" } = {},
) =>
  scope.db
    .insert(messages)
    .values({
      applicationId: scope.applicationId,
      channelId,
      userId,
      type: type ?? (userId === null ? "SYSTEM_TEXT" : "TEXT"),
      body,
      parentId,
    })
    .returning()
    .get();

/** An application whose channel (of `type`) has a creator, a moderator and members alice and bob; `outsider` is in no channel. */
export const world = async (type: ChannelType = "PRIVATE", label = "h1") => {
  const d = db();
  const app = await newApp(d, `${label} app`);
  const scope: ChatScope = { db: d, env, applicationId: app.id };
  const user = (name: string) => insertUser(d, app.id, { name: `${label}-${name}` });
  const creator = await user("creator");
  const moderator = await user("moderator");
  const alice = await user("alice");
  const bob = await user("bob");
  const outsider = await user("outsider");
  const channel = await insertChannel(d, app.id, type, `${label}-channel`, [], { creatorId: creator.id });
  for (const member of [creator, alice, bob]) await addMember(d, app.id, channel.id, member.id);
  await addModerator(d, app.id, channel.id, moderator.id);
  return { d, app, scope, creator, moderator, alice, bob, outsider, channel };
};

export type World = Awaited<ReturnType<typeof world>>;
