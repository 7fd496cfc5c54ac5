import type { Dialect } from "./dialect";

/**
 * What the Worker tells a session shard about a WebSocket upgrade it forwards: facts it checked
 * (application, user name, authentication), never anything taken from the client as it is.
 */
export interface ShardUpgrade {
  dialect: Dialect;
  applicationId: number;
  /** The 2020 dialect's user name (from the query); "" for the current dialect (named at CONNECT). */
  userName: string;
  shard: string;
  authenticated?: { id: number; tokenId: number } | undefined;
  /** The current dialect: CONNECT must carry a valid challenge token (the application requires it). */
  requireAuth?: boolean;
  /** The client's `User-Agent`, at most `MAX_USER_AGENT_CHARS`: shown, never acted on. */
  userAgent?: string | undefined;
}

/** Longer user agents are cut: the socket's attachment, which carries it, is small. */
export const MAX_USER_AGENT_CHARS = 256;

const UPGRADE_HEADER = "X-Kitty-Upgrade";

/** The upgrade's facts as one header of the request the Worker forwards to the shard. */
export const encodeShardHeaders = (upgrade: ShardUpgrade) => ({ [UPGRADE_HEADER]: encodeURIComponent(JSON.stringify(upgrade)) });

export const decodeShardHeaders = (request: Request): ShardUpgrade =>
  JSON.parse(decodeURIComponent(request.headers.get(UPGRADE_HEADER) ?? ""));
