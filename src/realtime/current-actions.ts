/**
 * What each current-dialect action does (stompx-current.md §16.3), for one connection's user, and
 * what the sender gets back: the work is done by the operations every transport shares (`chat/`),
 * results and events are presented in the current SDK's shapes (`current-presenters.ts`). Events
 * for a channel's live sessions go through its room (in order with its messages); events for
 * other users go to their own topics.
 */
import { channelForMember, channelForUser, createChannel, deleteChannelAndContents, removeMemberAndRevoke } from "../chat/channels";
import { blockUser, unblockUser } from "../chat/blocks";
import { ChatError, channelNotFound, sessionUserDeleted } from "../chat/errors";
import { broadcastToChannel, deliverToUsers, sendSignal } from "../chat/live";
import { clearHistory, hideChannel, setMuted } from "../chat/member-settings";
import { deleteMessageForEveryone, deleteMessageForMe, editMessage, replyTarget } from "../chat/message-changes";
import { postUserMessage, type UserPostOptions } from "../chat/messages";
import { addModeratorByUser, inviteByUser } from "../chat/moderation";
import { findApplication } from "../chat/queries/applications";
import { type ChannelRow, joinChannel, updateChannel, type VisibleChannel } from "../chat/queries/channels";
import { channelViewers, membersOfChannels } from "../chat/queries/members";
import { findUser, findUsersByIdOrName, updateUser, type UserChanges, type UserRow } from "../chat/queries/users";
import { type ReactionChange, react, removeReaction } from "../chat/reactions";
import { createThread, threadForMember } from "../chat/threads";
import { type ReadResult, readChannel, readMessage } from "../chat/read-receipts";
import type { JsonObject } from "../db/schema";
import type { ActionResult } from "./actions";
import { parseActionBody } from "./action-bodies";
import { parseCurrentBody, type UserReference } from "./current-action-bodies";
import { presentChannelsFor, presentMessage } from "./current-relays";
import { envelope, toChannel, toCurrentUser, toMessage, toReaction, toReadReceipt, toThread, toUser } from "./current-presenters";
import { type ActionRoute, type ChannelTopic, currentDest, type UserTopic } from "./destinations";
import type { SessionContext } from "./session-context";

const me = (ctx: SessionContext, name: UserTopic) => currentDest.userTopic(ctx.userId, name);
const ch = (channelId: number, name: ChannelTopic) => currentDest.channelTopic(channelId, name);

const sender = async (ctx: SessionContext) => {
  const user = await findUser(ctx.db, ctx.applicationId, ctx.userId);
  if (!user) throw sessionUserDeleted();
  return user;
};

/** The channel as the session's user sees it now, in the SDK's shape. */
const presentChannel = async (ctx: SessionContext, channel: VisibleChannel) => (await presentChannelsFor(ctx, [channel]))[0]!;

/** Channels are changed by their creator and moderators. */
const requireModerator = async (ctx: SessionContext, channel: VisibleChannel, what: string) => {
  if (channel.creatorId === ctx.userId) return;
  const viewer = (await channelViewers(ctx.db, ctx.applicationId, ctx.userId, [channel.id])).get(channel.id);
  if (!viewer?.isModerator) throw new ChatError("AccessDeniedError", `Only the channel's creator or a moderator may ${what}`);
};

/** Users named by id or name, all of this application (else UserNotFoundError). */
const resolveUsers = async (ctx: SessionContext, refs: UserReference[]): Promise<UserRow[]> => {
  const ids = refs.flatMap((r) => ("id" in r ? [r.id] : []));
  const names = refs.flatMap((r) => ("username" in r ? [r.username] : []));
  const found = await findUsersByIdOrName(ctx.db, ctx.applicationId, ids, names);
  const known = new Set(found.flatMap((u) => [`id:${u.id}`, `name:${u.name}`]));
  const missing = refs.find((r) => !known.has("id" in r ? `id:${r.id}` : `name:${r.username}`));
  if (missing) throw new ChatError("UserNotFoundError", `No user ${"id" in missing ? missing.id : missing.username} in this application`);
  return found;
};

/** Performs an action; returns the sender's result, or undefined when the action has none (it resolves on the RECEIPT). */
export const performCurrentAction = async (
  ctx: SessionContext,
  route: ActionRoute,
  body: Record<string, unknown>,
): Promise<ActionResult | undefined> => {
  switch (route.name) {
    case "meUpdate": {
      const { displayName, displayPictureUrl, properties } = parseActionBody("meUpdate", body);
      const changes = Object.fromEntries(
        Object.entries({ displayName, displayPictureUrl, properties }).filter(([, v]) => v !== undefined),
      ) as UserChanges;
      return userUpdated(ctx, changes);
    }
    case "meUpdateDisplayPicture":
      return userUpdated(ctx, { displayPictureUrl: parseCurrentBody("displayPicture", body).url });
    case "meCreateChannel":
      return createChannelFor(ctx, body);
    case "channelJoin": {
      const channel = await channelForUser(ctx, ctx.userId, route.id);
      if (!(await joinChannel(ctx.db, ctx.applicationId, ctx.userId, route.id))) {
        throw new ChatError("ChannelNotPubliclyJoinableError", `Channel ${route.id} can only be joined by invitation`);
      }
      const resource = await presentChannel(ctx, { ...channel, isMember: true });
      return { type: "user.channel.joined", resource, carriers: [me(ctx, "channels")] };
    }
    case "channelLeave": {
      const channel = await channelForMember(ctx, ctx.userId, route.id);
      if (channel.type !== "PUBLIC" && channel.type !== "PRIVATE")
        throw new ChatError("NotAChannelMemberError", "Only group channels can be left");
      await removeMemberAndRevoke(ctx, channel, ctx.userId);
      await sendSignal(ctx.env, ctx.applicationId, route.id, { kind: "keystrokes", user: await sender(ctx), keys: "" });
      const resource = await presentChannel(ctx, { ...channel, isMember: false });
      return { type: "user.channel.left", resource, carriers: [me(ctx, "channels")] };
    }
    case "channelMessage":
      return sendMessage(ctx, route.id, body);
    case "channelRead":
      await announceRead(ctx, await readChannel(ctx, ctx.userId, route.id));
      return undefined;
    case "messageRead":
      await announceRead(ctx, await readMessage(ctx, ctx.userId, route.id));
      return undefined;
    case "channelMute":
      return channelChanged(ctx, await setMuted(ctx, ctx.userId, route.id, body.state), "user.channel.updated");
    case "channelHide":
      return channelChanged(ctx, await hideChannel(ctx, ctx.userId, route.id), "user.channel.hidden");
    case "channelClearHistory":
      return channelChanged(ctx, await clearHistory(ctx, ctx.userId, route.id), "user.channel.updated");
    case "channelAddModerator": {
      const target = parseCurrentBody("addModerator", body);
      const { channel } = await addModeratorByUser(ctx, ctx.userId, route.id, target);
      const resource = await presentChannel(ctx, channel);
      return { type: "channel.moderator.added", resource, carriers: [ch(route.id, ""), me(ctx, "channels")] };
    }
    case "channelInvite": {
      const { user: target } = parseCurrentBody("invite", body);
      const { channel, user, added } = await inviteByUser(ctx, ctx.userId, route.id, target);
      if (added) await tellJoined(ctx, channel, [user]);
      return { type: "channel.member.invited", resource: toUser(user), carriers: [ch(route.id, ""), me(ctx, "channels")] };
    }
    case "channelCreateThread": {
      const { name, properties } = parseCurrentBody("createThread", body);
      const thread = await createThread(ctx, ctx.userId, route.id, { name, properties: properties as JsonObject | undefined });
      return { type: "user.thread.created", resource: toThread(thread), carriers: [me(ctx, "threads")] };
    }
    case "threadMessage": {
      const { thread, channel } = await threadForMember(ctx, ctx.userId, route.id);
      return sendMessage(ctx, channel.id, body, { thread });
    }
    case "threadRead":
      // Read markers are per channel (§8.1): a thread's messages are read with their channel.
      await threadForMember(ctx, ctx.userId, route.id);
      return undefined;
    case "messageEdit":
      return editMessageFor(ctx, route.id, body);
    case "messageDelete": {
      const { message } = await deleteMessageForEveryone(ctx, ctx.userId, route.id);
      return messageChanged(ctx, message.channelId, "channel.message.deleted", toMessage(message));
    }
    case "messageDeleteForMe": {
      const { message } = await deleteMessageForMe(ctx, ctx.userId, route.id);
      return { type: "user.message.deleted", resource: await presentMessage(ctx, message), carriers: [me(ctx, "messages")] };
    }
    case "messageReply": {
      const { parent, channel } = await replyTarget(ctx, ctx.userId, route.id);
      return sendMessage(ctx, channel.id, body, { parent });
    }
    case "messageReact":
      return reactionChanged(ctx, "message.reaction.created", await react(ctx, ctx.userId, route.id, body.emoji));
    case "messageRemoveReaction":
      return reactionChanged(ctx, "message.reaction.removed", await removeReaction(ctx, ctx.userId, route.id, body.emoji));
    case "userBlock":
      return { type: "user.user.blocked", resource: toUser(await blockUser(ctx, ctx.userId, route.id)), carriers: [me(ctx, "users")] };
    case "blockListItemDelete":
      return { type: "user.user.unblocked", resource: toUser(await unblockUser(ctx, ctx.userId, route.id)), carriers: [me(ctx, "users")] };
    case "channelKeystrokes": {
      const { keys } = parseCurrentBody("keystrokes", body);
      const [, user] = await Promise.all([channelForMember(ctx, ctx.userId, route.id), sender(ctx)]);
      if (!(await sendSignal(ctx.env, ctx.applicationId, route.id, { kind: "keystrokes", user, keys }))) throw channelNotFound(route.id);
      return undefined;
    }
    case "channelTriggerEvent": {
      const event = parseCurrentBody("triggerEvent", body);
      const [, user] = await Promise.all([channelForMember(ctx, ctx.userId, route.id), sender(ctx)]);
      const signal = {
        kind: "event" as const,
        type: event.type,
        properties: (event.properties ?? {}) as JsonObject,
        user,
        exceptConn: ctx.origin.conn,
      };
      if (!(await sendSignal(ctx.env, ctx.applicationId, route.id, signal))) throw channelNotFound(route.id);
      return undefined;
    }
    case "channelUpdate":
      return updateChannelFor(ctx, route.id, body);
    case "channelDelete": {
      const channel = await channelForMember(ctx, ctx.userId, route.id);
      if (channel.creatorId !== ctx.userId) throw new ChatError("AccessDeniedError", "Only the channel's creator may delete it");
      const resource = await presentChannel(ctx, channel);
      if (!(await deleteChannelAndContents(ctx, route.id))) throw channelNotFound(route.id);
      return { type: "user.channel.deleted", resource, carriers: [me(ctx, "channels")] };
    }
    default:
      throw new ChatError("UnknownDestinationError", `This server does not perform ${route.name} yet`);
  }
};

const userUpdated = async (ctx: SessionContext, changes: UserChanges): Promise<ActionResult> => {
  const user = Object.keys(changes).length > 0 ? await updateUser(ctx.db, ctx.applicationId, ctx.userId, changes) : await sender(ctx);
  if (!user) throw sessionUserDeleted();
  return { type: "user.self.updated", resource: toCurrentUser(user), carriers: [me(ctx, "")] };
};

/**
 * A channel created by the session's user (§5.1); a DIRECT one that exists with exactly these
 * members is returned as `user.channel.upserted`. Other members added get `user.channel.joined`.
 */
const createChannelFor = async (ctx: SessionContext, raw: Record<string, unknown>): Promise<ActionResult> => {
  const { type, name, properties, members = [] } = parseCurrentBody("meCreateChannel", raw);
  if ((await findApplication(ctx.db, ctx.applicationId))?.userCreatedChannels === false) {
    throw new ChatError(
      "ChannelCreationDisabledError",
      "This application does not let users create channels (its userCreatedChannels setting is DISABLED): the back end creates them",
    );
  }
  // The creator is checked too: a session can outlive its user (deleted by the back end).
  const users = await resolveUsers(ctx, [{ id: ctx.userId }, ...members]);
  const memberIds = [...new Set(users.map((u) => u.id))];
  const { channel, created } = await createChannel(ctx, {
    type,
    name: name ?? "",
    memberIds,
    properties: properties as JsonObject | undefined,
    creatorId: ctx.userId,
  });
  const others = users.filter((u) => u.id !== ctx.userId);
  if (created && others.length > 0) await tellJoined(ctx, channel, others);
  const resource = await presentChannel(ctx, { ...channel, isMember: true });
  return { type: created ? "user.channel.created" : "user.channel.upserted", resource, carriers: [me(ctx, "channels")] };
};

/** `user.channel.joined` for users added to a channel by someone else, as each of them sees it. */
const tellJoined = async (ctx: SessionContext, channel: ChannelRow, users: UserRow[]) => {
  const direct =
    channel.type === "DIRECT" ? ((await membersOfChannels(ctx.db, ctx.applicationId, [channel.id])).get(channel.id) ?? []) : [];
  await Promise.all(
    users.map((user) =>
      deliverToUsers(ctx.env, ctx.applicationId, [user], {
        current: {
          topic: "channels",
          event: envelope("user.channel.joined", toChannel({ ...channel, isMember: true }, { userId: user.id }, direct)),
        },
      }),
    ),
  );
};

const updateChannelFor = async (ctx: SessionContext, channelId: number, raw: Record<string, unknown>): Promise<ActionResult> => {
  const current = await channelForMember(ctx, ctx.userId, channelId);
  await requireModerator(ctx, current, "update it");
  const { displayName, properties } = parseCurrentBody("channelUpdate", raw);
  const changes = {
    ...(displayName !== undefined && displayName !== (current.displayName ?? current.name) ? { displayName } : {}),
    ...(properties !== undefined ? { properties: properties as JsonObject } : {}),
  };
  const updated = Object.keys(changes).length > 0 ? await updateChannel(ctx.db, ctx.applicationId, channelId, changes) : current;
  if (!updated) throw channelNotFound(channelId);
  const resource = await presentChannel(ctx, { ...updated, isMember: true });
  // Every chat session on the channel hears of it (its `onChannelUpdated`); the sender's copy is the result.
  await broadcastToChannel(ctx.env, ctx.applicationId, channelId, {
    current: { topic: "", event: envelope("channel.self.updated", resource) },
    exceptConn: ctx.origin.conn,
  });
  return { type: "channel.self.updated", resource, carriers: [ch(channelId, ""), me(ctx, "channels")] };
};

/**
 * A user's message (§6.1–6.2): text, or a file hosted elsewhere. The channel's room returns it to
 * the sender with its receipt and to everyone else watching; only when the room could not take a
 * saved message does the sender get its result from here.
 */
const sendMessage = async (
  ctx: SessionContext,
  channelId: number,
  raw: Record<string, unknown>,
  placement: Pick<UserPostOptions, "parent" | "thread"> = {},
): Promise<ActionResult | undefined> => {
  const parsed = parseCurrentBody("message", raw);
  const [channel, user] = await Promise.all([channelForMember(ctx, ctx.userId, channelId), sender(ctx)]);
  const extras = { groupTag: parsed.groupTag, properties: parsed.properties as JsonObject | undefined };
  const content =
    parsed.type === "TEXT"
      ? { type: "TEXT" as const, body: parsed.body, ...extras }
      : { type: "FILE" as const, file: { type: "EXTERNAL" as const, ...parsed.file }, ...extras };
  const posted = await postUserMessage(ctx, channel, user, content, { origin: ctx.origin, ...placement });
  if (!("saved" in posted) || posted.published) return undefined;
  if (placement.thread) {
    const resource = toMessage(posted.saved);
    return { type: "thread.message.created", resource, carriers: [ch(channelId, ""), me(ctx, "threads"), me(ctx, "messages")] };
  }
  return {
    type: "channel.message.created",
    resource: toMessage(posted.saved),
    carriers: [ch(channelId, "messages"), ch(channelId, ""), me(ctx, "messages")],
  };
};

/** A change to how the session's user sees a channel (mute, hide, clear history): theirs alone, so only their channels topic hears of it. */
const channelChanged = async (ctx: SessionContext, channel: VisibleChannel, type: string): Promise<ActionResult> => ({
  type,
  resource: await presentChannel(ctx, channel),
  carriers: [me(ctx, "channels")],
});

/**
 * An event about a message for every chat session on its channel (§6.6, §6.7); the sender's
 * copy is the action's result.
 */
const messageChanged = async (ctx: SessionContext, channelId: number, type: string, resource: unknown): Promise<ActionResult> => {
  await broadcastToChannel(ctx.env, ctx.applicationId, channelId, {
    current: { topic: "messages", event: envelope(type, resource) },
    exceptConn: ctx.origin.conn,
  });
  return { type, resource, carriers: [ch(channelId, "messages"), me(ctx, "messages")] };
};

const editMessageFor = async (ctx: SessionContext, messageId: number, raw: Record<string, unknown>) => {
  const { body } = parseCurrentBody("messageEdit", raw);
  const edited = await editMessage(ctx, ctx.userId, messageId, body);
  return messageChanged(ctx, edited.channelId, "channel.message.updated", await presentMessage(ctx, edited));
};

/**
 * A reaction added or taken back (§9): every chat session on the channel hears of it, and so does
 * the message's author on their own reactions topic. The receiving SDKs fetch the message again,
 * which by then counts the change.
 */
const reactionChanged = async (
  ctx: SessionContext,
  type: string,
  { reaction, message, channel }: ReactionChange,
): Promise<ActionResult> => {
  const event = envelope(type, toReaction(reaction));
  await Promise.all([
    broadcastToChannel(ctx.env, ctx.applicationId, channel.id, { current: { topic: "reactions", event }, exceptConn: ctx.origin.conn }),
    message.user && message.user.id !== ctx.userId
      ? deliverToUsers(ctx.env, ctx.applicationId, [message.user], { current: { topic: "reactions", event } })
      : undefined,
  ]);
  return { type, resource: toReaction(reaction), carriers: [ch(channel.id, "reactions"), me(ctx, "reactions")] };
};

/**
 * A read receipt for the channel's sessions and the reader's own topic (§8.2), when the read newly
 * covered someone else's message: one event per read.
 */
const announceRead = async (ctx: SessionContext, { channel, newestRead }: ReadResult) => {
  if (!newestRead) return;
  const user = await sender(ctx);
  const event = envelope("message.read_receipt.created", toReadReceipt(newestRead.id, { user, createdAt: new Date() }));
  await Promise.all([
    broadcastToChannel(ctx.env, ctx.applicationId, channel.id, { current: { topic: "read-receipts", event } }),
    deliverToUsers(ctx.env, ctx.applicationId, [user], { current: { topic: "read-receipts", event } }),
  ]);
};
