import type { Origin } from "../chat/live";
import type { ChatScope } from "../chat/messages";

/** Who a chat-session call acts for: the connection's application and user. */
export interface SessionContext extends ChatScope {
  userId: number;
  /** The challenge token that admitted the session, if any: grants carry it (auth/tokens.ts). */
  tokenId?: number | undefined;
  /** This connection, for routing the result of a message it sends. */
  origin: Origin;
  /** The connection's user, as the live side addresses users (id, and name for its home shard). */
  user: { id: number; name: string };
}
