/**
 * The real-time floor: what live fan-out costs when it does nothing but write. Its sockets speak
 * no STOMP; whatever one of them sends is written, as one MESSAGE frame serialized once, to all
 * the others, except an `ACK` frame, which is read and dropped: the least an acknowledging client
 * (the current SDK ACKs every event) can cost. `npm run bench:realtime` runs the same clients
 * against it and against a real channel and divides one by the other. Served at
 * `GET /ping/websocket` only with `BENCH_FLOORS = "on"` (src/floors.ts; an open relay).
 */
import { serializeFrame } from "../realtime/stomp";

/** The session shard that plays the floor (real shard names are `<appId>:<n>`). */
export const FLOOR_SHARD = "floor";
export const FLOOR_HEADER = "X-Kitty-Floor";
const FLOOR_TAG = "floor";

/** Accepts a floor socket (no attachment: it is no chat session). */
export const acceptFloorSocket = (ctx: DurableObjectState): Response => {
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  ctx.acceptWebSocket(server, [FLOOR_TAG]);
  return new Response(null, { status: 101, webSocket: client });
};

export const isFloorSocket = (ctx: DurableObjectState, ws: WebSocket) => ctx.getTags(ws).includes(FLOOR_TAG);

const decoder = new TextDecoder();

/** Writes one frame with what `from` sent to every other floor socket (an ACK goes nowhere). */
export const floorBroadcast = (ctx: DurableObjectState, from: WebSocket, data: string | ArrayBuffer) => {
  if (typeof data === "string" && data.startsWith("ACK\n")) return;
  const body = typeof data === "string" ? data : decoder.decode(data);
  const headers = { subscription: "floor", destination: "/topic/floor", "message-id": "floor", "content-type": "application/json" };
  const frame = serializeFrame("MESSAGE", headers, body);
  for (const ws of ctx.getWebSockets(FLOOR_TAG)) {
    if (ws === from) continue;
    try {
      ws.send(frame);
    } catch {
      /* closed meanwhile */
    }
  }
};
