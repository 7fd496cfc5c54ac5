/**
 * Past what a session shard can take, a channel room keeps at most SHARD_BACKLOG deliveries
 * waiting per shard (durable/channel-room.ts). What it drops is never dropped silently: watchers
 * of an OPEN channel get a `channel.messages.dropped` event with the count before the messages
 * that follow; watchers of a persisted channel are disconnected with a SlowConsumerError ERROR
 * frame, so the SDK reconnects and fetches what it missed.
 *
 * The burst is posted inside the room in one turn, so every post after the first queues while
 * the first delivery is in flight: the number dropped is exact.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import { channelRoomStub } from "../../src/chat/live";
import type { MessageRow } from "../../src/chat/queries/messages";
import { type ChannelRoom, SHARD_BACKLOG } from "../../src/durable/channel-room";
import { DROPPED_EVENT } from "../../src/durable/session-sockets";
import { setup } from "../helpers/api";
import { type ChatClient, connectChat, sid, sleep } from "../helpers/chat";
import { connectCurrent } from "../helpers/current-chat";

const OVER = 40;
const BURST = 1 + SHARD_BACKLOG + OVER;

describe("a shard that falls behind a channel's room", () => {
  it("OPEN channel: the oldest waiting messages are dropped and each watcher is told how many, in order", async ({ expect }) => {
    const s = await setup();
    const channel = await s.createChannel("OPEN");
    const topic = `/topic/v1/channels/${channel.id}/messages`;
    const { client } = await connectChat(s.app, "slow-open");
    const id = sid();
    await client.subscribe(id, topic);
    await runInDurableObject(channelRoomStub(env, s.app.id, channel.id), (room: ChannelRoom) => {
      for (let i = 0; i < BURST; i++) void room.post(channel.id, { type: "SYSTEM_TEXT", body: `m${i}` });
    });
    const expected = BURST - OVER + 1; // the first, the notice, the newest SHARD_BACKLOG
    const deadline = Date.now() + 5000;
    const on = () => client.frames.filter((f) => f.command === "MESSAGE" && f.headers.subscription === id);
    while (on().length < expected && Date.now() < deadline) await sleep(20);
    await sleep(50);
    const events = on().map((f) => JSON.parse(f.body) as { type: string; resource: { body?: string; channelId?: number; count?: number } });
    expect(events).toHaveLength(expected);
    expect(events[0]!.resource.body).toBe("m0");
    expect(events[1]).toEqual({ type: DROPPED_EVENT, version: "v1", resource: { channelId: channel.id, count: OVER } });
    expect(events.slice(2).map((e) => e.resource.body)).toEqual(Array.from({ length: SHARD_BACKLOG }, (_, i) => `m${1 + OVER + i}`));
    expect(client.closed).toBeUndefined();
    client.close();
  });

  it("persisted channel: watchers that missed messages are disconnected with SlowConsumerError", async ({ expect }) => {
    const s = await setup();
    const channel = await s.createChannel("PUBLIC");
    const topic = `/topic/v1/channels/${channel.id}/messages`;
    const { client } = await connectChat(s.app, "slow-public");
    await client.subscribe(sid(), topic);
    const notify = { applicationId: s.app.id, channelName: "slow", senderId: null };
    await runInDurableObject(channelRoomStub(env, s.app.id, channel.id), (room: ChannelRoom) => {
      for (let i = 0; i < BURST; i++) void room.publish(savedMessage(channel.id, i), notify);
    });
    const error = await client.take("ERROR", (f) => f.command === "ERROR", 5000);
    expect(JSON.parse(error.body)).toMatchObject({ error: "SlowConsumerError" });
    expect(await client.waitClosed()).toMatchObject({ code: 1013 });
  });
});

describe("a current-dialect client that stops acknowledging its events (the ACK window, durable/outbox.ts)", () => {
  const WINDOW = 256;
  const POSTS = 700;

  /** The events on `id` received so far, as they arrived. */
  const eventsOn = (client: ChatClient, id: string) =>
    client.frames
      .filter((f) => f.command === "MESSAGE" && f.headers.subscription === id)
      .map((f) => ({ ack: f.headers.ack!, event: JSON.parse(f.body) as { type: string; resource: { body?: string; count?: number } } }));

  const quiet = async (client: ChatClient, id: string) => {
    let seen = -1;
    while (eventsOn(client, id).length !== seen) {
      seen = eventsOn(client, id).length;
      await sleep(100);
    }
  };

  /** A current-dialect session of a new application watching a new channel's messages. */
  const watching = async (type: "OPEN" | "PUBLIC", user: string) => {
    const s = await setup();
    const channel = await s.createChannel(type);
    const { client } = await connectCurrent(s.app, user);
    const id = sid();
    await client.subscribe(id, `/topic/v1/channels/${channel.id}/messages`);
    return { s, channel, client, id, room: channelRoomStub(env, s.app.id, channel.id) };
  };

  it("OPEN channel: it gets WINDOW events, then, once it ACKs again, the drop notice and the newest messages kept", async ({ expect }) => {
    const { channel, client, id, room } = await watching("OPEN", "slow-acker");
    const post = (i: number) => room.post(channel.id, { type: "SYSTEM_TEXT", body: `m${i}` });
    // One event handled and acknowledged: from now on this subscription's events count.
    await post(0);
    await quiet(client, id);
    const [first] = eventsOn(client, id);
    expect(first!.event.resource.body).toBe("m0");
    client.send("ACK", { id: first!.ack, subscription: id });
    await sleep(50);
    for (let i = 1; i <= POSTS; i++) await post(i);
    await quiet(client, id);
    const held = eventsOn(client, id).slice(1);
    expect(held.map((e) => e.event.resource.body)).toEqual(Array.from({ length: WINDOW }, (_, i) => `m${i + 1}`));

    // It catches up: every event it gets is acknowledged until nothing more comes.
    let acked = 1;
    for (;;) {
      const all = eventsOn(client, id);
      for (const { ack } of all.slice(acked)) client.send("ACK", { id: ack, subscription: id });
      acked = all.length;
      await sleep(100);
      if (eventsOn(client, id).length === acked) break;
    }
    const after = eventsOn(client, id)
      .slice(1 + WINDOW)
      .map((e) => e.event);
    const notice = after[0]!;
    expect(notice).toEqual({ type: DROPPED_EVENT, version: "v1", resource: { channelId: channel.id, count: notice.resource.count } });
    const kept = after.slice(1).map((e) => e.resource.body);
    // Nothing lost silently: held + dropped + kept is every post, and the kept ones are the newest.
    expect(WINDOW + notice.resource.count! + kept.length).toBe(POSTS);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `m${POSTS - kept.length + 1 + i}`));
    expect(client.closed).toBeUndefined();
    client.close();
  });

  it("persisted channel: once its backlog is full it is disconnected with SlowConsumerError", async ({ expect }) => {
    const { s, channel, client, id, room } = await watching("PUBLIC", "slow-public-acker");
    const notify = { applicationId: s.app.id, channelName: "slow", senderId: null };
    await room.publish(savedMessage(channel.id, 0), notify);
    await quiet(client, id);
    client.send("ACK", { id: eventsOn(client, id)[0]!.ack, subscription: id });
    await sleep(50);
    for (let i = 1; i <= POSTS; i++) await room.publish(savedMessage(channel.id, i), notify);
    const error = await client.take("ERROR", (f) => f.command === "ERROR", 5000);
    expect(JSON.parse(error.body)).toMatchObject({ error: "SlowConsumerError" });
    expect(await client.waitClosed()).toMatchObject({ code: 1013 });
  });

  it("a client that keeps acknowledging gets every event, however many", async ({ expect }) => {
    const { channel, client, id, room } = await watching("OPEN", "steady-acker");
    let acked = 0;
    for (let i = 0; i < POSTS; i++) {
      await room.post(channel.id, { type: "SYSTEM_TEXT", body: `m${i}` });
      const all = eventsOn(client, id);
      for (const { ack } of all.slice(acked)) client.send("ACK", { id: ack, subscription: id });
      acked = all.length;
    }
    const deadline = Date.now() + 5000;
    while (eventsOn(client, id).length < POSTS && Date.now() < deadline) {
      const all = eventsOn(client, id);
      for (const { ack } of all.slice(acked)) client.send("ACK", { id: ack, subscription: id });
      acked = all.length;
      await sleep(20);
    }
    expect(eventsOn(client, id).map((e) => e.event.resource.body)).toEqual(Array.from({ length: POSTS }, (_, i) => `m${i}`));
    client.close();
  });
});

/** A saved system message as the room receives it (the room does not read it back from D1). */
const savedMessage = (channelId: number, i: number): MessageRow => ({
  id: 1_000_000 + i,
  channelId,
  userId: null,
  type: "SYSTEM_TEXT",
  body: `p${i}`,
  file: null,
  groupTag: null,
  properties: {},
  createdAt: new Date(),
  user: null,
});
