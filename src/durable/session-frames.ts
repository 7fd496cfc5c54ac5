/**
 * What a session shard does with each frame of a connection (shared/spec/stompx-protocol.md):
 * CONNECT settles the user, SUBSCRIBE answers a relay or registers a topic the user may watch,
 * SEND performs an action. Relays and actions themselves live in `realtime/`; this module only
 * checks frames, routes them and writes the answers.
 */
import { ChatError } from "../chat/errors";
import { channelRoomStub, sessionShardStub, shardName } from "../chat/live";
import { findVisibleChannel } from "../chat/queries/channels";
import { findUserByNameAndToken } from "../chat/queries/user-tokens";
import { findOrCreateGuest } from "../chat/queries/users";
import { LIMITS } from "../config";
import { createDb, openSession } from "../db/client";
import { illFormedTextPath } from "../http/text";
import { type ActionResult, performAction } from "../realtime/actions";
import { challengeToken, decodeAuthParams, isUsableName, resumedSessionId } from "../realtime/auth-params";
import { performCurrentAction } from "../realtime/current-actions";
import { answerCurrentRelay } from "../realtime/current-relays";
import { parseDestination, type RelayQuery, type Route, type TopicRoute } from "../realtime/destinations";
import { dialectOf } from "../realtime/dialect";
import { answerRelay } from "../realtime/relays";
import type { SessionContext } from "../realtime/session-context";
import { FrameError, parseFrames, serializeFrame, type Frame } from "../realtime/stomp";
import type { FrameRate } from "./frame-rate";
import { announceParticipant, chatEnteredBy } from "./participants";
import type { Revocations } from "./revocations";
import type { SessionRecords } from "./session-records";
import { asChatError, type Connection, type Correlation, type SessionSockets } from "./session-sockets";
import { MAX_ID_CHARS, type SubscriptionStore } from "./subscription-store";

// Clients ping every 5 s; the runtime answers each "\n" with "\n" without waking the object, and
// the client counts those answers as server activity (it expects some within 2 × 10 s).
const CONNECTED_HEADERS = { version: "1.2", "heart-beat": "10000,5000", server: "kitty-edge/1" };
// Current clients ping every 60 s and close after 120 s of silence; the runtime answers their
// pings, so both sides stay alive without waking the object (stompx-current.md §2.6).
const CURRENT_CONNECTED_HEADERS = { version: "1.2", "heart-beat": "60000,60000", server: "kitty-edge/1" };

/** The parts of a shard that frames use. */
export interface Shard {
  bindings: Env;
  sockets: SessionSockets;
  store: SubscriptionStore;
  frameRate: FrameRate;
  revocations: Revocations;
  records: SessionRecords;
  /** Work that outlives the frame (live announcements): the object stays up until it settles. */
  waitUntil(promise: Promise<unknown>): void;
}

const encoder = new TextEncoder();

// An ACK is a command and two short headers: anything longer is not one we take the short way.
const MAX_PLAIN_ACK_CHARS = 2 * MAX_ID_CHARS + 64;

/**
 * A current client handled an event of subscription `sid` (an ACK, by either path): its window
 * opens by one. A subscription id no SUBSCRIBE could have given is ignored.
 */
export const acknowledge = (shard: Pick<Shard, "sockets">, conn: string, sid: string) => {
  if (sid.length <= MAX_ID_CHARS) shard.sockets.outbox.acked(conn, sid);
};

/**
 * The subscription a WebSocket message acknowledges when it is exactly one plain ACK frame, as
 * current clients send one per event (stompx-current.md §3.3): half of what a busy connection
 * sends, so it skips the frame queue and the full parser. Anything else (CRLF lines, escapes,
 * several frames, binary) is undefined and goes the general way.
 */
export const plainAck = (data: string | ArrayBuffer): string | undefined => {
  if (typeof data !== "string" || !data.startsWith("ACK\n") || data.length > MAX_PLAIN_ACK_CHARS || data.includes("\r")) return undefined;
  const headEnd = data.indexOf("\n\n");
  if (headEnd < 0 || data.indexOf("\0") !== headEnd + 2 || data.slice(headEnd + 3).trim() !== "") return undefined;
  const head = data.slice(0, headEnd);
  const at = head.indexOf("\nsubscription:");
  if (at < 0) return undefined;
  const lineEnd = head.indexOf("\n", at + 1);
  const sid = head.slice(at + "\nsubscription:".length, lineEnd < 0 ? undefined : lineEnd);
  return sid === "" || sid.includes("\\") ? undefined : sid;
};

/** Handles one WebSocket message: one or more frames, in order (text or binary: the same bytes). */
export const handleMessage = async (shard: Shard, ws: WebSocket, data: ArrayBuffer | string) => {
  // A string's UTF-8 form is at most 3 bytes per UTF-16 unit: refuse by length before encoding it.
  const size = typeof data === "string" ? data.length : data.byteLength;
  if (size > LIMITS.maxFrameBytes * 4) throw new FrameError(`Frame larger than ${LIMITS.maxFrameBytes * 4} bytes`);
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  if (bytes.byteLength > LIMITS.maxFrameBytes * 4) throw new FrameError(`Frame larger than ${LIMITS.maxFrameBytes * 4} bytes`);
  for (const frame of parseFrames(bytes)) {
    const connection = shard.sockets.connectionOf(ws);
    if (!connection || shard.sockets.isClosed(connection.conn)) return;
    await handleFrame(shard, ws, connection, frame);
  }
};

const handleFrame = async (shard: Shard, ws: WebSocket, connection: Connection, frame: Frame) => {
  const current = dialectOf(connection.conn) === "current";
  if (!connection.connected) {
    // Nothing counts before CONNECT (spec §2.4); the real client never sends anything earlier.
    if (frame.command !== "CONNECT" && frame.command !== "STOMP") return;
    return current ? startCurrentSession(shard, ws, connection, frame) : startSession(shard, ws, connection);
  }
  for (const name of ["id", "receipt"] as const) {
    const value = frame.headers[name];
    if (value !== undefined && value.length > MAX_ID_CHARS)
      throw new FrameError(`The ${name} header is longer than ${MAX_ID_CHARS} characters`);
  }
  // Current clients ACK every topic MESSAGE. Events are fire-and-forget (no redelivery): an ACK
  // only opens the connection's window for the next event (outbox.ts), and does not count against
  // the frame budget (it follows our own sends).
  if (current && frame.command === "ACK") {
    const { subscription } = frame.headers;
    if (subscription !== undefined) acknowledge(shard, connection.conn, subscription);
    return;
  }
  const refusal = shard.frameRate.check(connection.conn, frame);
  if (refusal) {
    shard.sockets.reportError(ws, connection, refusal.error, refusal.correlation);
    // Current clients settle a SEND on its RECEIPT (stompx-current.md §3.4), refused or not.
    const receipt = current && frame.command === "SEND" ? frame.headers.receipt : undefined;
    if (receipt) shard.sockets.write(ws, connection.conn, serializeFrame("RECEIPT", { "receipt-id": receipt }));
    return;
  }
  switch (frame.command) {
    case "SUBSCRIBE":
      return subscribe(shard, ws, connection, frame);
    case "UNSUBSCRIBE":
      if (frame.headers.id) return unsubscribe(shard, connection, frame.headers.id);
      return;
    case "SEND":
      return send(shard, ws, connection, frame);
    case "DISCONNECT":
      if (frame.headers.receipt) ws.send(serializeFrame("RECEIPT", { "receipt-id": frame.headers.receipt }));
      shard.sockets.forget(ws, true);
      ws.close(1000, "disconnected");
      return;
    case "CONNECT":
    case "STOMP":
      throw new FrameError("Already connected");
    default: {
      // ACK, NACK and transactions: the SDK never sends them (it subscribes with ack:auto).
      const { receipt } = frame.headers;
      if (!receipt) return;
      return shard.sockets.reportError(ws, connection, new ChatError("UnsupportedFrameError", `${frame.command} is not supported`), {
        "receipt-id": receipt,
      });
    }
  }
};

/**
 * CONNECT settles who the connection is: an authenticated session's user is known from the
 * upgrade; a guest session's user is found by name, or created now. Only a CONNECT creates a
 * user, so a socket that never sends one costs no storage.
 */
const startSession = async (shard: Shard, ws: WebSocket, connection: Connection) => {
  const session = openSession(shard.bindings.DB, "first-primary");
  const userId = connection.userId || (await findOrCreateGuest(createDb(session), connection.applicationId, connection.userName)).id;
  if (shard.sockets.isClosed(connection.conn)) return; // ended (e.g. its token revoked) meanwhile
  shard.sockets.connected(ws, connection, { userId }, session.getBookmark());
  await shard.records.started(connection, userId);
  if (shard.sockets.isClosed(connection.conn)) return;
  shard.store.expireRelayAnswers(Date.now());
  ws.send(serializeFrame("CONNECTED", CONNECTED_HEADERS));
};

/**
 * CONNECT of a current-dialect connection names its user (stompx-current.md §2.4–2.5): a guest
 * found or created by name, or, where the application requires it, a user whose challenge token
 * is in the auth params. Every refusal is the same AccessDeniedError ERROR (the SDK then stops
 * retrying). The SDK session id it sends back on reconnects is kept (it only smooths presence,
 * it is never a credential). A user whose home shard is another registers this connection there,
 * before CONNECTED, so no event for the user can miss it after.
 */
const startCurrentSession = async (shard: Shard, ws: WebSocket, connection: Connection, frame: Frame) => {
  const deny = (reason: string) => shard.sockets.closeWithError(ws, "AccessDeniedError", reason, 1008);
  const userName = frame.headers["StompX-User"] ?? "";
  if (!isUsableName(userName)) return deny("A user name is required to start a session");
  const session = openSession(shard.bindings.DB, "first-primary");
  const db = createDb(session);
  let settled: { userId: number; tokenId?: number };
  if (connection.requireAuth) {
    // One answer for every failure (no token, wrong token, someone else's, unknown name).
    const token = challengeToken(decodeAuthParams(frame.headers["StompX-Auth-Params"]));
    const user = token === undefined ? undefined : await findUserByNameAndToken(db, connection.applicationId, userName, token);
    if (!user) return deny("This application requires a valid user challenge token (authParams.token)");
    settled = { userId: user.id, tokenId: user.tokenId };
  } else {
    settled = { userId: (await findOrCreateGuest(db, connection.applicationId, userName)).id };
  }
  if (shard.sockets.isClosed(connection.conn)) return;
  const sessionId = resumedSessionId(frame.headers["StompX-Auth-Session-ID"]) ?? crypto.randomUUID();
  const home = shardName(shard.bindings, connection.applicationId, userName);
  const bound: Connection = { ...connection, ...settled, userName, sessionId, ...(home !== connection.shard ? { home } : {}) };
  shard.sockets.connected(ws, connection, { ...settled, userName, sessionId, home: bound.home }, session.getBookmark());
  if (bound.home) await sessionShardStub(shard.bindings, bound.home).attachRemote(settled.userId, connection.shard, connection.conn);
  await shard.records.started(bound, settled.userId);
  if (shard.sockets.isClosed(connection.conn)) return;
  ws.send(serializeFrame("CONNECTED", { ...CURRENT_CONNECTED_HEADERS, session: sessionId, "user-name": userName }));
};

const subscribe = async (shard: Shard, ws: WebSocket, connection: Connection, frame: Frame) => {
  const { id: sid, destination, receipt } = frame.headers;
  const correlation = { ...(sid ? { "subscription-id": sid } : {}), ...(receipt ? { "receipt-id": receipt } : {}) };
  const refuse = (error: ChatError) => shard.sockets.reportError(ws, connection, error, correlation);
  if (!sid || destination === undefined) return refuse(new ChatError("InvalidRequestError", "SUBSCRIBE needs id and destination"));
  const route = parseDestination(destination);
  const isTopic = route?.kind === "topic" || route?.kind === "queue";
  // Current clients wait for the RECEIPT of a topic they may not read or we do not serve: an ERROR
  // would end the connection (stompx-current.md §3.3, §16.1).
  const receiptOnly = () => {
    if (receipt) shard.sockets.write(ws, connection.conn, serializeFrame("RECEIPT", { "receipt-id": receipt }));
  };
  if (!route) {
    if (dialectOf(connection.conn) === "current" && destination.startsWith("/topic/")) return receiptOnly();
    return refuse(new ChatError("UnknownDestinationError", `No destination ${destination.slice(0, 200)}`));
  }
  if (route.kind === "action") return refuse(new ChatError("UnknownDestinationError", `${destination} is an action: SEND to it`));
  if (route.kind === "relay") {
    const query = dialectOf(connection.conn) === "current" ? relayQuery(route, frame) : route.query;
    return relay(shard, ws, connection, sid, destination, { ...route, query });
  }
  if (!isTopic) return;

  // Re-subscribing an id replaces that subscription, so it does not count against the bound.
  const max = LIMITS.maxSubscriptionsPerConnection;
  if (shard.store.countOthers(connection.conn, sid) >= max)
    return refuse(new ChatError("TooManySubscriptionsError", `At most ${max} subscriptions per session`));
  // Topics the user may not read still get their RECEIPT (an ERROR would kill the session),
  // but are not registered, so nothing is ever delivered on them.
  if (route.kind === "queue" || (await mayWatch(shard, connection, route))) {
    const entered = shard.store.find(connection.conn, destination) ? undefined : chatEnteredBy(connection, destination);
    // Registered in the same turn as the check: no revocation can slip in between.
    shard.store.add(connection.conn, sid, destination);
    // The room delivers each channel topic's events to the shards registered with it.
    if (route.kind === "topic" && route.scope === "channel") {
      await channelRoomStub(shard.bindings, connection.applicationId, route.id).subscribe(connection.shard);
    }
    if (isChannelMessages(route)) await shard.records.joined(connection, route.id);
    if (entered !== undefined) shard.waitUntil(announceParticipant(shard.bindings, connection, [entered], true));
  }
  receiptOnly();
};

/** A current-dialect relay's parameters: its destination's query, and every other SUBSCRIBE header, which wins (§3.2). */
const relayQuery = (route: Extract<Route, { kind: "relay" }>, frame: Frame): RelayQuery => {
  const query = { ...route.query };
  for (const [name, value] of Object.entries(frame.headers)) {
    if (NOT_PARAMETERS.has(name)) continue;
    // The SDK sends parameters the app left undefined as the literal "undefined" (§3.2).
    if (value === "undefined") delete query[name];
    else query[name] = value;
  }
  return query;
};
const NOT_PARAMETERS = new Set(["id", "destination", "ack", "receipt", "content-length", "content-type"]);

const isChannelMessages = (route: Route | undefined): route is TopicRoute =>
  route?.kind === "topic" && route.scope === "channel" && route.sub === "messages";

/** Ends subscription `sid`; the last one of the connection to a channel's messages ends its chat session there. */
const unsubscribe = async (shard: Shard, connection: Connection, sid: string) => {
  const destination = shard.store.remove(connection.conn, sid);
  const route = destination === undefined ? undefined : parseDestination(destination);
  if (destination === undefined || shard.store.find(connection.conn, destination)) return;
  if (isChannelMessages(route)) await shard.records.left(connection, route.id);
  const left = chatEnteredBy(connection, destination);
  if (left !== undefined) shard.waitUntil(announceParticipant(shard.bindings, connection, [left], false));
};

/** Whether the user may watch the topic now: checked again if a revocation ran meanwhile. */
const mayWatch = async (shard: Shard, connection: Connection, route: TopicRoute): Promise<boolean> => {
  if (route.scope === "user") return route.id === connection.userId;
  // Threads: nothing is published on thread topics yet (and the SDK never subscribes to them).
  if (route.scope === "thread") return false;
  for (;;) {
    const before = shard.revocations.count;
    // From the primary: a replica that has not yet seen a revocation would re-open what it closed.
    const db = createDb(openSession(shard.bindings.DB, "first-primary"));
    const visible = Boolean(await findVisibleChannel(db, connection.applicationId, connection.userId, route.id));
    if (shard.revocations.count === before) return visible;
  }
};

const relay = async (
  shard: Shard,
  ws: WebSocket,
  connection: Connection,
  sid: string,
  destination: string,
  route: Extract<Route, { kind: "relay" }>,
) => {
  // 2020 clients re-subscribe every relay with its old id after a reconnect; answering again would
  // re-run its callbacks (for `me`: a second set of topic subscriptions). Answer each id once.
  // Current clients never re-send a relay, and ask `user.relay` anew on every connection (§2.9).
  const old = dialectOf(connection.conn) === "2020";
  if (old && shard.store.wasAnswered(connection.userId, sid, connection.conn, Date.now())) return;
  let resource: unknown;
  const session = openSession(shard.bindings.DB, connection.bookmark);
  try {
    const ctx = contextOf(shard, connection, session);
    resource = old ? await answerRelay(ctx, route) : await answerCurrentRelay(ctx, route);
  } catch (e) {
    return shard.sockets.reportError(ws, connection, asChatError(e), { "subscription-id": sid });
  } finally {
    shard.sockets.rememberBookmark(ws, session);
  }
  shard.sockets.sendMessage(ws, connection.conn, { sid, destination }, JSON.stringify({ version: "v1", resource }));
  if (old) shard.store.rememberAnswer(connection.userId, sid, connection.conn);
};

/** A SEND's body as a JSON object of well-formed text, or the error to report. */
const actionBody = (frame: Frame): Record<string, unknown> | ChatError => {
  if (frame.body.length > LIMITS.maxFrameBytes)
    return new ChatError("PayloadTooLargeError", `Action bodies are limited to ${LIMITS.maxFrameBytes} characters`);
  let body: unknown;
  try {
    body = frame.body === "" ? {} : JSON.parse(frame.body);
  } catch {
    return new ChatError("InvalidRequestError", "The body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return new ChatError("InvalidRequestError", "The body must be a JSON object");
  // Text is stored exactly as sent or refused: D1 would turn a lone surrogate into U+FFFD.
  const illFormed = illFormedTextPath(body);
  if (illFormed !== undefined)
    return new ChatError("InvalidRequestError", `${illFormed || "body"} must be well-formed Unicode text (no lone surrogates)`);
  return body as Record<string, unknown>;
};

const send = async (shard: Shard, ws: WebSocket, connection: Connection, frame: Frame) => {
  const { destination, receipt } = frame.headers;
  const correlation: Correlation = receipt ? { "receipt-id": receipt } : {};
  await perform(shard, ws, connection, frame, destination, receipt, correlation);
  // Current clients resolve several calls only on the RECEIPT, sent after the result: it means "done" (§3.4).
  if (receipt && dialectOf(connection.conn) === "current") {
    shard.sockets.write(ws, connection.conn, serializeFrame("RECEIPT", { "receipt-id": receipt }));
  }
};

const perform = async (
  shard: Shard,
  ws: WebSocket,
  connection: Connection,
  frame: Frame,
  destination: string | undefined,
  receipt: string | undefined,
  correlation: Correlation,
) => {
  const route = destination === undefined ? undefined : parseDestination(destination);
  if (route?.kind !== "action") {
    const error = new ChatError("UnknownDestinationError", `No action at ${String(destination).slice(0, 200)}`);
    return shard.sockets.reportError(ws, connection, error, correlation);
  }
  const body = actionBody(frame);
  if (body instanceof ChatError) return shard.sockets.reportError(ws, connection, body, correlation);
  let result: ActionResult | undefined;
  const session = openSession(shard.bindings.DB, connection.bookmark);
  try {
    const ctx = contextOf(shard, connection, session, receipt);
    result = dialectOf(connection.conn) === "2020" ? await performAction(ctx, route, body) : await performCurrentAction(ctx, route, body);
  } catch (e) {
    return shard.sockets.reportError(ws, connection, asChatError(e), correlation);
  } finally {
    shard.sockets.rememberBookmark(ws, session);
  }
  if (!result) return;
  const carrier = shard.sockets.carrier(connection, result.carriers);
  if (carrier) {
    const event = JSON.stringify({ type: result.type, version: "v1", resource: result.resource });
    shard.sockets.sendMessage(ws, connection.conn, carrier, event, correlation);
  }
};

const contextOf = (shard: Shard, connection: Connection, session: D1DatabaseSession, receipt?: string): SessionContext => ({
  db: createDb(session),
  env: shard.bindings,
  applicationId: connection.applicationId,
  userId: connection.userId,
  tokenId: connection.tokenId,
  origin: { shard: connection.shard, conn: connection.conn, ...(receipt ? { receipt } : {}) },
  user: { id: connection.userId, name: connection.userName },
});
