/**
 * Standalone threads (src/chat/threads.ts, src/chat/queries/threads.ts, spec stompx-current.md
 * §10), called directly against the real D1: who may start one, who finds one, and pages of a
 * channel's threads.
 */
import { and, eq } from "drizzle-orm";
import { describe, it } from "vitest";
import { insertChannel } from "../../src/chat/queries/channels";
import { listThreadsPage } from "../../src/chat/queries/threads";
import { createThread, threadForMember, threadForUser } from "../../src/chat/threads";
import { channelMembers, channels, threads } from "../../src/db/schema";
import { errorOf } from "./chat-error";
import { world } from "./message-fixture";

describe("createThread", () => {
  it("stores a member's thread with its name, properties and creator, in a PRIVATE and a PUBLIC channel", async ({ expect }) => {
    for (const type of ["PRIVATE", "PUBLIC"] as const) {
      const w = await world(type);
      const name = "side ☃ 👨‍👩‍👧 𝔘";
      const properties = { topic: "ünïcode", nested: { n: 1, list: [true, null] } };
      const thread = await createThread(w.scope, w.alice.id, w.channel.id, { name, properties });
      expect(thread).toMatchObject({ applicationId: w.app.id, channelId: w.channel.id, creatorId: w.alice.id, name, properties });
      expect(thread.createdAt).toBeInstanceOf(Date);
      expect(await w.d.select().from(threads).where(eq(threads.id, thread.id)).get()).toEqual(thread);
    }
  });

  it("stores empty properties when none are given, and lets the creator and a moderator start threads", async ({ expect }) => {
    const w = await world();
    expect((await createThread(w.scope, w.creator.id, w.channel.id, { name: "a" })).properties).toEqual({});
    expect((await createThread(w.scope, w.moderator.id, w.channel.id, { name: "b", properties: undefined })).properties).toEqual({});
  });

  it("stores a huge name and properties as given (validation is the caller's)", async ({ expect }) => {
    const w = await world();
    const name = "🧵".repeat(5_000);
    const properties = { blob: "x".repeat(50_000) };
    const thread = await createThread(w.scope, w.alice.id, w.channel.id, { name, properties });
    expect(thread.name).toBe(name);
    expect(thread.properties).toEqual(properties);
  });

  it("gives every concurrent create its own thread", async ({ expect }) => {
    const w = await world();
    const made = await Promise.all(Array.from({ length: 8 }, (_, i) => createThread(w.scope, w.bob.id, w.channel.id, { name: `t${i}` })));
    expect(new Set(made.map((t) => t.id)).size).toBe(8);
    expect((await listThreadsPage(w.d, w.app.id, w.channel.id, 0, 100)).total).toBe(8);
  });

  it("refuses an OPEN channel with InvalidRequestError, storing nothing", async ({ expect }) => {
    const w = await world("OPEN");
    expect(await errorOf(createThread(w.scope, w.alice.id, w.channel.id, { name: "side" }))).toBe("InvalidRequestError");
    expect(await w.d.select().from(threads).where(eq(threads.channelId, w.channel.id))).toEqual([]);
  });

  it("refuses a non-member of a PUBLIC channel, and a former member", async ({ expect }) => {
    const w = await world("PUBLIC");
    expect(await errorOf(createThread(w.scope, w.outsider.id, w.channel.id, { name: "side" }))).toBe("NotAChannelMemberError");
    await w.d.delete(channelMembers).where(and(eq(channelMembers.channelId, w.channel.id), eq(channelMembers.userId, w.bob.id)));
    expect(await errorOf(createThread(w.scope, w.bob.id, w.channel.id, { name: "side" }))).toBe("NotAChannelMemberError");
    expect(await w.d.select().from(threads).where(eq(threads.channelId, w.channel.id))).toEqual([]);
  });

  it("does not find a PRIVATE channel for an outsider, an unknown channel, or another application's channel", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    expect(await errorOf(createThread(w.scope, w.outsider.id, w.channel.id, { name: "x" }))).toBe("ChannelNotFoundError");
    expect(await errorOf(createThread(w.scope, w.alice.id, 987_654_321, { name: "x" }))).toBe("ChannelNotFoundError");
    // Their member's own id, under this application's scope.
    expect(await errorOf(createThread(w.scope, other.alice.id, other.channel.id, { name: "x" }))).toBe("ChannelNotFoundError");
    expect(await errorOf(createThread(w.scope, w.alice.id, other.channel.id, { name: "x" }))).toBe("ChannelNotFoundError");
    expect(await w.d.select().from(threads).where(eq(threads.channelId, other.channel.id))).toEqual([]);
  });
});

describe("threadForUser", () => {
  it("finds the thread and its channel for every member, and for anyone of the application in a PUBLIC channel", async ({ expect }) => {
    const w = await world("PUBLIC");
    const thread = await createThread(w.scope, w.alice.id, w.channel.id, { name: "side" });
    for (const user of [w.alice, w.bob, w.creator, w.moderator]) {
      const found = await threadForUser(w.scope, user.id, thread.id);
      expect(found.thread).toEqual(thread);
      expect(found.channel).toMatchObject({ id: w.channel.id, type: "PUBLIC", isMember: true });
    }
    expect((await threadForUser(w.scope, w.outsider.id, thread.id)).channel.isMember).toBe(false);
  });

  it("does not find unknown ids, another application's thread, or a PRIVATE channel's thread for a non-member", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    const mine = await createThread(w.scope, w.alice.id, w.channel.id, { name: "mine" });
    const theirs = await createThread(other.scope, other.alice.id, other.channel.id, { name: "theirs" });
    expect(await errorOf(threadForUser(w.scope, w.alice.id, 987_654_321))).toBe("ThreadNotFoundError");
    expect(await errorOf(threadForUser(w.scope, other.alice.id, theirs.id))).toBe("ThreadNotFoundError");
    expect(await errorOf(threadForUser(w.scope, w.alice.id, theirs.id))).toBe("ThreadNotFoundError");
    expect(await errorOf(threadForUser(w.scope, w.outsider.id, mine.id))).toBe("ThreadNotFoundError");
    // Leaving the channel loses it too.
    await w.d.delete(channelMembers).where(and(eq(channelMembers.channelId, w.channel.id), eq(channelMembers.userId, w.bob.id)));
    expect(await errorOf(threadForUser(w.scope, w.bob.id, mine.id))).toBe("ThreadNotFoundError");
  });

  it("does not find a thread whose channel was deleted", async ({ expect }) => {
    const w = await world();
    const elsewhere = await insertChannel(w.d, w.app.id, "PUBLIC", "elsewhere", [w.alice.id]);
    const thread = await createThread(w.scope, w.alice.id, elsewhere.id, { name: "gone" });
    await w.d.delete(channels).where(eq(channels.id, elsewhere.id));
    expect(await errorOf(threadForUser(w.scope, w.alice.id, thread.id))).toBe("ThreadNotFoundError");
  });
});

describe("threadForMember", () => {
  it("finds the thread and its channel for a member", async ({ expect }) => {
    const w = await world();
    const thread = await createThread(w.scope, w.alice.id, w.channel.id, { name: "side" });
    const found = await threadForMember(w.scope, w.bob.id, thread.id);
    expect(found.thread).toEqual(thread);
    expect(found.channel).toMatchObject({ id: w.channel.id, isMember: true });
  });

  it("refuses a non-member who sees the PUBLIC channel, and does not find a PRIVATE one's or another application's", async ({ expect }) => {
    const pub = await world("PUBLIC");
    const open = await createThread(pub.scope, pub.alice.id, pub.channel.id, { name: "public side" });
    expect(await errorOf(threadForMember(pub.scope, pub.outsider.id, open.id))).toBe("NotAChannelMemberError");
    const w = await world("PRIVATE", "h1-other");
    const closed = await createThread(w.scope, w.alice.id, w.channel.id, { name: "private side" });
    expect(await errorOf(threadForMember(w.scope, w.outsider.id, closed.id))).toBe("ThreadNotFoundError");
    expect(await errorOf(threadForMember(pub.scope, pub.alice.id, closed.id))).toBe("ThreadNotFoundError");
    expect(await errorOf(threadForMember(w.scope, w.alice.id, 987_654_321))).toBe("ThreadNotFoundError");
  });
});

describe("listThreadsPage", () => {
  it("pages the channel's threads newest first with the total; past the end is empty", async ({ expect }) => {
    const w = await world();
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createThread(w.scope, w.alice.id, w.channel.id, { name: `t${i} ✓` }));
    const newestFirst = made.map((t) => t.id).reverse();
    const all = await listThreadsPage(w.d, w.app.id, w.channel.id, 0, 10);
    expect(all.total).toBe(5);
    expect(all.rows.map((t) => t.id)).toEqual(newestFirst);
    expect(all.rows[0]).toEqual(made[4]);
    const page = await listThreadsPage(w.d, w.app.id, w.channel.id, 1, 2);
    expect(page).toEqual({ rows: [made[3], made[2]], total: 5 });
    expect(await listThreadsPage(w.d, w.app.id, w.channel.id, 5, 10)).toEqual({ rows: [], total: 5 });
  });

  it("lists only this channel's threads, and none of another application's channel", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    const elsewhere = await insertChannel(w.d, w.app.id, "PRIVATE", "elsewhere", [w.alice.id]);
    const here = await createThread(w.scope, w.alice.id, w.channel.id, { name: "here" });
    await createThread(w.scope, w.alice.id, elsewhere.id, { name: "elsewhere" });
    await createThread(other.scope, other.alice.id, other.channel.id, { name: "theirs" });
    expect(await listThreadsPage(w.d, w.app.id, w.channel.id, 0, 10)).toEqual({ rows: [here], total: 1 });
    expect(await listThreadsPage(w.d, w.app.id, other.channel.id, 0, 10)).toEqual({ rows: [], total: 0 });
    expect(await listThreadsPage(w.d, w.app.id, 987_654_321, 0, 10)).toEqual({ rows: [], total: 0 });
  });
});
