/** Runtime settings read from Worker vars, with the contract's defaults. */
export interface Config {
  tokenTtlSeconds: number;
  tokenIssuer: string;
  /** How long an isolate trusts its cached token epoch of an application (auth/epochs.ts). */
  tokenEpochTtlSeconds: number;
  maxBodyBytes: number;
  openChannelMessageLimit: number;
  publicBaseUrl: string | undefined;
  sessionShards: number;
  maxFileBytes: number;
  /** Frames one chat-session connection may send per 10 s (durable/frame-rate.ts). */
  sessionFramesPer10s: number;
}

const positiveInt = (value: string | undefined, fallback: number): number => {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
};

/** @example const { maxBodyBytes } = readConfig(env) */
export const readConfig = (env: Partial<Env>): Config => ({
  tokenTtlSeconds: positiveInt(env.TOKEN_TTL_SECONDS, 43_200),
  tokenIssuer: env.TOKEN_ISSUER || "kitty-edge",
  tokenEpochTtlSeconds: positiveInt(env.TOKEN_EPOCH_TTL_SECONDS, 30),
  maxBodyBytes: positiveInt(env.MAX_BODY_BYTES, 1_048_576),
  openChannelMessageLimit: positiveInt(env.OPEN_CHANNEL_MESSAGE_LIMIT, 100),
  publicBaseUrl: env.PUBLIC_BASE_URL ? env.PUBLIC_BASE_URL.replace(/\/+$/, "") : undefined,
  sessionShards: positiveInt(env.SESSION_SHARD_COUNT, 16),
  maxFileBytes: positiveInt(env.MAX_FILE_BYTES, 26_214_400),
  sessionFramesPer10s: positiveInt(env.RATE_LIMIT_SESSION_FRAMES_PER_10S, 300),
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
