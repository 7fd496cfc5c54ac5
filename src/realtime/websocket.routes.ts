/**
 * `GET /stompx/websocket?api_key=…&stompx_user=…[&stompx_auth_params=…]`: where the ChatKitty SDK
 * opens its session. The Worker identifies the application and the user, then hands the upgrade
 * to the user's session shard. An application with `requireAuthenticatedSessions` admits only
 * existing users presenting one of their challenge tokens (`authParams: {token}`); others admit
 * anyone, creating guests for new names. A session that cannot start is still accepted as a
 * WebSocket and refused with a STOMP ERROR after CONNECT: refusing the HTTP upgrade would leave
 * the SDK retrying every 5 s with `startSession` never settling (spec §2.2, §2.6).
 */
import { Hono } from "hono";
import { LIMITS } from "../config";
import { createDb } from "../db/client";
import type { AppEnv } from "../env";
import { findUserByNameAndToken } from "../resources/tokens/tokens.queries";
import { findApplicationByKey, findOrCreateGuest } from "./chat.queries";
import { SHARD_HEADERS } from "./session-shard";
import { sessionShardStub, shardName } from "./shards";
import { serializeFrame } from "./stomp";

const SUBPROTOCOL = { "Sec-WebSocket-Protocol": "v12.stomp" };

/** Accepts the socket only to answer its CONNECT with an access-denied ERROR, then closes it. */
const refuse = (reason: string): Response => {
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  server.accept();
  server.addEventListener("message", (event) => {
    if (typeof event.data === "string") return; // a heart-beat before CONNECT
    const body = JSON.stringify({ error: "AccessDeniedError", message: reason, time: new Date().toISOString() });
    server.send(serializeFrame("ERROR", { message: "AccessDeniedError", "content-type": "application/json" }, body));
    server.close(1008, "access denied");
  });
  return new Response(null, { status: 101, webSocket: client, headers: SUBPROTOCOL });
};

/**
 * The challenge token in the SDK's `stompx_auth_params` (`encodeURIComponent(JSON.stringify(authParams))`),
 * when it is a JSON object with a plausible `token` string; undefined for anything else, never a throw.
 * @example challengeToken('{"token":"abc"}') // "abc"
 */
const challengeToken = (authParams: string | undefined): string | undefined => {
  if (!authParams || authParams.length > 4096) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(authParams);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const token: unknown = (parsed as Record<string, unknown>).token;
  return typeof token === "string" && token.length > 0 && token.length <= 128 ? token : undefined;
};

export const websocketRoutes = new Hono<AppEnv>();

websocketRoutes.get("/stompx/websocket", async (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    return c.json({ error: "UpgradeRequiredError", message: "Open this URL as a WebSocket", timestamp: new Date().toISOString() }, 426, {
      Upgrade: "websocket",
    });
  }
  const apiKey = c.req.query("api_key") ?? "";
  const username = c.req.query("stompx_user") ?? "";
  // The SDK sends the literal "undefined" when the app passed no username.
  if (!username || username === "undefined" || username.trim() === "" || username.length > LIMITS.nameLength) {
    return refuse("A user name is required to start a session");
  }
  const db = createDb(c.env.DB);
  const application = apiKey.length <= 64 ? await findApplicationByKey(db, apiKey) : undefined;
  if (!application) return refuse("Invalid API key");
  let user: { id: number };
  if (application.requireAuthenticatedSessions) {
    // One answer for every failure (no token, wrong token, someone else's, unknown name), so a
    // refusal tells a caller nothing about which names exist.
    const token = challengeToken(c.req.query("stompx_auth_params"));
    const authenticated = token === undefined ? undefined : await findUserByNameAndToken(db, application.id, username, token);
    if (!authenticated) return refuse("This application requires a valid user challenge token (authParams.token)");
    user = authenticated;
  } else {
    user = await findOrCreateGuest(db, application.id, username);
  }
  const shard = shardName(c.env, application.id, user.id);
  // A fresh request: nothing the client sent besides the upgrade reaches the shard.
  return sessionShardStub(c.env, shard).fetch("https://session-shard/connect", {
    headers: {
      Upgrade: "websocket",
      [SHARD_HEADERS.applicationId]: String(application.id),
      [SHARD_HEADERS.userId]: String(user.id),
      [SHARD_HEADERS.shard]: shard,
    },
  });
});
