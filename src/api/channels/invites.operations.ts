/**
 * Channel invites (current form only). Only PRIVATE channels take them: anyone may join a PUBLIC
 * channel without one, a DIRECT channel's members are fixed, and an OPEN channel has no members.
 * A member cannot be invited (400: the invite could never be accepted); inviting a user again
 * answers the invite they already have. Joining the channel, by any path, accepts the invite
 * (chat/queries/members.ts withdraws it in the same transaction).
 */
import type { Context } from "hono";
import { inviteUser, listInvitesPage } from "../../chat/queries/invites";
import type { ChannelType } from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError } from "../../http/errors";
import { type PageQuery, pageMetadata, pageOffset } from "../../http/pagination";
import { loadChannel, resolveUser } from "./channels.operations";
import type { UserReference } from "./channels.schemas";

const INVITABLE: ChannelType = "PRIVATE";

/** A numbered page of a channel's pending invites (any channel type; only PRIVATE ones ever have some). */
export const listInvites = async (c: Context<AppEnv>, appId: number, channelId: number, query: PageQuery, newestFirst: boolean) => {
  await loadChannel(c, appId, channelId);
  const { rows, total } = await listInvitesPage(c.var.db, appId, channelId, pageOffset(query), query.size, newestFirst);
  return { rows, meta: pageMetadata(query, total) };
};

/** Invites a user to a PRIVATE channel; the invite they already have when invited again. */
export const inviteToChannel = async (c: Context<AppEnv>, appId: number, channelId: number, ref: UserReference) => {
  const channel = await loadChannel(c, appId, channelId);
  if (channel.type !== INVITABLE) {
    throw new ApiError("InvalidRequestError", `Channel ${channelId} is a ${channel.type} channel: only PRIVATE channels take invites`);
  }
  const user = await resolveUser(c, appId, ref, "user");
  const invite = await inviteUser(c.var.db, appId, channelId, user.id);
  if (invite) return invite;
  // No invite: the user is a member, or the channel was deleted in between.
  await loadChannel(c, appId, channelId);
  throw new ApiError("InvalidRequestError", `User ${user.name} is already a member of channel ${channelId}`, {
    user: "already a member of this channel",
  });
};
