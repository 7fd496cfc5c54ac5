/**
 * Where the Platform API's changes to who may see what reach live chat sessions. Each runs after
 * the change is committed in D1 and before the API answers, so once the answer is out nothing
 * the user lost is delivered to them: not on a subscription made earlier (session-shard.ts ends
 * it), not in a notification in flight (the shard remembers the revocation), not through a file
 * grant (checked against D1 on every upload). Shards are retried on transient failures; if one
 * stays unreachable the error propagates and the API reports it (503) rather than claim success.
 */
import type { ChannelType } from "../db/schema";
import { sessionShardStub, shardName, type SessionEnd } from "./live";
import { retryTransient } from "./retry";
import { isOpenToAll } from "./rules";

export interface LiveUser {
  id: number;
  name: string;
}

const shardOf = (env: Env, applicationId: number, user: LiveUser) => sessionShardStub(env, shardName(env, applicationId, user.name));

/**
 * A member left a channel. Only a channel that is not visible to every user (PRIVATE) takes
 * anything away: OPEN and PUBLIC channels stay readable by all users of the application.
 */
export const membershipEnded = async (env: Env, applicationId: number, user: LiveUser, channel: { id: number; type: ChannelType }) => {
  if (isOpenToAll(channel.type)) return;
  await retryTransient(() => shardOf(env, applicationId, user).revokeChannel(user, channel.id));
};

/** The user was deleted: every live session of theirs ends with an ERROR frame. */
export const userDeleted = (env: Env, applicationId: number, user: LiveUser) =>
  endSessions(env, applicationId, user, { error: "UserDeletedError", message: "This session's user was deleted" });

/** A challenge token was revoked: the sessions it admitted end (others of the user go on). */
export const challengeTokenRevoked = (env: Env, applicationId: number, user: LiveUser, tokenId: number) =>
  endSessions(
    env,
    applicationId,
    user,
    { error: "AccessRevokedError", message: "The token this session started with was revoked" },
    tokenId,
  );

const endSessions = (env: Env, applicationId: number, user: LiveUser, end: SessionEnd, tokenId?: number) =>
  retryTransient(() => shardOf(env, applicationId, user).endSessions(user, end, tokenId));
