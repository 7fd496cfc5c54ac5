/**
 * A protocol-level chat-session client for tests: a WebSocket opened through the Worker's own
 * fetch handler, frames written as the SDK writes them (stompjs marshalling, binary) and read with
 * the SDK's own parser. Used by the realtime suites (the protocol-level session tests are
 * test/realtime/session-{handshake,bad-frames,bad-sends,relays}.test.ts), the abuse and durable
 * suites, and the live delivery of file messages.
 */
import { FrameImpl } from "@stomp/stompjs/esm6/frame-impl.js";
import { Parser } from "@stomp/stompjs/esm6/parser.js";
import { exports } from "cloudflare:workers";
import { ORIGIN, type TestApplication } from "./api";

export interface ServerFrame {
  command: string;
  headers: Record<string, string>;
  body: string;
}

const utf8 = new TextEncoder();

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A frame exactly as the SDK sends it: stompjs marshalling with STOMP 1.2 escaping, as binary. */
export const sdkFrame = (command: string, headers: Record<string, string>, body = ""): Uint8Array => {
  const raw = FrameImpl.marshall({ command, headers, body, escapeHeaderValues: command !== "CONNECT", skipContentLengthHeader: false });
  return typeof raw === "string" ? utf8.encode(raw) : new Uint8Array(raw);
};

export const openSocket = (query: string) =>
  exports.default.fetch(
    new Request(`${ORIGIN}/stompx/websocket?${query}`, { headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": "v12.stomp" } }),
  );

export const sessionQuery = (key: string, user: string) => `api_key=${encodeURIComponent(key)}&stompx_user=${encodeURIComponent(user)}`;

export const ERRORS_SID = "subscription-id-errors";
export const ERRORS_QUEUE = "/user/queue/v1/errors";

/** A SEND body of a text message, as the SDK writes it. */
export const textMessage = (body: string) => JSON.stringify({ type: "TEXT", body });

export const receipt = () => `receipt-${crypto.randomUUID()}`;
export const sid = () => `subscription-id-${crypto.randomUUID()}`;

/** The client end of one chat-session socket, reading frames with the SDK's STOMP parser. */
export class ChatClient {
  readonly frames: ServerFrame[] = [];
  pings = 0;
  closed: { code: number; reason: string } | undefined;
  private readonly parser = new Parser(
    (raw) => {
      const frame = FrameImpl.fromRawFrame(raw, true);
      this.frames.push({ command: frame.command, headers: { ...frame.headers } as Record<string, string>, body: frame.body });
    },
    () => this.pings++,
  );

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("message", (e) => this.parser.parseChunk(e.data as string | ArrayBuffer, true));
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
    });
    ws.addEventListener("error", () => {
      this.closed ??= { code: 1006, reason: "error" };
    });
  }

  /** Sends a frame; on a socket the server already closed it is dropped, as a dead link drops it. */
  send(command: string, headers: Record<string, string>, body = "") {
    this.sendRaw(sdkFrame(command, headers, body));
  }

  /** Sends raw bytes (or text), swallowing the error of a socket that is already closed. */
  sendRaw(data: Uint8Array | string) {
    try {
      this.ws.send(data);
    } catch {
      /* closed meanwhile */
    }
  }

  /** Removes and returns the first frame matching `pred`, waiting for it up to `ms`. */
  async take(what: string, pred: (f: ServerFrame) => boolean, ms = 3000): Promise<ServerFrame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      if (Date.now() > deadline) {
        throw new Error(
          `no ${what} within ${ms} ms; frames so far: ${JSON.stringify(this.frames).slice(0, 1500)}; closed: ${JSON.stringify(this.closed)}`,
        );
      }
      await sleep(5);
    }
  }

  /** The frames matching `pred` that arrive within `ms` (normally expected to be none). */
  async within(ms: number, pred: (f: ServerFrame) => boolean) {
    await sleep(ms);
    return this.frames.filter(pred);
  }

  async waitClosed(ms = 3000) {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await sleep(5);
    return this.closed;
  }

  /** The error on the errors queue correlated by `receipt-id` (actions) or `subscription-id` (relays). */
  async error(by: { receipt?: string; subscription?: string }, ms = 3000) {
    const frame = await this.take(
      `errors-queue MESSAGE for ${JSON.stringify(by)}`,
      (f) =>
        f.command === "MESSAGE" &&
        f.headers.destination === ERRORS_QUEUE &&
        (by.receipt === undefined || f.headers["receipt-id"] === by.receipt) &&
        (by.subscription === undefined || f.headers["subscription-id"] === by.subscription),
      ms,
    );
    return { frame, body: JSON.parse(frame.body) as { error: string; message: string; time: string } };
  }

  /** The one MESSAGE answering relay subscription `id`. */
  async relay(id: string, destination: string, ms = 3000) {
    this.send("SUBSCRIBE", { id, destination, ack: "auto" });
    const frame = await this.take(`relay reply to ${destination}`, (f) => f.command === "MESSAGE" && f.headers.subscription === id, ms);
    return JSON.parse(frame.body).resource;
  }

  /** SUBSCRIBE with a receipt, waiting for the RECEIPT. */
  async subscribe(id: string, destination: string) {
    const r = receipt();
    this.send("SUBSCRIBE", { id, destination, ack: "auto", receipt: r });
    await this.take(`RECEIPT for ${destination}`, (f) => f.command === "RECEIPT" && f.headers["receipt-id"] === r);
  }

  /**
   * Waits until every frame sent before has been handled: frames of a connection are handled
   * strictly in order, so the RECEIPT of a (harmless, idempotent) errors-queue SUBSCRIBE comes
   * after whatever the earlier frames answered synchronously.
   */
  async fence(ms = 3000) {
    const r = receipt();
    this.send("SUBSCRIBE", { id: ERRORS_SID, destination: ERRORS_QUEUE, ack: "auto", receipt: r });
    await this.take("fence RECEIPT", (f) => f.command === "RECEIPT" && f.headers["receipt-id"] === r, ms);
  }

  close() {
    try {
      this.ws.close(1000, "test done");
    } catch {
      /* already closed */
    }
  }
}

/** Opens a socket (101 checked) and returns its client end, before CONNECT. */
export const openChat = async (key: string, user: string) => {
  const res = await openSocket(sessionQuery(key, user));
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade answered ${res.status}: ${await res.text()}`);
  return new ChatClient(res.webSocket);
};

interface Me {
  id: number;
  name: string;
  _topics: { channels: string; notifications: string };
}

/**
 * Subscribes the session to its user-channels topic (where action results arrive) and creates a
 * PUBLIC channel through the `me.create-channel` action; returns the channel resource.
 */
export const createChannelInSession = async (client: ChatClient, me: Me, name: string) => {
  const topicReceipt = receipt();
  client.send("SUBSCRIBE", { id: "s-user-channels", destination: me._topics.channels, ack: "auto", receipt: topicReceipt });
  await client.take("RECEIPT", (f) => f.headers["receipt-id"] === topicReceipt);
  const created = receipt();
  client.send(
    "SEND",
    { destination: "/application/v1/users/me.create-channel", receipt: created },
    JSON.stringify({ type: "PUBLIC", name }),
  );
  return JSON.parse((await client.take("created channel", (f) => f.headers["receipt-id"] === created)).body).resource as { id: number };
};

/** A connected session as the SDK starts one: CONNECT, CONNECTED, errors-queue SUBSCRIBE, `me` relay. */
export const connectChat = async (app: Pick<TestApplication, "key">, user: string, meSid = sid()) => {
  const client = await openChat(app.key, user);
  client.send("CONNECT", { "accept-version": "1.2", "heart-beat": "5000,5000" });
  await client.take("CONNECTED", (f) => f.command === "CONNECTED");
  client.send("SUBSCRIBE", { id: ERRORS_SID, destination: ERRORS_QUEUE, ack: "auto" });
  const me = (await client.relay(meSid, "/application/v1/users/me.relay")) as Me;
  return { client, me };
};
