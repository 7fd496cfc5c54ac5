/**
 * What the Platform API does with channels, their members and moderators, once for both forms:
 * `/v1/applications/{id}/channels/…` (2020) and `/v1/channels/…` (current) differ only in how they
 * read a request (the current form has no OPEN channels and names PUBLIC and PRIVATE ones when the
 * caller does not), so each route translates its input, calls one of these and presents the
 * result with the one presenter (channels.present.ts).
 */
import type { Context } from "hono";
import { createChannel as createChatChannel, deleteChannelAndContents, removeMemberAndRevoke } from "../../chat/channels";
import { ChatError, channelNotFound } from "../../chat/errors";
import type { ApplicationRow } from "../../chat/queries/applications";
import {
  type ChannelChanges,
  type ChannelFilter,
  type ChannelRow,
  findChannel,
  listChannelsPage,
  updateChannel,
} from "../../chat/queries/channels";
import {
  addMember,
  addModerator,
  isChannelMember,
  listMembershipsPage,
  listMembersPage,
  type MemberListOptions,
  membersOfChannels,
  removeModerator,
} from "../../chat/queries/members";
import { findUsersByIdOrName, type UserRow } from "../../chat/queries/users";
import { hasFixedMembers, hasMembersList, isOpenToAll } from "../../chat/rules";
import type { AppEnv } from "../../env";
import { requireMatch } from "../../http/conditional";
import { ApiError } from "../../http/errors";
import { userIdFromHref } from "../../http/links";
import { chatScope } from "../../http/params";
import { type PageQuery, pageMetadata, pageOffset } from "../../http/pagination";
import { type ChannelView, toChannelResource } from "./channels.present";
import type { ChannelMergePatch, CreateChannelBody, UserReference } from "./channels.schemas";

/** A reference with its one key; a bare string is an href. */
type Reference = Exclude<UserReference, string>;
const asObject = (ref: UserReference): Reference => (typeof ref === "string" ? { href: ref } : ref);

const describe = (ref: Reference) => ("id" in ref ? `id ${ref.id}` : "username" in ref ? ref.username : ref.href);

/** The body field a reference was given in, for a 400 that names it. */
const fieldOf = (ref: UserReference) => {
  const r = asObject(ref);
  return "id" in r ? "id" : "username" in r ? "username" : "href";
};

/**
 * The users named by `refs` (by id, name or self href), each once, in the order named; 400 naming
 * `field` unless every one is a user of this application (another application's users included).
 */
const resolveUsers = async (c: Context<AppEnv>, appId: number, given: UserReference[], field: string): Promise<UserRow[]> => {
  const refs = given.map(asObject);
  const ids = refs.map((ref) => ("id" in ref ? ref.id : "href" in ref ? userIdFromHref(ref.href, appId) : undefined));
  const names = refs.flatMap((ref) => ("username" in ref ? [ref.username] : []));
  const found = await findUsersByIdOrName(
    c.var.db,
    appId,
    ids.filter((id): id is number => id !== undefined),
    names,
  );
  const byId = new Map(found.map((u) => [u.id, u]));
  const byName = new Map(found.map((u) => [u.name, u]));
  const users = refs.map((ref, i) => ("username" in ref ? byName.get(ref.username) : ids[i] === undefined ? undefined : byId.get(ids[i]!)));
  const unknown = refs.filter((_, i) => !users[i]);
  if (unknown.length > 0) {
    const message = `${field} must be users of this application: ${unknown.slice(0, 3).map(describe).join(", ")}`;
    throw new ApiError("InvalidRequestError", message, { [field]: "not a user of this application" });
  }
  return [...new Map(users.map((u) => [u!.id, u!])).values()];
};

/** The one user `ref` names (by id, name or self href); 400 naming `field` unless it is a user of this application. */
export const resolveUser = async (c: Context<AppEnv>, appId: number, ref: UserReference, field: string): Promise<UserRow> =>
  (await resolveUsers(c, appId, [ref], field))[0]!;

/** The users these channels' representations embed (creators, DIRECT members), in two reads. */
export const viewChannels = async (c: Context<AppEnv>, appId: number, channels: ChannelRow[]): Promise<ChannelView[]> => {
  const direct = channels.filter((ch) => ch.type === "DIRECT").map((ch) => ch.id);
  const creatorIds = channels.flatMap((ch) => (ch.creatorId === null ? [] : [ch.creatorId]));
  const [members, creators] = await Promise.all([
    direct.length > 0 ? membersOfChannels(c.var.db, appId, direct) : new Map<number, UserRow[]>(),
    creatorIds.length > 0 ? findUsersByIdOrName(c.var.db, appId, creatorIds, []) : [],
  ]);
  const creatorById = new Map(creators.map((u) => [u.id, u]));
  return channels.map((channel) => ({
    channel,
    members: members.get(channel.id),
    creator: channel.creatorId === null ? undefined : creatorById.get(channel.creatorId),
  }));
};

export const viewChannel = async (c: Context<AppEnv>, appId: number, channel: ChannelRow): Promise<ChannelView> =>
  (await viewChannels(c, appId, [channel]))[0]!;

export const loadChannel = async (c: Context<AppEnv>, appId: number, channelId: number): Promise<ChannelRow> => {
  const channel = await findChannel(c.var.db, appId, channelId);
  if (!channel) throw channelNotFound(channelId);
  return channel;
};

/** With If-Match, the write is refused (412) unless the client saw the channel as it is now. */
const requireChannelMatch = (c: Context<AppEnv>, appId: number, channel: ChannelRow) =>
  requireMatch(c, async () => toChannelResource(appId, await viewChannel(c, appId, channel), c.var.links));

/**
 * Creates a channel; the creator becomes a member. A DIRECT channel of a set of users that has one
 * is that channel (`created: false`).
 */
export const createChannel = async (c: Context<AppEnv>, appId: number, body: CreateChannelBody) => {
  const { type, name, displayName, members = [], creator, properties } = body;
  const [creatorUser] = creator ? await resolveUsers(c, appId, [creator], "creator") : [];
  const memberUsers = await resolveUsers(c, appId, members, "members");
  const memberIds = [...new Set([...(creatorUser ? [creatorUser.id] : []), ...memberUsers.map((u) => u.id)])];
  const { channel, created } = await createChatChannel(chatScope(c, appId), {
    type,
    name,
    memberIds,
    displayName,
    creatorId: creatorUser?.id,
    properties,
  });
  return { view: await viewChannel(c, appId, channel), created };
};

/** A numbered page of the application's channels. */
export const listChannels = async (c: Context<AppEnv>, appId: number, query: PageQuery, filter: ChannelFilter) => {
  const { rows, total } = await listChannelsPage(c.var.db, appId, pageOffset(query), query.size, filter);
  return { views: await viewChannels(c, appId, rows), meta: pageMetadata(query, total) };
};

const readOnly = (field: string) =>
  new ApiError("InvalidRequestError", `${field} cannot be changed`, { [field]: `${field} cannot be changed` });

/** RFC 7396: a member left out stays, `null` removes it (back to its default), `properties` merges. */
const mergePatchChanges = (current: ChannelRow, patch: ChannelMergePatch): ChannelChanges => {
  if (patch.id !== undefined && patch.id !== current.id) throw readOnly("id");
  if (patch.type !== undefined && patch.type !== current.type) throw readOnly("type");
  if (patch.name !== undefined && patch.name !== current.name) throw readOnly("name");
  const { displayName, properties } = patch;
  return {
    ...(displayName !== undefined ? { displayName } : {}),
    ...(properties === null ? { properties: {} } : properties !== undefined ? { propertiesPatch: properties } : {}),
  };
};

/** Changes a channel's display name and properties with a JSON merge patch. */
export const patchChannel = async (c: Context<AppEnv>, appId: number, channelId: number, patch: ChannelMergePatch) => {
  const current = await loadChannel(c, appId, channelId);
  await requireChannelMatch(c, appId, current);
  const changes = mergePatchChanges(current, patch);
  const channel = Object.keys(changes).length > 0 ? await updateChannel(c.var.db, appId, channelId, changes) : current;
  if (!channel) throw channelNotFound(channelId);
  return viewChannel(c, appId, channel);
};

/** Deletes a channel with its messages and memberships; answers the application (as both forms do). */
export const removeChannel = async (c: Context<AppEnv>, appId: number, channelId: number): Promise<ApplicationRow> => {
  await requireChannelMatch(c, appId, await loadChannel(c, appId, channelId));
  const removed = await deleteChannelAndContents(chatScope(c, appId), channelId);
  if (!removed) throw channelNotFound(channelId);
  return removed.app;
};

/** A channel with a members list (PUBLIC, PRIVATE, DIRECT); OPEN channels have none (404). */
const groupChannel = async (c: Context<AppEnv>, appId: number, channelId: number) => {
  const channel = await findChannel(c.var.db, appId, channelId);
  if (!channel || !hasMembersList(channel.type)) throw new ApiError("ResourceNotFoundError", `Channel ${channelId} has no members list`);
  return channel;
};

const fixedMembers = (channelId: number) =>
  new ApiError("InvalidRequestError", `Channel ${channelId} is a DIRECT channel: its members cannot change`);

/** A numbered page of a group channel's members (or only its moderators). */
export const listMembers = async (
  c: Context<AppEnv>,
  appId: number,
  channelId: number,
  query: PageQuery,
  options: MemberListOptions = {},
) => {
  await groupChannel(c, appId, channelId);
  const { rows, total } = await listMembersPage(c.var.db, appId, channelId, pageOffset(query), query.size, options);
  return { rows, meta: pageMetadata(query, total) };
};

/** A numbered page of a group channel's memberships (who joined when). */
export const listMemberships = async (c: Context<AppEnv>, appId: number, channelId: number, query: PageQuery, newestFirst: boolean) => {
  await groupChannel(c, appId, channelId);
  const { rows, total } = await listMembershipsPage(c.var.db, appId, channelId, pageOffset(query), query.size, newestFirst);
  return { rows, meta: pageMetadata(query, total) };
};

/** A channel users can be added to, PUBLIC or PRIVATE: 404 for no such channel, 400 for a DIRECT one. */
export const channelTakingMembers = async (c: Context<AppEnv>, appId: number, channelId: number) => {
  const channel = await groupChannel(c, appId, channelId);
  if (hasFixedMembers(channel.type)) throw fixedMembers(channelId);
  return channel;
};

/** Adds a user to a PUBLIC or PRIVATE channel (already a member: no change). */
export const addMemberTo = async (c: Context<AppEnv>, appId: number, channelId: number, ref: UserReference) => {
  const channel = await channelTakingMembers(c, appId, channelId);
  const [user] = await resolveUsers(c, appId, [ref], fieldOf(ref));
  await addMember(c.var.db, appId, channelId, user!.id);
  return viewChannel(c, appId, channel);
};

/** Removes a member from a PUBLIC or PRIVATE channel (their moderator role goes with it) and tells their live sessions. */
export const removeMemberFrom = async (c: Context<AppEnv>, appId: number, channelId: number, userId: number) => {
  const channel = await groupChannel(c, appId, channelId);
  if (hasFixedMembers(channel.type)) throw fixedMembers(channelId);
  const removed = await removeMemberAndRevoke(chatScope(c, appId), channel, userId);
  if (!removed) throw new ApiError("ResourceNotFoundError", `User ${userId} is not a member of channel ${channelId}`);
  return viewChannel(c, appId, channel);
};

/**
 * Makes a user a moderator; a user who is not a member becomes one too, except in a DIRECT
 * channel, whose members never change (400). Answers the moderator.
 */
export const addModeratorTo = async (c: Context<AppEnv>, appId: number, channelId: number, ref: UserReference) => {
  const channel = await groupChannel(c, appId, channelId);
  const [user] = await resolveUsers(c, appId, [ref], fieldOf(ref));
  if (hasFixedMembers(channel.type) && !(await isChannelMember(c.var.db, appId, channelId, user!.id))) throw fixedMembers(channelId);
  await addModerator(c.var.db, appId, channelId, user!.id);
  return user!;
};

/** Ends a moderator's role (they stay a member); 404 when the user is not a moderator of the channel. */
export const removeModeratorFrom = async (c: Context<AppEnv>, appId: number, channelId: number, userId: number) => {
  const channel = await groupChannel(c, appId, channelId);
  if (!(await removeModerator(c.var.db, appId, channelId, userId))) {
    throw new ApiError("ResourceNotFoundError", `User ${userId} is not a moderator of channel ${channelId}`);
  }
  return viewChannel(c, appId, channel);
};

/**
 * A user writing in a channel (a message or keystrokes on their behalf): PRIVATE and DIRECT
 * channels take only their members' (403 otherwise).
 */
export const writerIn = async (c: Context<AppEnv>, appId: number, channelId: number, ref: UserReference, field: string) => {
  const channel = await loadChannel(c, appId, channelId);
  const user = await resolveUser(c, appId, ref, field);
  if (!isOpenToAll(channel.type) && !(await isChannelMember(c.var.db, appId, channelId, user.id))) {
    throw new ChatError("NotAChannelMemberError", `User ${user.name} is not a member of channel ${channelId}, which only members write in`);
  }
  return { channel, user };
};
