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
import { connectChat, sid, sleep } from "../helpers/chat";

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
