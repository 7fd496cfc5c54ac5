/**
 * Which `SessionShard` object holds a user's sockets. All connections of one user land in the
 * same shard (so events for that user touch one object), and an application's users spread
 * over `SESSION_SHARDS` shards (so no single object carries a whole application).
 */
import { readConfig } from "../config";

/** @example shardName(env, 3, 42) // "3:10" with 16 shards */
export const shardName = (env: Env, applicationId: number, userId: number) =>
  `${applicationId}:${userId % readConfig(env).sessionShards}`;

export const sessionShardStub = (env: Env, name: string) => env.SESSION_SHARDS.get(env.SESSION_SHARDS.idFromName(name));
