/**
 * The two dialects of StompX one server speaks (shared/spec/stompx-current.md §18): "2020" for
 * `chatkitty@1.1.1` (the user named in the upgrade's query) and "current" for the 1.26+ line
 * (`chatkitty@1.58.2`; the user named in CONNECT). A connection's dialect is fixed at upgrade.
 *
 * It is also written into the connection id (`c-<uuid>` for the current dialect), because fan-out
 * renders every event per recipient and only has connection ids at hand (from the subscription
 * table): reading each socket's attachment per event would cost a deserialization per socket.
 */
export type Dialect = "2020" | "current";

const CURRENT_PREFIX = "c-";

export const newConnectionId = (dialect: Dialect) => (dialect === "current" ? CURRENT_PREFIX : "") + crypto.randomUUID();

export const dialectOf = (conn: string): Dialect => (conn.startsWith(CURRENT_PREFIX) ? "current" : "2020");
