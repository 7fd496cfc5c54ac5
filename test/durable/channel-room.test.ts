/**
 * The `ChannelRoom` Durable Object on its own. Every test names a fresh object, so no test sees
 * another's messages. In tests OPEN_CHANNEL_MESSAGE_LIMIT is 5 (test/vitest.config.ts).
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { ChannelRoom } from "../../src/durable/channel-room";

const LIMIT = 5;

const freshChannel = () => {
  const ns = env.CHANNEL_ROOMS;
  return ns.get(ns.idFromName(crypto.randomUUID()));
};

const postAll = async (stub: ReturnType<typeof freshChannel>, n: number, prefix = "m") => {
  const out = [];
  for (let i = 1; i <= n; i++) out.push(await stub.post(1, { type: "SYSTEM_TEXT", body: `${prefix}${i}` }));
  return out;
};

/**
 * Every table in the object's SQLite storage. A fresh object has none; the first `storage.put`
 * creates `_cf_KV`, and any `storage.sql` write needs a table of its own.
 */
const storageTables = (state: DurableObjectState) =>
  state.storage.sql
    .exec<{ name: string }>("select name from sqlite_master where type = 'table'")
    .toArray()
    .map((r) => r.name);

describe("ChannelRoom", () => {
  it("stores a posted message with an ISO-8601 UTC time and increasing sequence numbers", async ({ expect }) => {
    const stub = freshChannel();
    const [a, b] = await postAll(stub, 2);
    expect(a).toMatchObject({ type: "SYSTEM_TEXT", body: "m1" });
    expect(a!.createdTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(b!.seq).toBeGreaterThan(a!.seq);
    expect(Date.parse(b!.createdTime)).toBeGreaterThan(Date.parse(a!.createdTime));
  });

  it("lists newest first, at most `count`", async ({ expect }) => {
    const stub = freshChannel();
    await postAll(stub, 4);
    expect((await stub.list(undefined, 10)).map((m) => m.body)).toEqual(["m4", "m3", "m2", "m1"]);
    expect((await stub.list(undefined, 2)).map((m) => m.body)).toEqual(["m4", "m3"]);
    expect(await stub.list(undefined, 0)).toEqual([]);
  });

  it("keeps exactly the newest 5 after 12 posts", async ({ expect }) => {
    const stub = freshChannel();
    await postAll(stub, 12);
    expect(await stub.size()).toBe(LIMIT);
    expect((await stub.list(undefined, 100)).map((m) => m.body)).toEqual(["m12", "m11", "m10", "m9", "m8"]);
  });

  it("holds its bound in the instance's memory (checked inside the object)", async ({ expect }) => {
    const stub = freshChannel();
    await postAll(stub, 12);
    const held = await runInDurableObject(stub, async (instance: ChannelRoom) => ({
      size: await instance.size(),
      bodies: (await instance.list(undefined, 1_000)).map((m) => m.body),
    }));
    expect(held).toEqual({ size: LIMIT, bodies: ["m12", "m11", "m10", "m9", "m8"] });
  });

  it("lists below a cursor (atMost, inclusive)", async ({ expect }) => {
    const stub = freshChannel();
    const posted = await postAll(stub, 5);
    const third = posted[2]!;
    expect((await stub.list(third.seq, 10)).map((m) => m.body)).toEqual(["m3", "m2", "m1"]);
    expect((await stub.list(third.seq, 2)).map((m) => m.body)).toEqual(["m3", "m2"]);
    expect((await stub.list(third.seq - 1, 10)).map((m) => m.body)).toEqual(["m2", "m1"]);
    expect(await stub.list(0, 10)).toEqual([]);
  });

  it("lists below a cursor after the oldest were dropped", async ({ expect }) => {
    const stub = freshChannel();
    const posted = await postAll(stub, 9); // holds m5..m9
    expect((await stub.list(posted[6]!.seq, 10)).map((m) => m.body)).toEqual(["m7", "m6", "m5"]);
    expect(await stub.list(posted[3]!.seq, 10)).toEqual([]); // m4 and older are gone
  });

  it("clear() empties it and refuses posts afterwards, also once evicted: the channel was deleted", async ({ expect }) => {
    const stub = freshChannel();
    await postAll(stub, 3);
    expect(await stub.size()).toBe(3);
    await stub.clear();
    expect(await stub.size()).toBe(0);
    expect(await stub.list(undefined, 100)).toEqual([]);
    expect(await stub.post(1, { type: "SYSTEM_TEXT", body: "after" })).toBeUndefined();
    expect(await stub.postOnce(1, { type: "SYSTEM_TEXT", body: "after" }, { key: "k", fingerprint: "f" })).toEqual({ outcome: "deleted" });
    // The refusal is kept in storage: a fresh instance of the object (after eviction) refuses too.
    await evictDurableObject(stub);
    expect(await stub.post(1, { type: "SYSTEM_TEXT", body: "after eviction" })).toBeUndefined();
    expect(await stub.size()).toBe(0);
  });

  it("keeps separate objects apart", async ({ expect }) => {
    const one = freshChannel();
    const two = freshChannel();
    await postAll(one, 2, "one");
    await postAll(two, 1, "two");
    expect((await one.list(undefined, 10)).map((m) => m.body)).toEqual(["one2", "one1"]);
    expect((await two.list(undefined, 10)).map((m) => m.body)).toEqual(["two1"]);
  });

  it("never writes its messages to Durable Object storage; clearing leaves only the deletion mark", async ({ expect }) => {
    const stub = freshChannel();
    await postAll(stub, 12);
    await stub.list(undefined, 100);
    const footprint = () =>
      runInDurableObject(stub, async (_instance: ChannelRoom, state) => ({
        kv: (await state.storage.list()).size,
        tables: storageTables(state),
      }));
    expect(await footprint()).toEqual({ kv: 0, tables: [] });
    await stub.clear();
    expect(await footprint()).toEqual({ kv: 0, tables: ["deleted"] });
  });
});
