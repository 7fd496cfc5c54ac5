/**
 * Inputs the contract allows never hit an engine limit: D1 and Durable Object SQLite bind at most
 * 100 parameters a statement, and one R2 `delete` takes at most 1,000 keys. Each test sits at a
 * documented maximum (and just past it where the contract refuses) and checks the exact state
 * that results, not only the absence of a 500.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { chunked, MAX_BOUND_PARAMETERS } from "../../src/db/chunks";
import { createDb, openSession } from "../../src/db/client";
import { messages } from "../../src/db/schema";
import { deleteFiles, deleteFilesUnder } from "../../src/files/storage";
import { shardName } from "../../src/chat/live";
import { ChannelPage, ChannelResource } from "../../src/api/channels/channels.schemas";
import { UserPage, UserResource } from "../../src/api/users/users.schemas";
import { setup } from "../helpers/api";
import { connectChat, receipt, sid, type ChatClient } from "../helpers/chat";
import { expectError, expectHal, expectInvalidField } from "../helpers/checks";
import { snapshot } from "../helpers/db-state";

type Setup = Awaited<ReturnType<typeof setup>>;

/** The most entries the contract allows in a channel's `members` (Platform API and chat action). */
const MAX_MEMBERS = 100;
/** The most names the Platform API channel list's `members=` filter takes. */
const MAX_MEMBER_NAMES = 10;
/** The largest page (LIMITS.maxPageSize). */
const MAX_PAGE = 100;

/** `n` users of the application, created through the Platform API. */
const createUsers = async (s: Setup, n: number) => {
  const out: UserResource[] = [];
  for (let i = 0; i < n; i++) out.push(UserResource.parse(await s.createUser(`u${i}-${crypto.randomUUID()}`)));
  return out;
};

const hrefs = (users: UserResource[]) => users.map((u) => u._links.self.href);
const sortedIds = (ids: number[]) => [...ids].sort((a, b) => a - b);

/** Every member id of a channel, following the members pages (largest size) to the end. */
const memberIds = async (s: Setup, channelId: number) => {
  const ids: number[] = [];
  for (let href: string | undefined = `${s.urls.channels}/${channelId}/members?size=${MAX_PAGE}`; href; ) {
    const res = await s.api.get(href);
    if (res.status !== 200) throw new Error(`members page: ${res.status} ${JSON.stringify(res.body)}`);
    const page = UserPage.parse(res.body);
    ids.push(...page._embedded.users.map((u) => u.id));
    href = page._links.next?.href;
  }
  return ids;
};

/** Sends a chat action: its receipt id, and a wait for the MESSAGE carrying its result (on a subscribed topic). */
const act = (client: ChatClient, destination: string, body: unknown) => {
  const r = receipt();
  client.send("SEND", { destination, receipt: r }, JSON.stringify(body));
  return {
    receipt: r,
    result: () => client.take(`result of ${destination}`, (f) => f.command === "MESSAGE" && f.headers["receipt-id"] === r),
  };
};

/** Puts `n` one-byte objects under the prefix; returns their keys. */
const putObjects = async (prefix: string, n: number) => {
  const keys = Array.from({ length: n }, () => `${prefix}${crypto.randomUUID()}`);
  for (const chunk of chunked(keys, 100)) await Promise.all(chunk.map((key) => env.FILES.put(key, "x")));
  return keys;
};

/** Puts `n` objects under the channel's prefix and their FILE message rows (sent by `userId`, or system ones). */
const seedFiles = async (appId: number, channelId: number, userId: number | null, n: number) => {
  const keys = await putObjects(`${appId}/${channelId}/`, n);
  const db = createDb(openSession(env.DB));
  // A message row binds 6 parameters (application, channel, user, type, file, properties).
  const [first, ...rest] = chunked(keys, Math.floor(MAX_BOUND_PARAMETERS / 6)).map((chunk) =>
    db.insert(messages).values(
      chunk.map((key) => ({
        applicationId: appId,
        channelId,
        userId,
        type: userId === null ? ("SYSTEM_FILE" as const) : ("FILE" as const),
        file: { type: "HOSTED" as const, url: `https://files.test/${key}/f.txt`, name: "f.txt", contentType: "text/plain", size: 1, key },
      })),
    ),
  );
  await db.batch([first!, ...rest]);
  return keys;
};

/**
 * The bucket as production R2 behaves, which the local emulator does not: a `delete` of more than
 * 1,000 keys fails. Records the size of every delete call.
 */
const strictBucket = (calls: number[]) =>
  ({
    list: (options?: R2ListOptions) => env.FILES.list(options),
    delete: async (keys: string | string[]) => {
      const n = typeof keys === "string" ? 1 : keys.length;
      if (n > 1000) throw new Error(`R2 delete: at most 1000 keys per call, got ${n}`);
      calls.push(n);
      await env.FILES.delete(keys);
    },
  }) as unknown as R2Bucket;

/** Every key under the prefix, following list pages. */
const keysUnder = async (prefix: string) => {
  const keys: string[] = [];
  for (let cursor: string | undefined, more = true; more; ) {
    const page = await env.FILES.list({ prefix, cursor });
    keys.push(...page.objects.map((o) => o.key));
    more = page.truncated;
    cursor = page.truncated ? page.cursor : undefined;
  }
  return keys;
};

describe("channel members at the contract's maximum", () => {
  it("POST a PRIVATE channel with 100 members (the maximum) and with 99: 201, every one of them a member", { timeout: 20_000 }, async ({
    expect,
  }) => {
    const s = await setup();
    const users = await createUsers(s, MAX_MEMBERS + 1);
    for (const n of [MAX_MEMBERS, MAX_MEMBERS - 1]) {
      const res = await s.api.post(s.urls.channels, { type: "PRIVATE", name: `crowd of ${n}`, members: hrefs(users.slice(0, n)) });
      expectHal(expect, res, 201);
      const channel = ChannelResource.parse(res.body);
      expect(channel).toMatchObject({ type: "PRIVATE", name: `crowd of ${n}` });
      expect(sortedIds(await memberIds(s, channel.id))).toEqual(sortedIds(users.slice(0, n).map((u) => u.id)));
    }
    // One more is refused by the contract (400), not by the engine.
    const before = await snapshot(s.app.id);
    expectInvalidField(expect, await s.api.post(s.urls.channels, { type: "PRIVATE", name: "too many", members: hrefs(users) }), "members");
    expect(await snapshot(s.app.id)).toEqual(before);
  });

  it("the chat create-channel action with 100 members (its maximum): the channel has them and the creator (101); 101 members → InvalidRequestError, nothing written", {
    timeout: 20_000,
  }, async ({ expect }) => {
    const s = await setup();
    const others = await createUsers(s, MAX_MEMBERS);
    const { client, me } = await connectChat(s.app, `creator-${crypto.randomUUID()}`);
    await client.subscribe(sid(), me._topics.channels);

    const created = act(client, "/application/v1/users/me.create-channel", {
      type: "PRIVATE",
      name: "everyone",
      members: others.map((u) => ({ id: u.id })),
    });
    const { type, resource } = JSON.parse((await created.result()).body);
    expect(type).toBe("me.channel.created");
    expect(resource).toMatchObject({ type: "PRIVATE", name: "everyone" });
    expect(sortedIds(await memberIds(s, resource.id))).toEqual(sortedIds([me.id, ...others.map((u) => u.id)]));

    const before = await snapshot(s.app.id);
    const refused = act(client, "/application/v1/users/me.create-channel", {
      type: "PRIVATE",
      name: "one too many",
      members: [...others, { id: me.id }].map((u) => ({ id: u.id })),
    });
    expect((await client.error({ receipt: refused.receipt })).body.error).toBe("InvalidRequestError");
    expect(await snapshot(s.app.id)).toEqual(before);
    client.close();
  });
});

describe("lists of the largest page", () => {
  it("the channels relay with size=100 for a user of 101 DIRECT channels: 100 channels, each with its members", {
    timeout: 20_000,
  }, async ({ expect }) => {
    const s = await setup();
    const [me, ...others] = await createUsers(s, 16);
    // 101 distinct trios {me, a, b} out of 15 others (105 pairs).
    const pairs = others.flatMap((a, i) => others.slice(i + 1).map((b) => [a, b] as const)).slice(0, MAX_PAGE + 1);
    const expected = new Map<number, number[]>();
    for (const [a, b] of pairs) {
      const res = await s.api.post(s.urls.channels, { type: "DIRECT", members: hrefs([me!, a, b]) });
      expectHal(expect, res, 201);
      expected.set(ChannelResource.parse(res.body).id, sortedIds([me!.id, a.id, b.id]));
    }
    const { client } = await connectChat(s.app, me!.name);
    const relay = (page: number) => client.relay(sid(), `/application/v1/users/me/channels.relay?page=${page}&size=${MAX_PAGE}`);
    const first = await relay(0);
    expect(first.page).toEqual({ size: MAX_PAGE, totalElements: MAX_PAGE + 1, totalPages: 2, number: 0 });
    const last = await relay(1);
    const answered = [...first._embedded.channels, ...last._embedded.channels] as { id: number; type: string; members: { id: number }[] }[];
    expect(first._embedded.channels).toHaveLength(MAX_PAGE);
    expect(last._embedded.channels).toHaveLength(1);
    expect(new Map(answered.map((ch) => [ch.id, ch.members.map((m) => m.id)]))).toEqual(expected);
    expect(answered.every((ch) => ch.type === "DIRECT")).toBe(true);
    client.close();
  });

  it("GET channels?members= with 10 names (the maximum): exactly the channels having all ten", { timeout: 20_000 }, async ({ expect }) => {
    const s = await setup();
    const users = await createUsers(s, MAX_MEMBER_NAMES);
    const create = async (members: UserResource[]) =>
      ChannelResource.parse((await s.api.post(s.urls.channels, { type: "PRIVATE", name: "c", members: hrefs(members) })).body).id;
    const all = await create(users);
    await create(users.slice(1));
    const names = users.map((u) => u.name).join(",");
    const res = await s.api.get(`${s.urls.channels}?size=${MAX_PAGE}&members=${encodeURIComponent(names)}`);
    expectHal(expect, res, 200);
    const page = ChannelPage.parse(res.body);
    expect(page._embedded.channels.map((c) => c.id)).toEqual([all]);
    expect(page.page.totalElements).toBe(1);
    // An eleventh name is refused by the contract.
    expectInvalidField(expect, await s.api.get(`${s.urls.channels}?members=${encodeURIComponent(`${names},extra`)}`), "members");
  });
});

describe("many sockets of one user", () => {
  it("a user with 101 sockets in a shard does not stop notifications for another user of that shard", { timeout: 20_000 }, async ({
    expect,
  }) => {
    const s = await setup();
    const heavyName = `heavy-${crypto.randomUUID()}`;
    const shard = shardName(env, s.app.id, heavyName);
    const peerName = Array.from({ length: 1000 }, (_, i) => `peer-${i}-${crypto.randomUUID()}`).find(
      (n) => shardName(env, s.app.id, n) === shard,
    );
    if (!peerName) throw new Error(`no name found in shard ${shard}`);

    const heavy = [];
    for (let i = 0; i < 101; i++) heavy.push(await connectChat(s.app, heavyName));
    const heavyMe = heavy[0]!.me;
    const listening = heavy.at(-1)!;
    await listening.client.subscribe(sid(), heavyMe._topics.notifications);
    // The peer joins after the heavy user, so its id (and its turn among the members) comes later.
    const peer = await connectChat(s.app, peerName);
    await peer.client.subscribe(sid(), peer.me._topics.notifications);

    const channel = ChannelResource.parse(
      (
        await s.api.post(s.urls.channels, {
          type: "PRIVATE",
          name: "quiet",
          members: [heavyMe.id, peer.me.id].map((id) => `${s.urls.users}/${id}`),
        })
      ).body,
    );
    expectHal(expect, await s.api.post(`${s.urls.channels}/${channel.id}/messages`, { body: "ping" }), 201);

    for (const { client, me } of [peer, listening]) {
      const frame = await client.take("notification", (f) => f.command === "MESSAGE" && f.headers.destination === me._topics.notifications);
      const { type, resource } = JSON.parse(frame.body);
      expect(type).toBe("me.notification.created");
      expect(resource).toMatchObject({ body: "ping", data: { type: "SYSTEM_SENT_MESSAGE", channelId: channel.id } });
    }
    for (const { client } of [...heavy, peer]) client.close();
  });
});

describe("stored files beyond one R2 delete call", () => {
  it("DELETE a user with 1,001 stored files removes every one of their objects, and only theirs", { timeout: 20_000 }, async ({
    expect,
  }) => {
    const s = await setup();
    const [sender, other] = await createUsers(s, 2);
    const channel = ChannelResource.parse(
      (await s.api.post(s.urls.channels, { type: "PRIVATE", name: "files", members: hrefs([sender!, other!]) })).body,
    );
    await seedFiles(s.app.id, channel.id, sender!.id, 1001);
    const kept = await seedFiles(s.app.id, channel.id, other!.id, 1);
    expectHal(expect, await s.api.del(`${s.urls.users}/${sender!.id}`), 200);
    expect(await keysUnder(`${s.app.id}/`)).toEqual(kept);
  });

  it("DELETE a channel with 1,001 stored files removes every one of its objects, and only its own", { timeout: 20_000 }, async ({
    expect,
  }) => {
    const s = await setup();
    const doomed = await s.createChannel("PUBLIC", "doomed");
    const stays = await s.createChannel("PUBLIC", "stays");
    await seedFiles(s.app.id, doomed.id, null, 1001);
    const kept = await seedFiles(s.app.id, stays.id, null, 1);
    expectHal(expect, await s.api.del(`${s.urls.channels}/${doomed.id}`), 200);
    expect(await keysUnder(`${s.app.id}/`)).toEqual(kept);
    expectError(expect, await s.api.get(`${s.urls.channels}/${doomed.id}`), 404);
  });

  it("deleteFiles and deleteFilesUnder pass R2 at most 1,000 keys a call (the local emulator takes more)", { timeout: 20_000 }, async ({
    expect,
  }) => {
    const prefix = `limits-${crypto.randomUUID()}/`;
    const calls: number[] = [];
    await putObjects(prefix, 1001);
    await deleteFilesUnder(strictBucket(calls), prefix);
    expect(calls).toEqual([1000, 1]);
    expect(await keysUnder(prefix)).toEqual([]);

    calls.length = 0;
    const named = await putObjects(prefix, 1001);
    const files = named.map((key) => ({
      type: "HOSTED" as const,
      url: `https://files.test/${key}`,
      name: "f",
      contentType: "text/plain",
      size: 1,
      key,
    }));
    await deleteFiles(strictBucket(calls), files);
    expect(calls).toEqual([1000, 1]);
    expect(await keysUnder(prefix)).toEqual([]);
  });
});
