/**
 * The floors `npm run bench` divides by, answered by the Worker's fetch handler before the app.
 * `GET /ping` (always served) is what the Worker costs when it does nothing. With
 * `BENCH_FLOORS = "on"` (the benchmark scripts set it; leave it off in deployments) each of the
 * platform facilities a request path is built from is measured alone, called the way the app
 * calls it, so a case can be compared with the facilities it cannot do without:
 * - `GET /ping/d1`: one D1 query in a session (`SELECT 1`), the least a request that reads costs;
 * - `GET /ping/limit`: one call of the rate-limit binding, under a key no application has;
 * - `GET /ping/room`: one RPC to a Durable Object that answers from memory (a channel room's size);
 * - `GET /ping/websocket`: the real-time floor (durable/fan-out-floor.ts).
 */
import { channelRoomStub, sessionShardStub } from "./chat/live";
import { openSession } from "./db/client";
import { FLOOR_HEADER, FLOOR_SHARD } from "./durable/fan-out-floor";

/** Whether the URL's path is exactly `path` (a string test: the floors cost as little as a route can). */
const isPath = (url: string, path: string) => url.endsWith(path) && url.indexOf("/", url.indexOf("//") + 2) === url.length - path.length;

const text = (body: string) => new Response(body, { headers: { "Content-Type": "text/plain" } });

// A room no channel has (real rooms are named `<applicationId>:<channelId>`).
const FLOOR_ROOM = { applicationId: 0, channelId: 0 };

const floors: Record<string, (request: Request, env: Env) => Promise<Response>> = {
  "/ping/d1": async (_request, env) => text(String(await openSession(env.DB).prepare("SELECT 1 AS one").first("one"))),
  "/ping/limit": async (_request, env) => text(String((await env.API_RATE_LIMITER?.limit({ key: "floor" }))?.success)),
  "/ping/room": async (_request, env) => text(String(await channelRoomStub(env, FLOOR_ROOM.applicationId, FLOOR_ROOM.channelId).size())),
  "/ping/websocket": async (request, env) =>
    request.headers.get("Upgrade") === "websocket"
      ? sessionShardStub(env, FLOOR_SHARD).fetch("https://session-shard/floor", { headers: { Upgrade: "websocket", [FLOOR_HEADER]: "1" } })
      : new Response("Upgrade: websocket required", { status: 426, headers: { "Content-Type": "text/plain" } }),
};

/** The floor `request` asks for, or undefined when it is a request for the app. */
export const floorFor = (request: Request, env: Env): Promise<Response> | Response | undefined => {
  if (request.method !== "GET") return undefined;
  const { url } = request;
  if (isPath(url, "/ping")) return text("pong");
  if (env.BENCH_FLOORS !== "on" || !url.includes("/ping/")) return undefined;
  const path = url.slice(url.indexOf("/ping/"));
  const floor = floors[path];
  return floor && isPath(url, path) ? floor(request, env) : undefined;
};
