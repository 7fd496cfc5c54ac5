/**
 * The clients of `bench/realtime.mjs`: chat sessions that speak StompX directly, in either dialect (over `ws`,
 * frame for frame as the SDK does, so the numbers are the server's and not 2,000 SDK instances'
 * overhead), and sockets on the real-time floor (`GET /ping/websocket`, src/durable/fan-out-floor.ts).
 * Both hand each MESSAGE body to the same callback, so the clients cost the same in both runs.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const WebSocket = require("ws");

const frame = (command, headers, body = "") =>
  Buffer.from(
    `${command}\n${Object.entries(headers)
      .map(([k, v]) => `${k}:${v}`)
      .join("\n")}\n\n${body}\0`,
  );

/** Only what the benchmark reads: the command, the headers it needs, the body. */
const parse = (data) => {
  const text = data.toString();
  const blank = text.indexOf("\n\n");
  const head = text.slice(0, blank);
  const command = head.slice(0, head.indexOf("\n"));
  const header = (name) => {
    const at = head.indexOf(`\n${name}:`);
    if (at < 0) return undefined;
    const end = head.indexOf("\n", at + 1);
    return head.slice(at + name.length + 2, end < 0 ? undefined : end);
  };
  return { command, header, body: text.slice(blank + 2, text.endsWith("\0") ? -1 : undefined) };
};

const wsUrl = (baseUrl, path) => `${baseUrl.replace("http", "ws")}${path}`;

/**
 * A chat session: connect, then subscribe (resolving on each RECEIPT), answer relays, send actions.
 * `onMessage(body, frame)` gets every topic MESSAGE; `onError(frame)` an ERROR frame after CONNECTED.
 * Current-dialect sessions subscribe to topics as the SDK does (`ack:client-individual`) and ACK
 * each MESSAGE once `onMessage` returned. `pause()` stops reading the socket (a reader that
 * stalled: nothing read, nothing acknowledged); `resume()` reads on.
 */
export const connectChat = (baseUrl, key, username, { onMessage, onError } = {}, dialect = "2020") =>
  new Promise((resolve, reject) => {
    // The current dialect (chatkitty@1.58.2) names the user at CONNECT, not in the URL.
    const url =
      dialect === "current"
        ? `/rtm/websocket?api-key=${key}`
        : `/stompx/websocket?api_key=${key}&stompx_user=${encodeURIComponent(username)}`;
    const ws = new WebSocket(wsUrl(baseUrl, url), ["v12.stomp"]);
    const waiting = new Map();
    let n = 0;
    let connected = false;
    const client = {
      ws,
      subscribe: (destination) =>
        new Promise((res) => {
          const receipt = `r${++n}`;
          waiting.set(receipt, res);
          ws.send(frame("SUBSCRIBE", { id: `s${n}`, destination, ack: dialect === "current" ? "client-individual" : "auto", receipt }));
        }),
      relay: (destination) =>
        new Promise((res) => {
          const id = `s${++n}`;
          waiting.set(id, (f) => res(JSON.parse(f.body).resource));
          ws.send(frame("SUBSCRIBE", { id, destination, ack: "auto" }));
        }),
      send: (destination, body) => {
        ws.send(frame("SEND", { destination, receipt: `r${++n}`, "content-type": "application/json" }, JSON.stringify(body)));
      },
      close: () => ws.close(),
      pause: () => ws._socket.pause(),
      resume: () => ws._socket.resume(),
    };
    const user = dialect === "current" ? { "StompX-User": username } : {};
    ws.on("open", () => ws.send(frame("CONNECT", { "accept-version": "1.2", "heart-beat": "5000,5000", ...user })));
    ws.on("error", (e) => (connected ? onError?.({ body: String(e) }) : reject(e)));
    ws.on("message", (data) => {
      const f = parse(data);
      if (f.command === "CONNECTED") {
        connected = true;
        return resolve(client);
      }
      if (f.command === "ERROR") return connected ? onError?.(f) : reject(new Error(f.body));
      if (f.command === "RECEIPT") return waiting.get(f.header("receipt-id"))?.();
      if (f.command !== "MESSAGE") return;
      const relay = waiting.get(f.header("subscription"));
      if (relay) {
        waiting.delete(f.header("subscription"));
        return relay(f);
      }
      onMessage?.(f.body, f);
      const ack = f.header("ack");
      // As text, as the SDK's STOMP client sends its frames in a browser.
      if (ack !== undefined) ws.send(frame("ACK", { id: ack, subscription: f.header("subscription") }).toString());
    });
  });

/** A socket on the floor object: every MESSAGE body it receives goes to `onMessage`; with `ack`, it ACKs each. */
export const connectFloor = (baseUrl, { onMessage } = {}, { ack = false } = {}) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(baseUrl, "/ping/websocket"));
    let acks = 0;
    ws.on("open", () => resolve({ ws, send: (body) => ws.send(body), close: () => ws.close() }));
    ws.on("error", reject);
    ws.on("message", (data) => {
      const f = parse(data);
      if (f.command !== "MESSAGE") return;
      onMessage?.(f.body, f);
      // As a current-dialect session ACKs each event (the floor reads it and drops it).
      if (ack) ws.send(frame("ACK", { id: `floor-${++acks}`, subscription: "s1" }).toString());
    });
  });

/** Opens `count` clients, `batch` at a time (so the server is not asked for thousands at once). */
export const openMany = async (count, open, batch = 25) => {
  const clients = [];
  for (let i = 0; i < count; i += batch) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(batch, count - i) }, (_, j) => open(i + j)))));
  }
  return clients;
};
