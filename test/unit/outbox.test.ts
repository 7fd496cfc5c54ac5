/**
 * A session shard's per-connection backlog (src/durable/outbox.ts): frames go straight to a
 * socket while the runtime buffers little for it, wait in order when it buffers more, and past
 * the backlog bound the slow-consumer policy applies: OPEN channel messages are dropped oldest
 * first and the client is told; anything else ends the connection. The socket here is a stand-in
 * whose `bufferedAmount` the test sets, because a real one drains into the kernel's buffers
 * (megabytes on loopback) long before the runtime reports any backlog.
 */
import { describe, it } from "vitest";
import { type Droppable, Outbox } from "../../src/durable/outbox";
import { acknowledge, plainAck } from "../../src/durable/session-frames";
import type { SessionSockets } from "../../src/durable/session-sockets";
import { MAX_ID_CHARS } from "../../src/durable/subscription-store";
import { sleep } from "../helpers/chat";

class StandInSocket {
  bufferedAmount = 0;
  readonly sent: string[] = [];
  send(frame: string) {
    this.sent.push(frame);
  }
}

const HIGH = 100;
const BACKLOG = 50;
const WINDOW = 3;

const setupOutbox = () => {
  const ws = new StandInSocket();
  const ended: unknown[] = [];
  const outbox = new Outbox(
    {
      socketOf: () => ws as unknown as WebSocket,
      dropNotice: (_conn, to, count) => `dropped ${count} of ${to.channelId}`,
      slowConsumer: (socket) => ended.push(socket),
    },
    { highWaterBytes: HIGH, backlogBytes: BACKLOG, ackWindow: WINDOW },
  );
  return { ws, socket: ws as unknown as WebSocket, outbox, ended };
};

const open7: Droppable = { channelId: 7, sid: "s1", destination: "/topic/v1/channels/7/messages" };
/** Frames of exactly 10 characters, so the byte bound is easy to count. */
const f = (i: number) => `frame-${String(i).padStart(4, "0")}`;

describe("a connection's outbox", () => {
  it("writes straight through while the socket buffers less than the high-water mark", ({ expect }) => {
    const { ws, socket, outbox } = setupOutbox();
    for (let i = 0; i < 3; i++) outbox.write("c", socket, f(i));
    expect(ws.sent).toEqual([f(0), f(1), f(2)]);
    expect(outbox.backlogBytes("c")).toBe(0);
  });

  it("queues behind a full socket and hands the frames over, in order, once it drains", async ({ expect }) => {
    const { ws, socket, outbox } = setupOutbox();
    outbox.write("c", socket, f(0));
    ws.bufferedAmount = HIGH;
    outbox.write("c", socket, f(1));
    outbox.write("c", socket, f(2));
    expect(ws.sent).toEqual([f(0)]);
    expect(outbox.backlogBytes("c")).toBe(20);
    // Still full at the next drain: nothing moves.
    await sleep(30);
    expect(ws.sent).toEqual([f(0)]);
    ws.bufferedAmount = 0;
    // A frame written while others wait goes behind them, not ahead.
    outbox.write("c", socket, f(3));
    await sleep(30);
    expect(ws.sent).toEqual([f(0), f(1), f(2), f(3)]);
    expect(outbox.backlogBytes("c")).toBe(0);
  });

  it("at the bound drops the oldest OPEN-channel frames, tells the client how many, and keeps the rest in order", async ({ expect }) => {
    const { ws, socket, outbox, ended } = setupOutbox();
    ws.bufferedAmount = HIGH;
    // A receipt (not droppable) first, then 8 OPEN messages: 90 characters against a 50 bound.
    outbox.write("c", socket, "receipt-01");
    for (let i = 0; i < 8; i++) outbox.write("c", socket, f(i), open7);
    expect(outbox.backlogBytes("c")).toBe(50);
    expect(outbox.stats.dropped).toBe(4);
    ws.bufferedAmount = 0;
    await sleep(30);
    expect(ws.sent).toEqual(["dropped 4 of 7", "receipt-01", f(4), f(5), f(6), f(7)]);
    expect(ended).toEqual([]);
  });

  it("at the bound with nothing it may drop, ends the connection once and forgets its backlog", async ({ expect }) => {
    const { ws, socket, outbox, ended } = setupOutbox();
    ws.bufferedAmount = HIGH;
    for (let i = 0; i < 5; i++) outbox.write("c", socket, f(i));
    expect(ended).toEqual([]);
    outbox.write("c", socket, f(5));
    expect(ended).toEqual([socket]);
    expect(outbox.stats.slowConsumers).toBe(1);
    expect(outbox.backlogBytes("c")).toBe(0);
    ws.bufferedAmount = 0;
    await sleep(30);
    expect(ws.sent).toEqual([]);
  });

  it("an OPEN message that alone exceeds what may wait is dropped, and a persisted one then ends the session", ({ expect }) => {
    const { ws, socket, outbox, ended } = setupOutbox();
    ws.bufferedAmount = HIGH;
    outbox.write("c", socket, "x".repeat(BACKLOG + 1), open7);
    expect(outbox.backlogBytes("c")).toBe(0);
    expect(outbox.stats.dropped).toBe(1);
    outbox.write("c", socket, "y".repeat(BACKLOG + 1));
    expect(ended).toEqual([socket]);
  });

  it("keeps each connection's backlog apart, and forgets a closed one", async ({ expect }) => {
    const a = new StandInSocket();
    const b = new StandInSocket();
    const sockets: Record<string, StandInSocket> = { a, b };
    const outbox = new Outbox(
      { socketOf: (conn) => sockets[conn] as unknown as WebSocket, dropNotice: () => "notice", slowConsumer: () => {} },
      { highWaterBytes: HIGH, backlogBytes: BACKLOG, ackWindow: WINDOW },
    );
    a.bufferedAmount = HIGH;
    outbox.write("a", a as unknown as WebSocket, f(0));
    outbox.write("b", b as unknown as WebSocket, f(1));
    expect(b.sent).toEqual([f(1)]);
    expect(outbox.backlogBytes("a")).toBe(10);
    outbox.forget("a");
    a.bufferedAmount = 0;
    await sleep(30);
    expect(a.sent).toEqual([]);
  });

  it("drops a closed socket's backlog at the next drain", async ({ expect }) => {
    const { ws, socket } = setupOutbox();
    let open = true;
    const outbox = new Outbox(
      { socketOf: () => (open ? socket : undefined), dropNotice: () => "notice", slowConsumer: () => {} },
      { highWaterBytes: HIGH, backlogBytes: BACKLOG, ackWindow: WINDOW },
    );
    ws.bufferedAmount = HIGH;
    outbox.write("c", socket, f(0));
    open = false;
    await sleep(30);
    expect(outbox.backlogBytes("c")).toBe(0);
  });

  describe("the ACK window (current clients ACK each event)", () => {
    it("holds events back once WINDOW of them wait for their ACK, and each ACK lets one more through, in order", async ({ expect }) => {
      const { ws, socket, outbox } = setupOutbox();
      outbox.acked("c", "s1");
      for (let i = 0; i < 6; i++) outbox.write("c", socket, f(i), open7, "s1");
      expect(ws.sent).toEqual([f(0), f(1), f(2)]);
      expect(outbox.unacked("c")).toBe(WINDOW);
      expect(outbox.backlogBytes("c")).toBe(30);
      // A receipt waits its turn behind the held events.
      outbox.write("c", socket, "receipt-01");
      outbox.acked("c", "s1");
      await sleep(30);
      expect(ws.sent).toEqual([f(0), f(1), f(2), f(3)]);
      outbox.acked("c", "s1");
      outbox.acked("c", "s1");
      await sleep(30);
      expect(ws.sent).toEqual([f(0), f(1), f(2), f(3), f(4), f(5)]);
      for (let i = 0; i < 3; i++) outbox.acked("c", "s1");
      await sleep(30);
      expect(ws.sent.at(-1)).toBe("receipt-01");
      expect(outbox.backlogBytes("c")).toBe(0);
    });

    it("a client that stopped ACKing gets the slow-consumer policy: OPEN messages dropped oldest first and counted, memory bounded", async ({
      expect,
    }) => {
      const { ws, socket, outbox, ended } = setupOutbox();
      outbox.acked("c", "s1");
      for (let i = 0; i < 100; i++) outbox.write("c", socket, f(i), open7, "s1");
      expect(ws.sent).toEqual([f(0), f(1), f(2)]);
      expect(outbox.backlogBytes("c")).toBe(BACKLOG);
      expect(outbox.stats.dropped).toBe(100 - WINDOW - BACKLOG / 10);
      expect(ended).toEqual([]);
      // It catches up: the notice comes first, then the newest messages that were kept.
      for (let i = 0; i < 3; i++) outbox.acked("c", "s1");
      await sleep(30);
      expect(ws.sent.slice(3, 7)).toEqual(["dropped 92 of 7", f(95), f(96), f(97)]);
    });

    it("and a persisted event it cannot drop ends the connection", ({ expect }) => {
      const { socket, outbox, ended } = setupOutbox();
      outbox.acked("c", "s2");
      for (let i = 0; i < WINDOW + BACKLOG / 10 + 1; i++) outbox.write("c", socket, f(i), undefined, "s2");
      expect(ended).toEqual([socket]);
    });

    it("never holds back a subscription that does not ACK (ack:auto), nor a connection that never ACKed", ({ expect }) => {
      const { ws, socket, outbox } = setupOutbox();
      for (let i = 0; i < 10; i++) outbox.write("c", socket, f(i), open7, "s1");
      outbox.acked("c", "s1");
      for (let i = 10; i < 20; i++) outbox.write("c", socket, f(i), open7, "auto-sid");
      expect(ws.sent).toHaveLength(20);
      expect(outbox.unacked("c")).toBe(0);
    });

    it("extra ACKs never open the window past its size, and a closed connection's window is forgotten", ({ expect }) => {
      const { ws, socket, outbox } = setupOutbox();
      for (let i = 0; i < 10; i++) outbox.acked("c", "s1");
      expect(outbox.unacked("c")).toBe(0);
      for (let i = 0; i < 5; i++) outbox.write("c", socket, f(i), open7, "s1");
      expect(ws.sent).toHaveLength(WINDOW);
      outbox.forget("c");
      expect(outbox.unacked("c")).toBe(0);
      expect(outbox.backlogBytes("c")).toBe(0);
    });
  });
});

describe("plainAck: the ACK frames that skip the frame queue", () => {
  it("reads the subscription of one plain ACK frame, as the SDK writes it", ({ expect }) => {
    expect(plainAck("ACK\nid:c1-5\nsubscription:sub-3\n\n\0")).toBe("sub-3");
    expect(plainAck("ACK\nsubscription:sub-3\nid:c1-5\n\n\0\n")).toBe("sub-3");
    expect(plainAck("ACK\nsubscription:a\nsubscription:b\n\n\0")).toBe("a");
    expect(plainAck("ACK\nid:x\nsubscription:s\ncontent-length:0\n\n\0")).toBe("s");
  });

  it.for([
    ["not an ACK", "SEND\nsubscription:s\n\n\0"],
    ["no subscription", "ACK\nid:x\n\n\0"],
    ["an empty subscription", "ACK\nsubscription:\n\n\0"],
    ["CRLF lines", "ACK\r\nsubscription:s\r\n\r\n\0"],
    ["an escaped header", "ACK\nsubscription:a\\cb\n\n\0"],
    ["two frames", "ACK\nsubscription:s\n\n\0ACK\nsubscription:t\n\n\0"],
    ["a body", "ACK\nsubscription:s\n\nbody\0"],
    ["no NUL", "ACK\nsubscription:s\n\n"],
    ["too long", `ACK\nsubscription:${"s".repeat(1000)}\n\n\0`],
  ] as const)("leaves %s to the general path", ([, data], { expect }) => {
    expect(plainAck(data)).toBeUndefined();
  });

  it("leaves binary messages to the general path", ({ expect }) => {
    expect(plainAck(new TextEncoder().encode("ACK\nsubscription:s\n\n\0").buffer as ArrayBuffer)).toBeUndefined();
  });
});

describe("acknowledge: both ACK paths end here", () => {
  it("opens the window for a subscription id a SUBSCRIBE could have given, and ignores a longer one", ({ expect }) => {
    const { ws, socket, outbox } = setupOutbox();
    const shard = { sockets: { outbox } as unknown as SessionSockets };
    const long = "s".repeat(MAX_ID_CHARS + 1);
    acknowledge(shard, "c", long);
    for (let i = 0; i < 5; i++) outbox.write("c", socket, f(i), open7, long);
    expect(ws.sent).toHaveLength(5);
    const ok = "s".repeat(MAX_ID_CHARS);
    acknowledge(shard, "c", ok);
    for (let i = 5; i < 10; i++) outbox.write("c", socket, f(i), open7, ok);
    expect(ws.sent).toHaveLength(5 + WINDOW);
  });
});
