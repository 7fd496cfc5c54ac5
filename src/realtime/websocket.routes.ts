/**
 * `GET /stompx/websocket?api_key=…&stompx_user=…[&stompx_auth_params=…]`: where the ChatKitty SDK
 * opens its session. The Worker checks the application and, where the application requires
 * authenticated sessions, the user's challenge token (`authParams: {token}`), then hands the
 * upgrade to the session shard of that user name. It writes nothing: a guest user is created by
 * the shard only once a valid CONNECT arrives, so bare upgrades cost no storage.
 *
 * A session that cannot start is still accepted as a WebSocket and refused with a STOMP ERROR:
 * refusing the HTTP upgrade would leave the SDK retrying every 5 s with `startSession` never
 * settling (spec §2.2, §2.6). Floods are refused before any lookup, with a plain 429, per client
 * address and then per application (`SESSION_*_RATE_LIMITER`).
 */
import { Hono, type Context } from "hono";
import { createDb, type Db, openSession } from "../db/client";
import type { AppEnv } from "../env";
import { allowed, RETRY_AFTER_SECONDS } from "../http/rate-limit";
import { randomShardName, sessionShardStub, shardName } from "../chat/live";
import { findApplicationByKey } from "../chat/queries/applications";
import { findUserByNameAndToken } from "../chat/queries/user-tokens";
import { challengeToken, isUsableName } from "./auth-params";
import { serializeFrame } from "./stomp";
import { encodeShardHeaders, MAX_USER_AGENT_CHARS, type ShardUpgrade } from "./upgrade";

const SUBPROTOCOL = { "Sec-WebSocket-Protocol": "v12.stomp" };

/** A refused socket that never sends a frame is closed after this long. */
const REFUSED_SOCKET_MS = 10_000;

/**
 * Accepts the socket only to answer with an access-denied ERROR, then closes it: at the first
 * message of any kind (the SDK's CONNECT), or after `REFUSED_SOCKET_MS` of silence.
 */
const refuse = (reason: string): Response => {
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  server.accept();
  let open = true;
  const deny = () => {
    if (!open) return;
    open = false;
    const now = new Date().toISOString();
    const body = JSON.stringify({ error: "AccessDeniedError", message: reason, time: now, timestamp: now });
    try {
      server.send(serializeFrame("ERROR", { message: "AccessDeniedError", "content-type": "application/json" }, body));
      server.close(1008, "access denied");
    } catch {
      /* the client left first */
    }
  };
  server.addEventListener("message", deny);
  server.addEventListener("close", () => (open = false));
  setTimeout(deny, REFUSED_SOCKET_MS);
  return new Response(null, { status: 101, webSocket: client, headers: SUBPROTOCOL });
};

const tooManyUpgrades = (c: Context<AppEnv>, what: string) =>
  c.json(
    {
      error: "TooManyRequestsError",
      message: `Too many chat sessions opened ${what}; retry after ${RETRY_AFTER_SECONDS} seconds`,
      timestamp: new Date().toISOString(),
    },
    429,
    { "Retry-After": String(RETRY_AFTER_SECONDS) },
  );

export const websocketRoutes = new Hono<AppEnv>();

/**
 * The checks every upgrade shares: a WebSocket upgrade, within the flood limits, for a known
 * application. Returns the application, or the response that ends the request.
 */
const admitUpgrade = async (c: Context<AppEnv>, apiKey: string, db: Db) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    return c.json({ error: "UpgradeRequiredError", message: "Open this URL as a WebSocket", timestamp: new Date().toISOString() }, 426, {
      Upgrade: "websocket",
    });
  }
  const address = c.req.header("CF-Connecting-IP") ?? "unknown";
  if (!(await allowed(c.env.SESSION_ADDRESS_RATE_LIMITER, `address:${address}`, c))) return tooManyUpgrades(c, "from this address");
  const application = apiKey.length <= 64 ? await findApplicationByKey(db, apiKey) : undefined;
  if (!application) return refuse("Invalid API key");
  if (!(await allowed(c.env.SESSION_APP_RATE_LIMITER, `app:${application.id}`, c))) return tooManyUpgrades(c, "for this application");
  return application;
};

const toShard = (c: Context<AppEnv>, upgrade: Omit<ShardUpgrade, "userAgent">) =>
  sessionShardStub(c.env, upgrade.shard).fetch("https://session-shard/connect", {
    // A fresh request: nothing the client sent besides the upgrade reaches the shard.
    headers: {
      Upgrade: "websocket",
      ...encodeShardHeaders({ ...upgrade, userAgent: c.req.header("User-Agent")?.slice(0, MAX_USER_AGENT_CHARS) || undefined }),
    },
  });

/** The 2020 dialect: the user is named in the query, so the upgrade goes to that user's shard. */
const upgrade2020 = async (c: Context<AppEnv>) => {
  // From the primary: a challenge token revoked a moment ago must not admit a session.
  const db = createDb(openSession(c.env.DB, "first-primary"));
  const username = c.req.query("stompx_user") ?? "";
  const application = await admitUpgrade(c, c.req.query("api_key") ?? "", db);
  if (application instanceof Response) return application;
  if (!isUsableName(username)) return refuse("A user name is required to start a session");
  let authenticated: { id: number; tokenId: number } | undefined;
  if (application.requireAuthenticatedSessions) {
    // One answer for every failure (no token, wrong token, someone else's, unknown name), so a
    // refusal tells a caller nothing about which names exist.
    const token = challengeToken(c.req.query("stompx_auth_params"));
    authenticated = token === undefined ? undefined : await findUserByNameAndToken(db, application.id, username, token);
    if (!authenticated) return refuse("This application requires a valid user challenge token (authParams.token)");
  }
  const shard = shardName(c.env, application.id, username);
  return toShard(c, { dialect: "2020", applicationId: application.id, userName: username, shard, authenticated });
};

/**
 * The current dialect: only the key is in the URL (`api-key`; `api_key` for 1.53 and earlier); the
 * user arrives in CONNECT, so the upgrade goes to a shard picked at random and the shard settles
 * (and authenticates) the user then (stompx-current.md §2, §23).
 */
const upgradeCurrent = async (c: Context<AppEnv>) => {
  const db = createDb(openSession(c.env.DB, "first-unconstrained"));
  const application = await admitUpgrade(c, c.req.query("api-key") ?? c.req.query("api_key") ?? "", db);
  if (application instanceof Response) return application;
  const shard = randomShardName(c.env, application.id);
  return toShard(c, {
    dialect: "current",
    applicationId: application.id,
    userName: "",
    shard,
    requireAuth: application.requireAuthenticatedSessions,
  });
};

websocketRoutes.get("/stompx/websocket", (c) => (c.req.query("stompx_user") === undefined ? upgradeCurrent(c) : upgrade2020(c)));
websocketRoutes.get("/rtm/websocket", upgradeCurrent);
