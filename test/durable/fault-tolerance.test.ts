/**
 * Fault tolerance: Durable Objects that are evicted (graceful: in-memory state dropped, storage
 * kept, hibernatable sockets kept or closed) or aborted (a crash of every object) lose only what
 * the contract says is ephemeral, an OPEN channel's in-memory messages, and never a persisted
 * message or a membership; chat sessions reconnect, re-subscribe and are delivered to again.
 * (`evictDurableObject` / `abortAllDurableObjects` / `runInDurableObject` from cloudflare:test.)
 */
import { abortAllDurableObjects, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it, type ExpectStatic } from "vitest";
import { channelRoomStub } from "../../src/chat/live";
import type { ChannelRoom } from "../../src/durable/channel-room";
import { sessionShardStub, shardName } from "../../src/chat/live";
import { ORIGIN, setup } from "../helpers/api";
import { connectChat, receipt, sid, sleep, type ChatClient } from "../helpers/chat";
import { NO_ORPHANS, orphans } from "../helpers/db-state";

/** A world with one channel of each persisted kind and an OPEN one, members, and messages. */
const makeWorld = async () => {
  const w = await setup();
  const [jane, john] = await Promise.all([w.createUser(`jane-${crypto.randomUUID()}`), w.createUser(`john-${crypto.randomUUID()}`)]);
  const [open, pub, priv] = await Promise.all([
    w.createChannel("OPEN", "open"),
    w.createChannel("PUBLIC", "pub"),
    w.createChannel("PRIVATE", "priv"),
  ]);
  const href = (id: number) => `${ORIGIN}/v1/applications/${w.app.id}/users/${id}`;
  for (const channel of [pub, priv]) {
    for (const user of [jane, john]) {
      const res = await w.api.post(`${w.urls.channels}/${channel.id}/members`, { href: href(user.id) });
      if (res.status !== 200) throw new Error(`member: ${res.status}`);
    }
  }
  for (const channel of [open, pub, priv]) {
    for (const body of ["one", "two", "three"]) {
      const res = await w.api.post(`${w.urls.channels}/${channel.id}/messages`, { body: `${channel.type} ${body}` });
      if (res.status !== 201) throw new Error(`message: ${res.status}`);
    }
  }
  return { ...w, jane, john, open, pub, priv };
};
type Fixture = Awaited<ReturnType<typeof makeWorld>>;

/** What the Platform API shows of the channels: message bodies (newest first) and member ids. */
const visibleState = async (f: Fixture) => {
  const bodies = async (channelId: number) => {
    const res = await f.api.get(`${f.urls.channels}/${channelId}/messages?size=100`);
    if (res.status !== 200) throw new Error(`messages: ${res.status}`);
    return (res.body._embedded.messages as { id?: number; body: string }[]).map((m) => `${m.id ?? "-"}:${m.body}`);
  };
  const members = async (channelId: number) => {
    const res = await f.api.get(`${f.urls.channels}/${channelId}/members?size=100`);
    if (res.status !== 200) throw new Error(`members: ${res.status}`);
    return (res.body._embedded.users as { id: number }[]).map((u) => u.id);
  };
  return {
    open: await bodies(f.open.id),
    pub: await bodies(f.pub.id),
    priv: await bodies(f.priv.id),
    pubMembers: await members(f.pub.id),
    privMembers: await members(f.priv.id),
    janesChannels: ((await f.api.get(`${f.urls.users}/${f.jane.id}/channels?size=100`)).body._embedded.channels as { id: number }[]).map(
      (c) => c.id,
    ),
  };
};

/** Evicts an object if it is running (evicting one that is not is refused, and changes nothing). */
const evictIfRunning = async (stub: DurableObjectStub, options?: { webSockets: "close" | "hibernate" }) => {
  try {
    await evictDurableObject(stub, options);
    return true;
  } catch (e) {
    if (/not currently running|not running/i.test(String(e))) return false;
    throw e;
  }
};

/** The next MESSAGE on subscription `id` whose body is `body` (a `thread.message.created` event). */
const delivered = (client: ChatClient, id: string, body: string, ms = 3000) =>
  client.take(
    `delivery of "${body}" on ${id}`,
    (f) => f.command === "MESSAGE" && f.headers.subscription === id && JSON.parse(f.body).resource?.body === body,
    ms,
  );

const expectPersistedIntact = async (expect: ExpectStatic, f: Fixture, before: Awaited<ReturnType<typeof visibleState>>) => {
  const after = await visibleState(f);
  expect(after.pub, "persisted PUBLIC messages").toEqual(before.pub);
  expect(after.priv, "persisted PRIVATE messages").toEqual(before.priv);
  expect(after.pubMembers, "PUBLIC memberships").toEqual(before.pubMembers);
  expect(after.privMembers, "PRIVATE memberships").toEqual(before.privMembers);
  expect(after.janesChannels, "a user's channels").toEqual(before.janesChannels);
  expect(await orphans(f.app.id)).toEqual(NO_ORPHANS);
  return after;
};

describe("a ChannelRoom that is evicted or reset", () => {
  it("evicted: loses only its OPEN channel's in-memory messages; persisted messages and memberships stay", async ({ expect }) => {
    const f = await makeWorld();
    const before = await visibleState(f);
    expect(before.open).toEqual(["-:OPEN three", "-:OPEN two", "-:OPEN one"]);
    expect(before.pub).toHaveLength(3);
    for (const channel of [f.open, f.pub, f.priv]) await evictIfRunning(channelRoomStub(env, f.app.id, channel.id));
    const after = await expectPersistedIntact(expect, f, before);
    expect(after.open, "an OPEN channel's messages live only in its room's memory (contract §6)").toEqual([]);
    // The room works again at once: new open messages are held.
    expect((await f.api.post(`${f.urls.channels}/${f.open.id}/messages`, { body: "after" })).status).toBe(201);
    expect((await visibleState(f)).open).toEqual(["-:after"]);
  });

  it("evicted: it held nothing in storage but its shard registry (never a message)", async ({ expect }) => {
    const f = await makeWorld();
    const room = channelRoomStub(env, f.app.id, f.open.id);
    await evictIfRunning(room);
    const footprint = await runInDurableObject(room, async (instance: ChannelRoom, state) => ({
      size: await instance.size(),
      kv: (await state.storage.list()).size,
      tables: state.storage.sql
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name <> 'sqlite_sequence'",
        )
        .toArray()
        .map((r) => r.name),
    }));
    expect(footprint.size).toBe(0);
    expect(footprint.kv).toBe(0);
    expect(footprint.tables.filter((t) => t !== "shards")).toEqual([]);
  });

  it("aborted (every object reset at once): the same, and the API keeps working", async ({ expect }) => {
    const f = await makeWorld();
    const before = await visibleState(f);
    await abortAllDurableObjects();
    const after = await expectPersistedIntact(expect, f, before);
    expect(after.open).toEqual([]);
    expect((await f.api.post(`${f.urls.channels}/${f.pub.id}/messages`, { body: "after the reset" })).status).toBe(201);
    expect((await visibleState(f)).pub[0]).toMatch(/:after the reset$/);
  });

  it("evicted while a session watches its channels: the registry survives and live delivery goes on without re-subscribing", async ({
    expect,
  }) => {
    const f = await makeWorld();
    const { client } = await connectChat(f.app, f.jane.name);
    const onPub = sid();
    const onOpen = sid();
    await client.subscribe(onPub, `/topic/v1/channels/${f.pub.id}/messages`);
    await client.subscribe(onOpen, `/topic/v1/channels/${f.open.id}/messages`);
    const shard = shardName(env, f.app.id, f.jane.name);
    for (const channel of [f.pub, f.open]) {
      const room = channelRoomStub(env, f.app.id, channel.id);
      expect(await evictIfRunning(room), `room of ${channel.type} was running`).toBe(true);
      // The registry was read back from the room's SQLite storage by a fresh instance.
      const registered = await runInDurableObject(room, (_i: ChannelRoom, state) =>
        state.storage.sql
          .exec<{ name: string }>("SELECT name FROM shards")
          .toArray()
          .map((r) => r.name),
      );
      expect(registered, `${channel.type} room's registry after eviction`).toContain(shard);
    }
    expect((await f.api.post(`${f.urls.channels}/${f.pub.id}/messages`, { body: "after pub eviction" })).status).toBe(201);
    await delivered(client, onPub, "after pub eviction");
    expect((await f.api.post(`${f.urls.channels}/${f.open.id}/messages`, { body: "after open eviction" })).status).toBe(201);
    await delivered(client, onOpen, "after open eviction");
    expect(client.closed).toBeUndefined();
    client.close();
  });

  it("aborted while a session watches: the room's registry survives a crash too (storage is durable)", async ({ expect }) => {
    const f = await makeWorld();
    const { client } = await connectChat(f.app, f.jane.name);
    await client.subscribe(sid(), `/topic/v1/channels/${f.pub.id}/messages`);
    client.close();
    await abortAllDurableObjects();
    const registered = await runInDurableObject(channelRoomStub(env, f.app.id, f.pub.id), (_i: ChannelRoom, state) =>
      state.storage.sql
        .exec<{ name: string }>("SELECT name FROM shards")
        .toArray()
        .map((r) => r.name),
    );
    expect(registered).toContain(shardName(env, f.app.id, f.jane.name));
  });
});

describe("a SessionShard that is evicted or reset", () => {
  it("evicted with its sockets hibernated: the sockets stay open, subscriptions and deliveries go on", async ({ expect }) => {
    const f = await makeWorld();
    const { client } = await connectChat(f.app, f.jane.name);
    const onPub = sid();
    await client.subscribe(onPub, `/topic/v1/channels/${f.pub.id}/messages`);
    const shard = sessionShardStub(env, shardName(env, f.app.id, f.jane.name));
    expect(await evictIfRunning(shard, { webSockets: "hibernate" })).toBe(true);
    await sleep(50);
    expect(client.closed).toBeUndefined();
    expect((await f.api.post(`${f.urls.channels}/${f.pub.id}/messages`, { body: "to a hibernated shard" })).status).toBe(201);
    await delivered(client, onPub, "to a hibernated shard");
    // It still acts on frames: a relay answers, a SEND goes through.
    expect((await client.relay(sid(), "/application/v1/users/me.relay")).name).toBe(f.jane.name);
    client.send(
      "SEND",
      { destination: `/application/v1/channels/${f.pub.id}.message`, receipt: receipt() },
      JSON.stringify({ type: "TEXT", body: "from a hibernated socket" }),
    );
    await delivered(client, onPub, "from a hibernated socket");
    client.close();
  });

  for (const how of ["evicted with its sockets closed", "aborted"] as const) {
    it(`${how}: the sockets close; a reconnect with the same ids re-subscribes, is delivered to, and nothing persisted is lost`, async ({
      expect,
    }) => {
      const f = await makeWorld();
      const meSid = sid();
      const onPub = sid();
      const onOpen = sid();
      const { client, me } = await connectChat(f.app, f.jane.name, meSid);
      const onMyChannels = sid();
      await client.subscribe(onPub, `/topic/v1/channels/${f.pub.id}/messages`);
      await client.subscribe(onOpen, `/topic/v1/channels/${f.open.id}/messages`);
      await client.subscribe(onMyChannels, me._topics.channels);
      // A message sent through the session, persisted before the reset.
      const sent = receipt();
      client.send(
        "SEND",
        { destination: `/application/v1/channels/${f.pub.id}.message`, receipt: sent },
        JSON.stringify({ type: "TEXT", body: "before the reset" }),
      );
      await client.take("the sender's copy", (f2) => f2.headers["receipt-id"] === sent);
      const before = await visibleState(f);
      expect(before.pub[0]).toMatch(/:before the reset$/);

      if (how === "aborted") await abortAllDurableObjects();
      else expect(await evictIfRunning(sessionShardStub(env, shardName(env, f.app.id, f.jane.name)), { webSockets: "close" })).toBe(true);
      expect(await client.waitClosed(), "the old socket closed").toBeDefined();

      // While nobody is connected, a message arrives: persisted, so never lost.
      expect((await f.api.post(`${f.urls.channels}/${f.pub.id}/messages`, { body: "while disconnected" })).status).toBe(201);

      // The SDK reconnects and re-subscribes everything with the same ids.
      const again = await connectChat(f.app, f.jane.name, sid());
      const second = again.client;
      // The `me` relay with the id answered before the reset is not answered twice (spec §2.8).
      second.send("SUBSCRIBE", { id: meSid, destination: "/application/v1/users/me.relay", ack: "auto" });
      await second.subscribe(onPub, `/topic/v1/channels/${f.pub.id}/messages`);
      await second.subscribe(onOpen, `/topic/v1/channels/${f.open.id}/messages`);
      await second.subscribe(onMyChannels, me._topics.channels);
      expect(
        second.frames.filter((fr) => fr.headers.subscription === meSid),
        "the old me relay id answered again",
      ).toEqual([]);

      // History: every persisted message is there, the one sent while disconnected included.
      const history = await second.relay(sid(), `/application/v1/channels/${f.pub.id}/messages.relay`);
      const bodies = (history._embedded?.messages ?? []).map((m: { body: string }) => m.body);
      expect(bodies.slice(0, 2)).toEqual(["while disconnected", "before the reset"]);
      expect(bodies).toEqual(expect.arrayContaining(["PUBLIC one", "PUBLIC two", "PUBLIC three"]));

      // Live delivery resumes on the re-registered subscriptions, both from the API and the SDK.
      expect((await f.api.post(`${f.urls.channels}/${f.pub.id}/messages`, { body: "after the reconnect" })).status).toBe(201);
      await delivered(second, onPub, "after the reconnect");
      expect((await f.api.post(`${f.urls.channels}/${f.open.id}/messages`, { body: "open after the reconnect" })).status).toBe(201);
      await delivered(second, onOpen, "open after the reconnect");
      second.send(
        "SEND",
        { destination: `/application/v1/channels/${f.pub.id}.message`, receipt: receipt() },
        JSON.stringify({ type: "TEXT", body: "sent after the reconnect" }),
      );
      await delivered(second, onPub, "sent after the reconnect");

      // Another user's session sees the same: the room delivers to every re-registered shard.
      const john = await connectChat(f.app, f.john.name);
      const johnOnPub = sid();
      await john.client.subscribe(johnOnPub, `/topic/v1/channels/${f.pub.id}/messages`);
      second.send(
        "SEND",
        { destination: `/application/v1/channels/${f.pub.id}.message`, receipt: receipt() },
        JSON.stringify({ type: "TEXT", body: "to john" }),
      );
      await delivered(john.client, johnOnPub, "to john");

      // Nothing persisted was lost; memberships are all there.
      const after = await visibleState(f);
      for (const m of before.pub) expect(after.pub, "a persisted message was lost").toContain(m);
      for (const m of before.priv) expect(after.priv).toContain(m);
      expect(after.pubMembers).toEqual(before.pubMembers);
      expect(after.privMembers).toEqual(before.privMembers);
      if (how === "aborted")
        expect(
          after.open.filter((m) => /OPEN (one|two|three)/.test(m)),
          "OPEN messages are gone after a reset",
        ).toEqual([]);
      expect(await orphans(f.app.id)).toEqual(NO_ORPHANS);
      second.close();
      john.client.close();
    });
  }

  it("a stale subscription of a closed socket is forgotten: the room stops being told about it", async ({ expect }) => {
    const f = await makeWorld();
    const { client } = await connectChat(f.app, f.jane.name);
    await client.subscribe(sid(), `/topic/v1/channels/${f.pub.id}/messages`);
    await evictIfRunning(sessionShardStub(env, shardName(env, f.app.id, f.jane.name)), { webSockets: "close" });
    await client.waitClosed();
    // After the restart the shard holds no subscription of the dead connection.
    const rows = await runInDurableObject(
      sessionShardStub(env, shardName(env, f.app.id, f.jane.name)),
      (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM subscriptions").one().n,
    );
    expect(rows).toBe(0);
    // A delivery now tells the room nobody here watches, and persisting still works.
    expect((await f.api.post(`${f.urls.channels}/${f.pub.id}/messages`, { body: "nobody listens" })).status).toBe(201);
    expect((await visibleState(f)).pub[0]).toMatch(/:nobody listens$/);
  });
});
