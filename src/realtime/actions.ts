/**
 * What each action does, for one connection's user, and what the sender gets back: bodies are
 * parsed in `action-bodies.ts`, the work is done by the operations every transport shares
 * (`chat/`), and results are presented in the SDK's shapes.
 */
import { channelForMember, channelForUser, createChannel } from "../chat/channels";
import { ChatError, messageNotFound, sessionUserDeleted } from "../chat/errors";
import { postUserMessage } from "../chat/messages";
import { type ChannelRow, joinChannel } from "../chat/queries/channels";
import { findApplication } from "../chat/queries/applications";
import { markRead } from "../chat/queries/members";
import { findMessage } from "../chat/queries/messages";
import { existingUserIds, findUser, updateUser, type UserChanges } from "../chat/queries/users";
import type { JsonObject } from "../db/schema";
import { parseActionBody } from "./action-bodies";
import { type ActionRoute, dest } from "./destinations";
import { toChatMessage, toCurrentUser } from "./presenters";
import { presentChannels } from "./relays";
import type { SessionContext } from "./session-context";

/** A result for the sender, carried on the first of `carriers` it subscribes to. */
export interface ActionResult {
  type: string;
  resource: unknown;
  carriers: string[];
}

const sender = async (ctx: SessionContext) => {
  const user = await findUser(ctx.db, ctx.applicationId, ctx.userId);
  if (!user) throw sessionUserDeleted();
  return user;
};

/** Performs an action; returns the sender's result, or undefined when the action has none. */
export const performAction = async (
  ctx: SessionContext,
  route: ActionRoute,
  body: Record<string, unknown>,
): Promise<ActionResult | undefined> => {
  const userTopic = dest.userChannelsTopic(ctx.userId);
  switch (route.name) {
    case "meUpdate": {
      const changes = withoutUndefined(parseActionBody("meUpdate", body)) as UserChanges;
      const user = Object.keys(changes).length > 0 ? await updateUser(ctx.db, ctx.applicationId, ctx.userId, changes) : await sender(ctx);
      if (!user) throw sessionUserDeleted();
      return { type: "me.updated", resource: toCurrentUser(user), carriers: [userTopic, dest.userNotificationsTopic(ctx.userId)] };
    }
    case "meCreateChannel": {
      const { type, name, properties, members = [] } = parseActionBody("meCreateChannel", body);
      if ((await findApplication(ctx.db, ctx.applicationId))?.userCreatedChannels === false) {
        throw new ChatError(
          "ChannelCreationDisabledError",
          "This application does not let users create channels (its userCreatedChannels setting is DISABLED): the back end creates them",
        );
      }
      // The creator is checked too: a session can outlive its user (deleted by the back end).
      const everyone = [...new Set([ctx.userId, ...members.map((m) => m.id)])];
      const existing = await existingUserIds(ctx.db, ctx.applicationId, everyone);
      if (existing.length !== everyone.length) throw new ChatError("UserNotFoundError", "Every member must be a user of this application");
      const { channel } = await createChannel(ctx, {
        type,
        name: name ?? "",
        memberIds: everyone,
        properties: properties as JsonObject | undefined,
      });
      // The creator is among the members: no need to read the channel back.
      return { type: "me.channel.created", resource: await presentAsMember(ctx, channel), carriers: [userTopic] };
    }
    case "channelJoin": {
      const channel = await channelForUser(ctx, ctx.userId, route.id);
      if (!(await joinChannel(ctx.db, ctx.applicationId, ctx.userId, route.id))) {
        throw new ChatError("ChannelNotPubliclyJoinableError", `Channel ${route.id} can only be joined by invitation`);
      }
      return { type: "me.channel.joined", resource: await presentAsMember(ctx, channel), carriers: [userTopic] };
    }
    case "channelMessage":
      return sendTextMessage(ctx, route.id, parseActionBody("channelMessage", body).body);
    case "channelRead": {
      await channelForMember(ctx, ctx.userId, route.id);
      await markRead(ctx.db, ctx.applicationId, route.id, ctx.userId);
      return undefined;
    }
    case "messageRead": {
      const message = await findMessage(ctx.db, ctx.applicationId, route.id);
      if (!message) throw messageNotFound(route.id);
      await channelForMember(ctx, ctx.userId, message.channelId);
      await markRead(ctx.db, ctx.applicationId, message.channelId, ctx.userId, message.id);
      return undefined;
    }
    default:
      // The current dialect's actions (current-actions.ts): the 2020 SDK has no links to them.
      throw new ChatError("UnknownDestinationError", `No action ${route.name} in this dialect`);
  }
};

/** A channel the session's user now belongs to, in the SDK's shape. */
const presentAsMember = async (ctx: SessionContext, channel: ChannelRow) =>
  (await presentChannels(ctx, [{ ...channel, isMember: true }]))[0]!;

const withoutUndefined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/**
 * A user's text message. The channel's room returns it to the sender with its receipt and to
 * everyone else watching the channel; only when the room could not take a saved message does
 * the sender get its result from here.
 */
const sendTextMessage = async (ctx: SessionContext, channelId: number, text: string): Promise<ActionResult | undefined> => {
  const [channel, user] = await Promise.all([channelForMember(ctx, ctx.userId, channelId), sender(ctx)]);
  const posted = await postUserMessage(ctx, channel, user, { type: "TEXT", body: text }, { origin: ctx.origin });
  if (!("saved" in posted) || posted.published) return undefined;
  const topics = [dest.channelMessagesTopic(channelId), dest.channelTopic(channelId), dest.userChannelsTopic(ctx.userId)];
  return { type: "thread.message.created", resource: toChatMessage(posted.saved), carriers: topics };
};
