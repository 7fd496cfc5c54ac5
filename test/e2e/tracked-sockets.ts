/**
 * Every WebSocket the ChatKitty SDKs open in this process, with the raw frames sent and received
 * on it, for the SDK e2e suites (./sdk.ts for 1.1.1, ./sdk-current.ts for 1.58.2). Importing this
 * module installs the tracking class as the global `WebSocket`, which both SDKs use (1.58.2 takes
 * the raw `/rtm/websocket` path, not SockJS, only when a global `WebSocket` exists); import it
 * before loading an SDK.
 */
import { createRequire } from "node:module";
import { sleep } from "./wait";

const require = createRequire(import.meta.url);
export const WS = require("ws");

export interface TrackedSocket {
  url: string;
  ws: any;
  received: string[];
  sent: string[];
}
export const sockets: TrackedSocket[] = [];

const asText = (data: unknown) =>
  typeof data === "string"
    ? data
    : Buffer.isBuffer(data)
      ? data.toString("utf8")
      : Array.isArray(data)
        ? Buffer.concat(data).toString("utf8")
        : Buffer.from(data as ArrayBuffer).toString("utf8");

class TrackedWebSocket extends WS {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    const entry: TrackedSocket = { url, ws: this, received: [], sent: [] };
    sockets.push(entry);
    const send = (this as any).send.bind(this);
    (this as any).send = (data: unknown, ...rest: unknown[]) => {
      entry.sent.push(asText(data));
      return send(data, ...rest);
    };
    (this as any).on("message", (data: unknown) => entry.received.push(asText(data)));
  }
}
(globalThis as any).WebSocket = TrackedWebSocket;

/** Waits up to `ms` for every socket to close (the SDKs close theirs on the server's RECEIPT), then terminates the rest. */
export const closeAllSockets = async (ms: number) => {
  const deadline = Date.now() + ms;
  while (sockets.some((s) => s.ws.readyState !== WS.CLOSED) && Date.now() < deadline) await sleep(20);
  for (const s of sockets) if (s.ws.readyState !== WS.CLOSED) s.ws.terminate();
};
