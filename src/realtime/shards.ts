/**
 * Which `SessionShard` object holds a user's sockets. All connections of one user land in the
 * same shard (so events for that user touch one object), and an application's users spread
 * over `SESSION_SHARDS` shards (so no single object carries a whole application).
 *
 * The shard is chosen by the user's *name*, which a chat session presents before the user row
 * exists: the Worker forwards the upgrade without writing anything, and the shard creates a
 * guest only once a valid CONNECT arrives. Names never change, so a user's shard never does.
 */
import { readConfig } from "../config";

/** FNV-1a over the UTF-16 units: stable, fast, and spread well enough for a modulus. */
const fnv1a = (s: string) => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
};

/** @example shardName(env, 3, "jane") // "3:10" with 16 shards */
export const shardName = (env: Env, applicationId: number, userName: string) =>
  `${applicationId}:${fnv1a(userName) % readConfig(env).sessionShards}`;

/**
 * The hibernation tag of a user's sockets within their shard (tags are fixed when a socket is
 * accepted, before the user's id is known, and are at most 256 characters). Different names may
 * share a tag: callers check each socket's own user id.
 */
export const userTag = (userName: string) => `user:${fnv1a(userName).toString(36)}:${userName.length}`;

export const sessionShardStub = (env: Env, name: string) => env.SESSION_SHARDS.get(env.SESSION_SHARDS.idFromName(name));
