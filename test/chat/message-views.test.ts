/**
 * Persisted messages as one viewer sees them (src/chat/queries/message-views.ts, spec
 * stompx-current.md §6.5), called directly against the real D1: pages newest first, the main
 * thread, replies and standalone threads, counts, and what each viewer no longer sees (messages
 * deleted for them, before their cleared-history mark, from users they blocked).
 */
import { and, eq } from "drizzle-orm";
import { describe, it } from "vitest";
import type { ChatScope } from "../../src/chat/messages";
import { channelHasUnread, countUnreadChannels, insertChannel, joinChannel, listChannelsOfUser } from "../../src/chat/queries/channels";
import { addMember } from "../../src/chat/queries/members";
import { insertUser } from "../../src/chat/queries/users";
import {
  countReplies,
  countUnreadMessages,
  countVisibleMessages,
  findMessageForViewer,
  listReplies,
  listThreadMessages,
  listVisibleMessages,
} from "../../src/chat/queries/message-views";
import { createThread } from "../../src/chat/threads";
import { channelMembers, messageHides, messages, userBlocks } from "../../src/db/schema";
import { send, type World, world } from "./message-fixture";

/** As the fixture's `send`, to a standalone thread. */
const sendToThread = (scope: ChatScope, channelId: number, threadId: number, userId: number, body: string) =>
  scope.db
    .insert(messages)
    .values({ applicationId: scope.applicationId, channelId, userId, type: "TEXT", body, threadId })
    .returning()
    .get();

const ids = (rows: { id: number }[]) => rows.map((r) => r.id);

/** The viewer's page of the channel, ids only. */
const page = async (w: World, viewerId: number, options: { before?: number; limit?: number; mainThread?: boolean } = {}) =>
  ids(await listVisibleMessages(w.d, w.app.id, viewerId, w.channel.id, { limit: 50, ...options }));

const hide = (w: World, userId: number, messageId: number) =>
  w.d.insert(messageHides).values({ applicationId: w.app.id, userId, messageId });

const block = (w: World, userId: number, blockedUserId: number) =>
  w.d.insert(userBlocks).values({ applicationId: w.app.id, userId, blockedUserId });

const clearThrough = (w: World, userId: number, messageId: number, channelId = w.channel.id) =>
  w.d
    .update(channelMembers)
    .set({ clearedThroughId: messageId })
    .where(and(eq(channelMembers.channelId, channelId), eq(channelMembers.userId, userId)));

const readThrough = (w: World, userId: number, messageId: number, channelId = w.channel.id) =>
  w.d
    .update(channelMembers)
    .set({ lastReadMessageId: messageId })
    .where(and(eq(channelMembers.channelId, channelId), eq(channelMembers.userId, userId)));

/** `n` messages of the channel from the user, in one batch, oldest first. */
const sendMany = async (w: World, userId: number, n: number, extra: { parentId?: number } = {}) => {
  const [first, ...rest] = Array.from({ length: n }, (_, i) =>
    w.d
      .insert(messages)
      .values({ applicationId: w.app.id, channelId: w.channel.id, userId, type: "TEXT", body: `m${i}`, ...extra })
      .returning({ id: messages.id }),
  );
  if (!first) return [];
  return (await w.d.batch([first, ...rest])).map(([row]) => row?.id ?? 0);
};

describe("listVisibleMessages", () => {
  it("gives the channel's messages newest first with their senders, system messages included", async ({ expect }) => {
    const w = await world();
    const a = await send(w.scope, w.channel.id, w.alice.id, "first ☃");
    const s = await send(w.scope, w.channel.id, null, "system");
    const b = await send(w.scope, w.channel.id, w.bob.id, "👨‍👩‍👧 𝔘");
    const rows = await listVisibleMessages(w.d, w.app.id, w.alice.id, w.channel.id, { limit: 10 });
    expect(ids(rows)).toEqual([b.id, s.id, a.id]);
    expect(rows[0]).toMatchObject({ body: "👨‍👩‍👧 𝔘", userId: w.bob.id, user: { id: w.bob.id, name: w.bob.name } });
    expect(rows[1]).toMatchObject({ type: "SYSTEM_TEXT", userId: null, user: null });
    expect(rows[2]?.body).toBe("first ☃");
  });

  it("is empty for a channel without messages", async ({ expect }) => {
    const w = await world();
    expect(await page(w, w.alice.id)).toEqual([]);
  });

  it("walks older pages with `before` (exclusive), and `limit` caps each page", async ({ expect }) => {
    const w = await world();
    const sent = await sendMany(w, w.alice.id, 7);
    const newestFirst = [...sent].reverse();
    expect(await page(w, w.bob.id, { limit: 3 })).toEqual(newestFirst.slice(0, 3));
    expect(await page(w, w.bob.id, { limit: 3, before: newestFirst[2] })).toEqual(newestFirst.slice(3, 6));
    expect(await page(w, w.bob.id, { limit: 3, before: newestFirst[5] })).toEqual(newestFirst.slice(6));
    expect(await page(w, w.bob.id, { limit: 3, before: sent[0] })).toEqual([]);
    // A cursor that is no message id still bounds the page.
    expect(await page(w, w.bob.id, { before: (sent[6] ?? 0) + 1_000 })).toEqual(newestFirst);
  });

  it("walks a channel of more than 100 messages page by page, each once", async ({ expect }) => {
    const w = await world();
    const sent = await sendMany(w, w.alice.id, 230);
    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const next = await page(w, w.bob.id, { limit: 64, ...(before === undefined ? {} : { before }) });
      if (next.length === 0) break;
      seen.push(...next);
      before = next.at(-1);
    }
    expect(seen).toEqual([...sent].reverse());
  });

  it("includes replies and standalone-thread messages; `mainThread: true` leaves both out", async ({ expect }) => {
    const w = await world();
    const parent = await send(w.scope, w.channel.id, w.alice.id, "parent");
    const reply = await send(w.scope, w.channel.id, w.bob.id, "reply", { parentId: parent.id });
    const thread = await createThread(w.scope, w.alice.id, w.channel.id, { name: "side" });
    const inThread = await sendToThread(w.scope, w.channel.id, thread.id, w.bob.id, "in thread");
    const system = await send(w.scope, w.channel.id, null, "system");
    expect(await page(w, w.alice.id)).toEqual([system.id, inThread.id, reply.id, parent.id]);
    expect(await page(w, w.alice.id, { mainThread: false })).toEqual([system.id, inThread.id, reply.id, parent.id]);
    expect(await page(w, w.alice.id, { mainThread: true })).toEqual([system.id, parent.id]);
  });

  it("shows a PUBLIC channel to anyone of the application, a PRIVATE one to its members only", async ({ expect }) => {
    const pub = await world("PUBLIC");
    const p = await send(pub.scope, pub.channel.id, pub.alice.id, "public");
    expect(await page(pub, pub.outsider.id)).toEqual([p.id]);
    const priv = await world("PRIVATE", "h1-private");
    await send(priv.scope, priv.channel.id, priv.alice.id, "private");
    expect(await page(priv, priv.outsider.id)).toEqual([]);
    expect(await page(priv, priv.moderator.id)).toHaveLength(1);
  });

  it("shows nothing of another application's channel, to its own members either", async ({ expect }) => {
    const w = await world("PUBLIC");
    const other = await world("PUBLIC", "h1-other");
    await send(other.scope, other.channel.id, other.alice.id, "other app");
    expect(ids(await listVisibleMessages(w.d, w.app.id, other.alice.id, other.channel.id, { limit: 10 }))).toEqual([]);
    expect(ids(await listVisibleMessages(w.d, w.app.id, w.alice.id, other.channel.id, { limit: 10 }))).toEqual([]);
    expect(ids(await listVisibleMessages(other.d, other.app.id, other.outsider.id, other.channel.id, { limit: 10 }))).toHaveLength(1);
  });

  it("leaves out messages the viewer deleted for themselves, for them only", async ({ expect }) => {
    const w = await world();
    const a = await send(w.scope, w.channel.id, w.alice.id, "a");
    const b = await send(w.scope, w.channel.id, w.bob.id, "b");
    await hide(w, w.alice.id, b.id);
    await hide(w, w.bob.id, a.id);
    expect(await page(w, w.alice.id)).toEqual([a.id]);
    expect(await page(w, w.bob.id)).toEqual([b.id]);
    expect(await page(w, w.creator.id)).toEqual([b.id, a.id]);
  });

  it("leaves out messages up to the viewer's cleared-history mark, in that channel only", async ({ expect }) => {
    const w = await world();
    const elsewhere = await insertChannel(w.d, w.app.id, "PRIVATE", "elsewhere", [w.alice.id]);
    const e = await send(w.scope, elsewhere.id, w.alice.id, "elsewhere");
    const a = await send(w.scope, w.channel.id, w.bob.id, "a");
    const b = await send(w.scope, w.channel.id, w.bob.id, "b");
    const c = await send(w.scope, w.channel.id, w.bob.id, "c");
    await clearThrough(w, w.alice.id, b.id);
    expect(await page(w, w.alice.id)).toEqual([c.id]);
    expect(await page(w, w.bob.id)).toEqual([c.id, b.id, a.id]);
    // The mark is higher than the other channel's message, which stays.
    expect(ids(await listVisibleMessages(w.d, w.app.id, w.alice.id, elsewhere.id, { limit: 10 }))).toEqual([e.id]);
    const d = await send(w.scope, w.channel.id, null, "new system");
    expect(await page(w, w.alice.id)).toEqual([d.id, c.id]);
  });

  it("leaves out messages from users the viewer blocked, not the other way round, and keeps system messages", async ({ expect }) => {
    const w = await world();
    const a = await send(w.scope, w.channel.id, w.alice.id, "from alice");
    const b = await send(w.scope, w.channel.id, w.bob.id, "from bob");
    const s = await send(w.scope, w.channel.id, null, "system");
    await block(w, w.alice.id, w.bob.id);
    expect(await page(w, w.alice.id)).toEqual([s.id, a.id]);
    expect(await page(w, w.bob.id)).toEqual([s.id, b.id, a.id]);
    expect(await page(w, w.creator.id)).toEqual([s.id, b.id, a.id]);
  });
});

describe("findMessageForViewer", () => {
  it("finds a visible message with its channel and the viewer's standing", async ({ expect }) => {
    const w = await world("PUBLIC");
    const sent = await send(w.scope, w.channel.id, w.alice.id, "hi ☃");
    expect(await findMessageForViewer(w.d, w.app.id, w.moderator.id, sent.id)).toMatchObject({
      message: { id: sent.id, body: "hi ☃", user: { id: w.alice.id } },
      channel: { id: w.channel.id },
      isMember: true,
      isModerator: true,
    });
    expect(await findMessageForViewer(w.d, w.app.id, w.outsider.id, sent.id)).toMatchObject({ isMember: false, isModerator: false });
  });

  it("does not find hidden messages unless asked to, nor blocked, cleared or other applications' ones", async ({ expect }) => {
    const w = await world();
    const other = await world("PUBLIC", "h1-other");
    const sent = await send(w.scope, w.channel.id, w.bob.id, "hi");
    await hide(w, w.alice.id, sent.id);
    expect(await findMessageForViewer(w.d, w.app.id, w.alice.id, sent.id)).toBeUndefined();
    expect((await findMessageForViewer(w.d, w.app.id, w.alice.id, sent.id, { includeHidden: true }))?.message.id).toBe(sent.id);
    await block(w, w.creator.id, w.bob.id);
    expect(await findMessageForViewer(w.d, w.app.id, w.creator.id, sent.id, { includeHidden: true })).toBeUndefined();
    await clearThrough(w, w.moderator.id, sent.id);
    expect(await findMessageForViewer(w.d, w.app.id, w.moderator.id, sent.id)).toBeUndefined();
    const theirs = await send(other.scope, other.channel.id, other.alice.id, "other");
    expect(await findMessageForViewer(w.d, w.app.id, other.alice.id, theirs.id)).toBeUndefined();
    expect(await findMessageForViewer(w.d, w.app.id, w.alice.id, 987_654_321)).toBeUndefined();
  });
});

describe("listReplies", () => {
  it("gives a message's replies newest first, with `before` and `limit`, and none of other messages", async ({ expect }) => {
    const w = await world();
    const parent = await send(w.scope, w.channel.id, w.alice.id, "parent");
    const sibling = await send(w.scope, w.channel.id, w.alice.id, "sibling");
    const replies = await sendMany(w, w.bob.id, 5, { parentId: parent.id });
    await send(w.scope, w.channel.id, w.bob.id, "other reply", { parentId: sibling.id });
    const newestFirst = [...replies].reverse();
    expect(ids(await listReplies(w.d, w.app.id, w.alice.id, parent.id, { limit: 10 }))).toEqual(newestFirst);
    expect(ids(await listReplies(w.d, w.app.id, w.alice.id, parent.id, { limit: 2, before: newestFirst[1] }))).toEqual(
      newestFirst.slice(2, 4),
    );
    expect(await listReplies(w.d, w.app.id, w.alice.id, 987_654_321, { limit: 10 })).toEqual([]);
  });

  it("leaves out replies the viewer may not see: hidden, blocked, cleared, PRIVATE to others, another application's", async ({
    expect,
  }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    const parent = await send(w.scope, w.channel.id, w.alice.id, "parent");
    const fromBob = await send(w.scope, w.channel.id, w.bob.id, "bob", { parentId: parent.id });
    const fromCreator = await send(w.scope, w.channel.id, w.creator.id, "creator", { parentId: parent.id });
    const list = (viewerId: number, appId = w.app.id) => listReplies(w.d, appId, viewerId, parent.id, { limit: 10 }).then(ids);
    expect(await list(w.alice.id)).toEqual([fromCreator.id, fromBob.id]);
    await hide(w, w.alice.id, fromCreator.id);
    await block(w, w.alice.id, w.bob.id);
    expect(await list(w.alice.id)).toEqual([]);
    await clearThrough(w, w.moderator.id, fromBob.id);
    expect(await list(w.moderator.id)).toEqual([fromCreator.id]);
    expect(await list(w.outsider.id)).toEqual([]);
    expect(await list(other.alice.id, other.app.id)).toEqual([]);
    // Replies stay when their parent is gone.
    await w.d.delete(messages).where(eq(messages.id, parent.id));
    expect(await list(w.bob.id)).toEqual([fromCreator.id, fromBob.id]);
  });
});

describe("listThreadMessages", () => {
  it("gives a standalone thread's messages newest first, with `before`, and none of the main thread or other threads", async ({
    expect,
  }) => {
    const w = await world();
    const side = await createThread(w.scope, w.alice.id, w.channel.id, { name: "side" });
    const another = await createThread(w.scope, w.alice.id, w.channel.id, { name: "another" });
    await send(w.scope, w.channel.id, w.alice.id, "main");
    const sent = [];
    for (let i = 0; i < 4; i++) sent.push((await sendToThread(w.scope, w.channel.id, side.id, w.bob.id, `t${i} ✓`)).id);
    await sendToThread(w.scope, w.channel.id, another.id, w.bob.id, "elsewhere");
    const newestFirst = sent.reverse();
    const list = (options: { limit: number; before?: number }) => listThreadMessages(w.d, w.app.id, w.alice.id, side.id, options).then(ids);
    expect(await list({ limit: 10 })).toEqual(newestFirst);
    expect(await list({ limit: 2, before: newestFirst[0] })).toEqual(newestFirst.slice(1, 3));
    expect((await listThreadMessages(w.d, w.app.id, w.alice.id, side.id, { limit: 1 }))[0]).toMatchObject({
      threadId: side.id,
      body: "t3 ✓",
    });
    expect(await listThreadMessages(w.d, w.app.id, w.alice.id, 987_654_321, { limit: 10 })).toEqual([]);
  });

  it("leaves out a PRIVATE channel's thread for outsiders, another application's, and hidden or blocked messages", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    const side = await createThread(w.scope, w.alice.id, w.channel.id, { name: "side" });
    const a = await sendToThread(w.scope, w.channel.id, side.id, w.alice.id, "a");
    const b = await sendToThread(w.scope, w.channel.id, side.id, w.bob.id, "b");
    const list = (viewerId: number, appId = w.app.id) => listThreadMessages(w.d, appId, viewerId, side.id, { limit: 10 }).then(ids);
    expect(await list(w.outsider.id)).toEqual([]);
    expect(await list(other.alice.id, other.app.id)).toEqual([]);
    await hide(w, w.creator.id, a.id);
    expect(await list(w.creator.id)).toEqual([b.id]);
    await block(w, w.moderator.id, w.bob.id);
    expect(await list(w.moderator.id)).toEqual([a.id]);
  });
});

describe("countReplies", () => {
  it("counts each message's replies, 0 for none, for any viewer, duplicates once", async ({ expect }) => {
    const w = await world();
    const p1 = await send(w.scope, w.channel.id, w.alice.id, "p1");
    const p2 = await send(w.scope, w.channel.id, w.alice.id, "p2");
    const lonely = await send(w.scope, w.channel.id, w.alice.id, "lonely");
    await sendMany(w, w.bob.id, 3, { parentId: p1.id });
    await send(w.scope, w.channel.id, null, "system reply", { parentId: p2.id });
    const counts = await countReplies(w.d, w.app.id, [p1.id, p2.id, lonely.id, p1.id, 987_654_321]);
    expect(Object.fromEntries(counts)).toEqual({ [p1.id]: 3, [p2.id]: 1, [lonely.id]: 0, 987654321: 0 });
    expect((await countReplies(w.d, w.app.id, [])).size).toBe(0);
  });

  it("counts for more parent ids than one statement may bind", async ({ expect }) => {
    const w = await world();
    const parents = await sendMany(w, w.alice.id, 230);
    // Replies to a parent in each chunk of 99 ids, and to the last.
    const chosen = [parents[0], parents[120], parents[229]].map((id) => id ?? 0);
    for (const [i, parentId] of chosen.entries()) await sendMany(w, w.bob.id, i + 1, { parentId });
    const counts = await countReplies(w.d, w.app.id, parents);
    expect(counts.size).toBe(230);
    expect(chosen.map((id) => counts.get(id))).toEqual([1, 2, 3]);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(6);
  });

  it("never counts another application's replies", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    const theirs = await send(other.scope, other.channel.id, other.alice.id, "parent");
    await send(other.scope, other.channel.id, other.bob.id, "reply", { parentId: theirs.id });
    expect(await countReplies(w.d, w.app.id, [theirs.id])).toEqual(new Map([[theirs.id, 0]]));
    expect(await countReplies(other.d, other.app.id, [theirs.id])).toEqual(new Map([[theirs.id, 1]]));
  });
});

describe("countVisibleMessages", () => {
  it("counts what the viewer sees of the channel, replies and thread messages included", async ({ expect }) => {
    const w = await world();
    const a = await send(w.scope, w.channel.id, w.alice.id, "a");
    const b = await send(w.scope, w.channel.id, w.bob.id, "b", { parentId: a.id });
    const side = await createThread(w.scope, w.alice.id, w.channel.id, { name: "side" });
    await sendToThread(w.scope, w.channel.id, side.id, w.creator.id, "c");
    await send(w.scope, w.channel.id, null, "system");
    expect(await countVisibleMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(4);
    await hide(w, w.alice.id, a.id);
    await block(w, w.alice.id, w.creator.id);
    expect(await countVisibleMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(2);
    await clearThrough(w, w.bob.id, b.id);
    expect(await countVisibleMessages(w.d, w.app.id, w.bob.id, w.channel.id)).toBe(2);
    expect(await countVisibleMessages(w.d, w.app.id, w.outsider.id, w.channel.id)).toBe(0);
    expect(await countVisibleMessages(w.d, w.app.id, w.moderator.id, w.channel.id)).toBe(4);
  });

  it("is 0 for an empty channel, an unknown one, and another application's", async ({ expect }) => {
    const w = await world();
    const other = await world("PUBLIC", "h1-other");
    await send(other.scope, other.channel.id, other.alice.id, "other");
    expect(await countVisibleMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(0);
    expect(await countVisibleMessages(w.d, w.app.id, w.alice.id, 987_654_321)).toBe(0);
    expect(await countVisibleMessages(w.d, w.app.id, other.alice.id, other.channel.id)).toBe(0);
    expect(await countVisibleMessages(other.d, other.app.id, other.outsider.id, other.channel.id)).toBe(1);
  });

  it("counts more than 100 messages", async ({ expect }) => {
    const w = await world();
    await sendMany(w, w.alice.id, 150);
    expect(await countVisibleMessages(w.d, w.app.id, w.bob.id, w.channel.id)).toBe(150);
  });
});

describe("countUnreadMessages", () => {
  it("counts others' and system messages past the member's read marker, never their own", async ({ expect }) => {
    const w = await world();
    const a = await send(w.scope, w.channel.id, w.bob.id, "a");
    await send(w.scope, w.channel.id, w.alice.id, "own");
    await send(w.scope, w.channel.id, null, "system");
    const reply = await send(w.scope, w.channel.id, w.creator.id, "reply", { parentId: a.id });
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(3);
    expect(await countUnreadMessages(w.d, w.app.id, w.bob.id, w.channel.id)).toBe(3);
    await readThrough(w, w.alice.id, a.id);
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(2);
    await readThrough(w, w.alice.id, reply.id);
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(0);
  });

  it("counts over every channel the viewer is a member of when no channel is given", async ({ expect }) => {
    const w = await world();
    const elsewhere = await insertChannel(w.d, w.app.id, "PRIVATE", "elsewhere", [w.alice.id, w.bob.id]);
    const notMine = await insertChannel(w.d, w.app.id, "PUBLIC", "not mine", [w.bob.id]);
    await sendMany(w, w.bob.id, 2);
    await send(w.scope, elsewhere.id, w.bob.id, "e1");
    await send(w.scope, notMine.id, w.bob.id, "n1");
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id, elsewhere.id)).toBe(1);
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id)).toBe(3);
    // A PUBLIC channel the viewer sees but is not a member of counts 0.
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id, notMine.id)).toBe(0);
  });

  it("is 0 for a non-member, an unknown channel and another application's", async ({ expect }) => {
    const w = await world("PUBLIC");
    const other = await world("PUBLIC", "h1-other");
    await send(w.scope, w.channel.id, w.alice.id, "a");
    await send(other.scope, other.channel.id, other.alice.id, "other");
    expect(await countUnreadMessages(w.d, w.app.id, w.outsider.id, w.channel.id)).toBe(0);
    expect(await countUnreadMessages(w.d, w.app.id, w.outsider.id)).toBe(0);
    expect(await countUnreadMessages(w.d, w.app.id, w.bob.id, 987_654_321)).toBe(0);
    expect(await countUnreadMessages(w.d, w.app.id, other.bob.id, other.channel.id)).toBe(0);
    expect(await countUnreadMessages(w.d, w.app.id, other.bob.id)).toBe(0);
    expect(await countUnreadMessages(other.d, other.app.id, other.bob.id)).toBe(1);
    // A member who just joined starts with the history read (stompx-current.md §8.1); what comes next is unread.
    await addMember(w.d, w.app.id, w.channel.id, w.outsider.id);
    expect(await countUnreadMessages(w.d, w.app.id, w.outsider.id, w.channel.id)).toBe(0);
    await send(w.scope, w.channel.id, w.alice.id, "after joining");
    expect(await countUnreadMessages(w.d, w.app.id, w.outsider.id, w.channel.id)).toBe(1);
    // Joining a PUBLIC channel by oneself starts the same way.
    const late = await insertUser(w.d, w.app.id, { name: `late-${crypto.randomUUID()}` });
    expect(await joinChannel(w.d, w.app.id, late.id, w.channel.id)).toBe(true);
    expect(await countUnreadMessages(w.d, w.app.id, late.id, w.channel.id)).toBe(0);
  });

  it("leaves out messages the viewer deleted for themselves, cleared, or got from users they blocked", async ({ expect }) => {
    const w = await world();
    const a = await send(w.scope, w.channel.id, w.bob.id, "a");
    const b = await send(w.scope, w.channel.id, w.bob.id, "b");
    await send(w.scope, w.channel.id, w.creator.id, "c");
    await send(w.scope, w.channel.id, w.moderator.id, "d");
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(4);
    await clearThrough(w, w.alice.id, a.id);
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(3);
    await hide(w, w.alice.id, b.id);
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(2);
    await block(w, w.alice.id, w.creator.id);
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(1);
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id)).toBe(1);
    // Others are unaffected.
    expect(await countUnreadMessages(w.d, w.app.id, w.creator.id, w.channel.id)).toBe(3);
  });

  it("unread channels agree with the counts: a channel whose only unread messages are hidden or from a blocked user is not unread", async ({
    expect,
  }) => {
    const w = await world();
    const unreadChannel = () => channelHasUnread(w.d, w.app.id, w.alice.id, w.channel.id);
    const b = await send(w.scope, w.channel.id, w.bob.id, "hidden");
    expect(await unreadChannel()).toBe(true);
    await hide(w, w.alice.id, b.id);
    expect(await unreadChannel()).toBe(false);
    await send(w.scope, w.channel.id, w.creator.id, "blocked");
    expect(await countUnreadChannels(w.d, w.app.id, w.alice.id)).toBe(1);
    await block(w, w.alice.id, w.creator.id);
    expect(await unreadChannel()).toBe(false);
    expect(await countUnreadChannels(w.d, w.app.id, w.alice.id)).toBe(0);
    expect((await listChannelsOfUser(w.d, w.app.id, w.alice.id, "unread", 0, 10)).total).toBe(0);
    await send(w.scope, w.channel.id, w.moderator.id, "seen");
    expect(await unreadChannel()).toBe(true);
    // Bob blocked nobody: the creator's message is unread for him.
    expect(await channelHasUnread(w.d, w.app.id, w.bob.id, w.channel.id)).toBe(true);
  });

  it("counts more than 100 unread messages", async ({ expect }) => {
    const w = await world();
    const sent = await sendMany(w, w.bob.id, 150);
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(150);
    await readThrough(w, w.alice.id, sent[49] ?? 0);
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id)).toBe(100);
  });
});
