/**
 * What a session shard does with each frame of a connection (shared/spec/stompx-protocol.md):
 * CONNECT settles the user, SUBSCRIBE answers a relay or registers a topic the user may watch,
 * SEND performs an action. Relays and actions themselves live in `realtime/`; this module only
 * checks frames, routes them and writes the answers.
 */
import { ChatError } from "../chat/errors";
import { channelRoomStub } from "../chat/live";
import { findVisibleChannel } from "../chat/queries/channels";
import { findOrCreateGuest } from "../chat/queries/users";
import { LIMITS } from "../config";
import { createDb, openSession } from "../db/client";
import { illFormedTextPath } from "../http/text";
import { type ActionResult, performAction } from "../realtime/actions";
import { parseDestination, type Route } from "../realtime/destinations";
import { answerRelay } from "../realtime/relays";
import type { SessionContext } from "../realtime/session-context";
import { FrameError, parseFrames, serializeFrame, type Frame } from "../realtime/stomp";
import type { FrameRate } from "./frame-rate";
import type { Revocations } from "./revocations";
import type { SessionRecords } from "./session-records";
import { asChatError, type Connection, type Correlation, type SessionSockets } from "./session-sockets";
import { MAX_ID_CHARS, type SubscriptionStore } from "./subscription-store";

// Clients ping every 5 s; the runtime answers each "\n" with "\n" without waking the object, and
// the client counts those answers as server activity (it expects some within 2 × 10 s).
const CONNECTED_HEADERS = { version: "1.2", "heart-beat": "10000,5000", server: "kitty-edge/1" };

/** The parts of a shard that frames use. */
export interface Shard {
  bindings: Env;
  sockets: SessionSockets;
  store: SubscriptionStore;
  frameRate: FrameRate;
  revocations: Revocations;
  records: SessionRecords;
}

/** Handles one WebSocket message: one or more frames, in order. */
export const handleMessage = async (shard: Shard, ws: WebSocket, data: ArrayBuffer) => {
  if (data.byteLength > LIMITS.maxFrameBytes * 4) throw new FrameError(`Frame larger than ${LIMITS.maxFrameBytes * 4} bytes`);
  for (const frame of parseFrames(data)) {
    const connection = shard.sockets.connectionOf(ws);
    if (!connection || shard.sockets.isClosed(connection.conn)) return;
    await handleFrame(shard, ws, connection, frame);
  }
};

const handleFrame = async (shard: Shard, ws: WebSocket, connection: Connection, frame: Frame) => {
  if (!connection.connected) {
    // Nothing counts before CONNECT (spec §2.4); the real client never sends anything earlier.
    if (frame.command !== "CONNECT" && frame.command !== "STOMP") return;
    return startSession(shard, ws, connection);
  }
  for (const name of ["id", "receipt"] as const) {
    const value = frame.headers[name];
    if (value !== undefined && value.length > MAX_ID_CHARS)
      throw new FrameError(`The ${name} header is longer than ${MAX_ID_CHARS} characters`);
  }
  const refusal = shard.frameRate.check(connection.conn, frame);
  if (refusal) return shard.sockets.reportError(ws, connection, refusal.error, refusal.correlation);
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
      shard.sockets.forget(ws);
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
  shard.sockets.connected(ws, connection, userId, session.getBookmark());
  await shard.records.started(connection, userId);
  if (shard.sockets.isClosed(connection.conn)) return;
  shard.store.expireRelayAnswers(Date.now());
  ws.send(serializeFrame("CONNECTED", CONNECTED_HEADERS));
};

const subscribe = async (shard: Shard, ws: WebSocket, connection: Connection, frame: Frame) => {
  const { id: sid, destination, receipt } = frame.headers;
  const correlation = { ...(sid ? { "subscription-id": sid } : {}), ...(receipt ? { "receipt-id": receipt } : {}) };
  const refuse = (error: ChatError) => shard.sockets.reportError(ws, connection, error, correlation);
  if (!sid || destination === undefined) return refuse(new ChatError("InvalidRequestError", "SUBSCRIBE needs id and destination"));
  const route = parseDestination(destination);
  if (!route) return refuse(new ChatError("UnknownDestinationError", `No destination ${destination.slice(0, 200)}`));
  if (route.kind === "action") return refuse(new ChatError("UnknownDestinationError", `${destination} is an action: SEND to it`));
  if (route.kind === "relay") return relay(shard, ws, connection, sid, destination, route);

  // Re-subscribing an id replaces that subscription, so it does not count against the bound.
  const max = LIMITS.maxSubscriptionsPerConnection;
  if (shard.store.countOthers(connection.conn, sid) >= max)
    return refuse(new ChatError("TooManySubscriptionsError", `At most ${max} subscriptions per session`));
  // Topics the user may not read still get their RECEIPT (an ERROR would kill the session),
  // but are not registered, so nothing is ever delivered on them.
  if (route.kind === "queue" || (await mayWatch(shard, connection, route))) {
    // Registered in the same turn as the check: no revocation can slip in between.
    shard.store.add(connection.conn, sid, destination);
    // The room delivers messages on the messages topic and signals (channel events, keystrokes) on the self topic.
    if (route.kind === "topic" && (route.name === "channelMessages" || route.name === "channel")) {
      await channelRoomStub(shard.bindings, connection.applicationId, route.id).subscribe(connection.shard);
    }
    if (route.kind === "topic" && route.name === "channelMessages") await shard.records.joined(connection, route.id);
  }
  if (receipt) shard.sockets.write(ws, connection.conn, serializeFrame("RECEIPT", { "receipt-id": receipt }));
};

/** Ends subscription `sid`; the last one of the connection to a channel's messages ends its chat session there. */
const unsubscribe = async (shard: Shard, connection: Connection, sid: string) => {
  const destination = shard.store.remove(connection.conn, sid);
  const route = destination === undefined ? undefined : parseDestination(destination);
  if (route?.kind === "topic" && route.name === "channelMessages" && !shard.store.find(connection.conn, destination!))
    await shard.records.left(connection, route.id);
};

/** Whether the user may watch the topic now: checked again if a revocation ran meanwhile. */
const mayWatch = async (shard: Shard, connection: Connection, route: Extract<Route, { kind: "topic" }>): Promise<boolean> => {
  if (route.name === "userChannels" || route.name === "userNotifications") return route.id === connection.userId;
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
  // The SDK re-subscribes every relay with its old id after a reconnect; answering again would
  // re-run its callbacks (for `me`: a second set of topic subscriptions). Answer each id once.
  if (shard.store.wasAnswered(connection.userId, sid, connection.conn, Date.now())) return;
  let resource: unknown;
  const session = openSession(shard.bindings.DB, connection.bookmark);
  try {
    resource = await answerRelay(contextOf(shard, connection, session), route);
  } catch (e) {
    return shard.sockets.reportError(ws, connection, asChatError(e), { "subscription-id": sid });
  } finally {
    shard.sockets.rememberBookmark(ws, session);
  }
  shard.sockets.sendMessage(ws, connection.conn, { sid, destination }, JSON.stringify({ version: "v1", resource }));
  shard.store.rememberAnswer(connection.userId, sid, connection.conn);
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
    result = await performAction(contextOf(shard, connection, session, receipt), route, body);
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
});
