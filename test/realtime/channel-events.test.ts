/**
 * Channel events and keystrokes sent through the Platform API reach the channel's live chat
 * sessions over real WebSockets: on the channel's self topic (`/topic/v1/channels/{id}`, which
 * alone registers a session's shard with the room), in order with the channel's messages, as
 * `channel.event.triggered` and `thread.keystrokes.created` envelopes. Keystrokes skip the typing
 * user's own connections; a member removed from a PRIVATE channel gets nothing more of it; and a
 * session that falls behind loses signals without notice instead of being disconnected (in the
 * room's per-shard backlog, and in a connection's outbox).
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { channelRoomStub } from "../../src/chat/live";
import { type ChannelRoom, SHARD_BACKLOG } from "../../src/durable/channel-room";
import { Outbox } from "../../src/durable/outbox";
import { DROPPED_EVENT } from "../../src/durable/session-sockets";
import { setup } from "../helpers/api";
import { type ChatClient, connectChat, ERRORS_QUEUE, type ServerFrame, sid, sleep } from "../helpers/chat";

const QUIET_MS = 300;

const selfTopic = (channelId: number) => `/topic/v1/channels/${channelId}`;
const messagesTopic = (channelId: number) => `/topic/v1/channels/${channelId}/messages`;

interface Envelope {
  type: string;
  version: string;
  resource: Record<string, any>;
}

const isEvent = (f: ServerFrame) => f.command === "MESSAGE" && f.headers.destination !== ERRORS_QUEUE;
const envelope = (f: ServerFrame) => JSON.parse(f.body) as Envelope;

/** Waits until `client` holds `n` events, then returns them (destination and envelope), oldest first. */
const eventsOf = async (client: ChatClient, n: number, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (client.frames.filter(isEvent).length < n && Date.now() < deadline) await sleep(10);
  return client.frames.filter(isEvent).map((f) => ({ destination: f.headers.destination, ...envelope(f) }));
};

/** An application with users and a channel, and the Platform API calls the tests make. */
const world = async (type: "PUBLIC" | "PRIVATE" = "PUBLIC", names = ["jane", "john"]) => {
  const s = await setup();
  const users: { id: number; name: string }[] = [];
  for (const name of names) {
    users.push((await s.api.post("/v1/users", { name: `${name}-${crypto.randomUUID()}` })).body as { id: number; name: string });
  }
  const channel = (await s.api.post("/v1/channels", { type, members: users.map(({ id }) => ({ id })) })).body as { id: number };
  const ok = async (url: string, body: unknown) => {
    const res = await s.api.post(url, body);
    if (res.status !== 200 && res.status !== 201) throw new Error(`${url}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  return {
    ...s,
    users,
    channel,
    event: (type: string, properties: Record<string, unknown> = {}) => ok(`/v1/channels/${channel.id}/events`, { type, properties }),
    keys: (user: { id: number }, keys: string, via: "channels" | "threads" = "channels") =>
      ok(`/v1/${via}/${channel.id}/keystrokes`, { keys, user: { id: user.id } }),
    message: (body: string) => ok(`/v1/channels/${channel.id}/messages`, { body }),
  };
};

/** A session as `startChatSession` opens one: the self topic first, then (unless `selfOnly`) the messages topic. */
const watch = async (w: Awaited<ReturnType<typeof world>>, user: { name: string }, { selfOnly = false } = {}) => {
  const { client } = await connectChat(w.app, user.name);
  await client.subscribe(sid(), selfTopic(w.channel.id));
  if (!selfOnly) await client.subscribe(sid(), messagesTopic(w.channel.id));
  return client;
};

describe("channel events and keystrokes from the Platform API", () => {
  it("reach a chat session on the channel's self topic, in order with the channel's messages", async ({ expect }) => {
    const w = await world();
    const [jane, john] = w.users as [{ id: number; name: string }, { id: number; name: string }];
    const client = await watch(w, john);
    await w.message("m1");
    await w.event("poke 👉", { n: 1, nested: { list: ["مرحبا", null] } });
    await w.keys(jane, "Hel 👋🏽");
    await w.message("m2");
    await w.keys(jane, "", "threads");
    await w.event("bye");
    const got = await eventsOf(client, 6);
    expect(got.map((e) => [e.destination, e.type])).toEqual([
      [messagesTopic(w.channel.id), "thread.message.created"],
      [selfTopic(w.channel.id), "channel.event.triggered"],
      [selfTopic(w.channel.id), "thread.keystrokes.created"],
      [messagesTopic(w.channel.id), "thread.message.created"],
      [selfTopic(w.channel.id), "thread.keystrokes.created"],
      [selfTopic(w.channel.id), "channel.event.triggered"],
    ]);
    expect(got[1]).toEqual({
      destination: selfTopic(w.channel.id),
      type: "channel.event.triggered",
      version: "v1",
      resource: {
        type: "poke 👉",
        properties: { n: 1, nested: { list: ["مرحبا", null] } },
        _relays: { channel: `/application/v1/channels/${w.channel.id}.relay` },
      },
    });
    expect(got[2]!.resource).toEqual({
      username: jane.name,
      keys: "Hel 👋🏽",
      _relays: { user: `/application/v1/users/${jane.id}.relay` },
    });
    expect(got[4]!.resource).toMatchObject({ username: jane.name, keys: "" });
    expect(got[3]!.resource.body).toBe("m2");
    client.close();
  });

  it("reach a session subscribed to the self topic only, also after the room delivered it a message", async ({ expect }) => {
    const w = await world("PUBLIC", ["solo"]);
    const client = await watch(w, w.users[0]!, { selfOnly: true });
    await w.event("first");
    await w.message("not watched");
    await w.event("second");
    const got = await eventsOf(client, 2);
    expect(got.map((e) => e.resource.type)).toEqual(["first", "second"]);
    expect(await client.within(QUIET_MS, isEvent)).toHaveLength(2);
    client.close();
  });

  it("keystrokes skip every connection of the typing user; events from the back end go to all", async ({ expect }) => {
    const w = await world();
    const [jane, john] = w.users as [{ id: number; name: string }, { id: number; name: string }];
    const janeA = await watch(w, jane);
    const janeB = await watch(w, jane);
    const johnC = await watch(w, john);
    await w.keys(jane, "typing");
    await w.event("after");
    const johns = await eventsOf(johnC, 2);
    expect(johns.map((e) => e.type)).toEqual(["thread.keystrokes.created", "channel.event.triggered"]);
    for (const client of [janeA, janeB]) {
      const got = await eventsOf(client, 1);
      expect(
        got.map((e) => e.type),
        "only the event: the keystrokes were jane's own",
      ).toEqual(["channel.event.triggered"]);
      expect(await client.within(QUIET_MS, isEvent)).toHaveLength(1);
    }
    for (const client of [janeA, janeB, johnC]) client.close();
  });

  it("a member removed from a PRIVATE channel gets nothing of it after the removal; a non-member never did", async ({ expect }) => {
    const w = await world("PRIVATE", ["jane", "john", "ann"]);
    const [jane, john, ann] = w.users as [{ id: number; name: string }, { id: number; name: string }, { id: number; name: string }];
    const outsider = (await w.api.post("/v1/users", { name: `out-${crypto.randomUUID()}` })).body as { name: string };
    const janeClient = await watch(w, jane);
    const johnClient = await watch(w, john);
    const outsiderClient = await watch(w, outsider);
    await w.event("before");
    expect((await eventsOf(janeClient, 1)).map((e) => e.resource.type)).toEqual(["before"]);

    expect((await w.api.del(`/v1/channels/${w.channel.id}/members/${jane.id}`)).status).toBe(200);
    await w.event("after");
    await w.keys(ann, "still typing");
    // Subscribing again is answered (an ERROR would end the session) but registers nothing.
    await janeClient.subscribe(sid(), selfTopic(w.channel.id));
    await w.event("after resubscribe");
    const johns = await eventsOf(johnClient, 4);
    expect(johns.map((e) => e.resource.type ?? e.resource.keys)).toEqual(["before", "after", "still typing", "after resubscribe"]);
    expect(await janeClient.within(QUIET_MS, isEvent)).toHaveLength(1);
    expect(await outsiderClient.within(0, isEvent)).toEqual([]);
    expect(janeClient.closed, "the session itself goes on").toBeUndefined();
    for (const client of [janeClient, johnClient, outsiderClient]) client.close();
  });
});

describe("a session that falls behind on signals", () => {
  const OVER = 40;
  const BURST = 1 + SHARD_BACKLOG + OVER;

  it("loses the oldest waiting ones in the room without notice, and stays connected (a persisted channel too)", async ({ expect }) => {
    const w = await world("PUBLIC", ["slow"]);
    const client = await watch(w, w.users[0]!);
    await runInDurableObject(channelRoomStub(env, w.app.id, w.channel.id), (room: ChannelRoom) => {
      for (let i = 0; i < BURST; i++) void room.signal(w.channel.id, { kind: "event", type: `e${i}`, properties: {} });
    });
    const expected = 1 + SHARD_BACKLOG; // the first, then the newest SHARD_BACKLOG
    const got = await eventsOf(client, expected, 5000);
    await sleep(50);
    expect(client.frames.filter(isEvent)).toHaveLength(expected);
    expect(got.map((e) => e.resource.type)).toEqual(["e0", ...Array.from({ length: SHARD_BACKLOG }, (_, i) => `e${1 + OVER + i}`)]);
    expect(got.some((e) => e.type === DROPPED_EVENT)).toBe(false);
    // Messages after the burst still arrive: the session was never cut off.
    await w.message("still here");
    await client.take("a message after the burst", (f) => isEvent(f) && envelope(f).resource.body === "still here");
    expect(client.closed).toBeUndefined();
    client.close();
  });

  it("loses the oldest in its connection's outbox without notice, and stays connected", async ({ expect }) => {
    const ws = { bufferedAmount: 1000, sent: [] as string[], send: (f: string) => ws.sent.push(f) };
    const notices: number[] = [];
    const ended: unknown[] = [];
    const outbox = new Outbox(
      {
        socketOf: () => ws as unknown as WebSocket,
        dropNotice: (_conn, _to, count) => `${notices.push(count)}`,
        slowConsumer: (socket) => ended.push(socket),
      },
      { highWaterBytes: 100, backlogBytes: 50 },
    );
    const signal = { channelId: 7, sid: "s", destination: selfTopic(7), unannounced: true as const };
    for (let i = 0; i < 20; i++) outbox.write("c", ws as unknown as WebSocket, `signal-${String(i).padStart(3, "0")}`, signal);
    expect(outbox.backlogBytes("c")).toBeLessThanOrEqual(50);
    expect(outbox.stats).toEqual({ dropped: 15, slowConsumers: 0 });
    expect(ended).toEqual([]);
    ws.bufferedAmount = 0;
    await sleep(50);
    expect(ws.sent).toEqual(Array.from({ length: 5 }, (_, i) => `signal-${String(15 + i).padStart(3, "0")}`));
    expect(notices).toEqual([]);
  });
});
