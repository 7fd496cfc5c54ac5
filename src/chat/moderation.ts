/**
 * Channel moderation by members (spec §12.2, §12.3): adding moderators and inviting users, each
 * naming the user by id or username. Both are group-channel actions: DIRECT channels have fixed
 * members and OPEN channels no members list, so neither is offered there (AccessDeniedError).
 */
import { channelForMember } from "./channels";
import { ChatError } from "./errors";
import type { ChatScope } from "./messages";
import type { VisibleChannel } from "./queries/channels";
import { channelViewers } from "./queries/members";
import { addMemberIfAbsent, promoteMember } from "./queries/member-settings";
import { findUsersByIdOrName, type UserRow } from "./queries/users";

/** The user an action names: `{id}` or `{username}`, as the SDK sends `request.user`. */
export type UserTarget = { id: number } | { username: string };

const GROUP_TYPES: readonly VisibleChannel["type"][] = ["PUBLIC", "PRIVATE"];

const requireGroupChannel = (channel: VisibleChannel, action: string) => {
  if (!GROUP_TYPES.includes(channel.type)) {
    throw new ChatError("AccessDeniedError", `Channel ${channel.id} is ${channel.type}: only PUBLIC and PRIVATE channels ${action}`);
  }
};

/** The application's user the target names. */
const targetUser = async ({ db, applicationId }: ChatScope, target: UserTarget): Promise<UserRow> => {
  const byId = "id" in target;
  const [user] = await findUsersByIdOrName(db, applicationId, byId ? [target.id] : [], byId ? [] : [target.username]);
  if (!user) throw new ChatError("UserNotFoundError", byId ? `User ${target.id} not found` : `User "${target.username}" not found`);
  return user;
};

/** Makes a member of a group channel a moderator; the actor must be its creator or a moderator. */
export const addModeratorByUser = async (
  scope: ChatScope,
  actorId: number,
  channelId: number,
  target: UserTarget,
): Promise<{ channel: VisibleChannel; user: UserRow }> => {
  const channel = await channelForMember(scope, actorId, channelId);
  requireGroupChannel(channel, "have moderators");
  const actor = (await channelViewers(scope.db, scope.applicationId, actorId, [channelId])).get(channelId);
  if (channel.creatorId !== actorId && !actor?.isModerator) {
    throw new ChatError("AccessDeniedError", `Only the creator and moderators of channel ${channelId} add moderators`);
  }
  const user = await targetUser(scope, target);
  if (!(await promoteMember(scope.db, scope.applicationId, channelId, user.id))) {
    throw new ChatError("NotAChannelMemberError", `User ${user.id} is not a member of channel ${channelId}`);
  }
  return { channel, user };
};

/**
 * Invites a user into a group channel the actor is a member of. The SDK cannot accept invites, so
 * the invitee becomes a member at once; `added` is false when they already were one.
 */
export const inviteByUser = async (
  scope: ChatScope,
  actorId: number,
  channelId: number,
  target: UserTarget,
): Promise<{ channel: VisibleChannel; user: UserRow; added: boolean }> => {
  const channel = await channelForMember(scope, actorId, channelId);
  requireGroupChannel(channel, "take invitations");
  const user = await targetUser(scope, target);
  if (user.id === actorId) throw new ChatError("InvalidUserError", "A user cannot invite themselves", { user: "cannot be yourself" });
  return { channel, user, added: await addMemberIfAbsent(scope.db, scope.applicationId, channelId, user.id) };
};
