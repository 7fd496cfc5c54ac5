/** Runtime settings read from Worker vars, with the contract's defaults. */
export interface Config {
  tokenTtlSeconds: number;
  tokenIssuer: string;
  maxBodyBytes: number;
  openChannelMessageLimit: number;
  publicBaseUrl: string | undefined;
  sessionShards: number;
  maxFileBytes: number;
}

const positiveInt = (value: string | undefined, fallback: number): number => {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
};

/** @example const { maxBodyBytes } = readConfig(env) */
export const readConfig = (env: Partial<Env>): Config => ({
  tokenTtlSeconds: positiveInt(env.TOKEN_TTL_SECONDS, 43_200),
  tokenIssuer: env.TOKEN_ISSUER || "kitty-edge",
  maxBodyBytes: positiveInt(env.MAX_BODY_BYTES, 1_048_576),
  openChannelMessageLimit: positiveInt(env.OPEN_CHANNEL_MESSAGE_LIMIT, 100),
  publicBaseUrl: env.PUBLIC_BASE_URL ? env.PUBLIC_BASE_URL.replace(/\/+$/, "") : undefined,
  sessionShards: positiveInt(env.SESSION_SHARD_COUNT, 16),
  maxFileBytes: positiveInt(env.MAX_FILE_BYTES, 26_214_400),
});

/** Limits of the contract that are not deployment settings. */
export const LIMITS = {
  nameLength: 255,
  messageBodyLength: 10_000,
  defaultPageSize: 20,
  maxPageSize: 100,
  /** Chat sessions: largest WebSocket message accepted, subscriptions per connection. */
  maxFrameBytes: 65_536,
  maxSubscriptionsPerConnection: 256,
  /** Default page size of the SDK's paged relays. */
  relayPageSize: 25,
} as const;
