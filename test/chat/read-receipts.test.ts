/**
 * Reading and read receipts (src/chat/read-receipts.ts) against the real D1: how the marker moves,
 * which message a read's receipt event is about, who is listed as having read a message, and that
 * invisible or foreign messages are never found.
 */
import { and, eq } from "drizzle-orm";
import { describe, it } from "vitest";
import { blockUser } from "../../src/chat/blocks";
import { deleteMessageForMe } from "../../src/chat/message-changes";
import { countUnreadMessages } from "../../src/chat/queries/message-views";
import { listReadReceipts, readChannel, readMessage } from "../../src/chat/read-receipts";
import { channelMembers } from "../../src/db/schema";
import { errorOf } from "./chat-error";
import { send, type World, world } from "./message-fixture";

const markerOf = async (w: World, userId: number) =>
  w.d
    .select({ id: channelMembers.lastReadMessageId, at: channelMembers.lastReadAt })
    .from(channelMembers)
    .where(and(eq(channelMembers.channelId, w.channel.id), eq(channelMembers.userId, userId)))
    .get();

const setMarker = (w: World, userId: number, values: { lastReadMessageId: number; lastReadAt?: Date | null }) =>
  w.d
    .update(channelMembers)
    .set(values)
    .where(and(eq(channelMembers.channelId, w.channel.id), eq(channelMembers.userId, userId)));

describe("readChannel", () => {
  it("moves the marker to the newest message and answers that message once; reading again answers none", async ({ expect }) => {
    const w = await world();
    await send(w.scope, w.channel.id, w.bob.id, "one");
    const newest = await send(w.scope, w.channel.id, w.bob.id, "two ☃");
    const first = await readChannel(w.scope, w.alice.id, w.channel.id);
    expect(first.channel).toMatchObject({ id: w.channel.id, isMember: true });
    expect(first.newestRead).toMatchObject({ id: newest.id, body: "two ☃", user: { id: w.bob.id } });
    const marker = await markerOf(w, w.alice.id);
    expect(marker?.id).toBe(newest.id);
    expect(marker?.at).toBeInstanceOf(Date);
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(0);
    const again = await readChannel(w.scope, w.alice.id, w.channel.id);
    expect(again).toEqual({ channel: first.channel, newestRead: undefined });
    expect(await markerOf(w, w.alice.id)).toEqual(marker);
  });

  it("answers no message when the newest newly read one is the reader's own, though older ones are others'", async ({ expect }) => {
    const w = await world();
    await send(w.scope, w.channel.id, w.bob.id, "theirs");
    const own = await send(w.scope, w.channel.id, w.alice.id, "mine");
    expect((await readChannel(w.scope, w.alice.id, w.channel.id)).newestRead).toBeUndefined();
    expect((await markerOf(w, w.alice.id))?.id).toBe(own.id);
  });

  it("answers a system message, and the newest one the reader sees: not a blocked sender's or one deleted for them", async ({ expect }) => {
    const w = await world();
    const system = await send(w.scope, w.channel.id, null, "system");
    const hidden = await send(w.scope, w.channel.id, w.creator.id, "deleted for alice");
    await deleteMessageForMe(w.scope, w.alice.id, hidden.id);
    await blockUser(w.scope, w.alice.id, w.bob.id);
    const blocked = await send(w.scope, w.channel.id, w.bob.id, "blocked");
    const { newestRead } = await readChannel(w.scope, w.alice.id, w.channel.id);
    expect(newestRead).toMatchObject({ id: system.id, userId: null, user: null });
    expect((await markerOf(w, w.alice.id))?.id).toBe(blocked.id);
  });

  it("answers no message for a channel with none, leaving the marker unset", async ({ expect }) => {
    const w = await world();
    expect((await readChannel(w.scope, w.alice.id, w.channel.id)).newestRead).toBeUndefined();
    expect(await markerOf(w, w.alice.id)).toEqual({ id: null, at: null });
  });

  it("refuses non-members and does not find unknown, invisible or another application's channels", async ({ expect }) => {
    const pub = await world("PUBLIC");
    expect(await errorOf(readChannel(pub.scope, pub.outsider.id, pub.channel.id))).toBe("NotAChannelMemberError");
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    expect(await errorOf(readChannel(w.scope, w.outsider.id, w.channel.id))).toBe("ChannelNotFoundError");
    expect(await errorOf(readChannel(w.scope, w.alice.id, 987_654_321))).toBe("ChannelNotFoundError");
    expect(await errorOf(readChannel(w.scope, other.alice.id, other.channel.id))).toBe("ChannelNotFoundError");
  });
});

describe("readMessage", () => {
  it("moves the marker up to the message, never backwards, answering the message only the first time", async ({ expect }) => {
    const w = await world();
    const m1 = await send(w.scope, w.channel.id, w.bob.id, "one");
    const m2 = await send(w.scope, w.channel.id, w.bob.id, "two");
    const m3 = await send(w.scope, w.channel.id, w.bob.id, "three");
    const first = await readMessage(w.scope, w.alice.id, m2.id);
    expect(first.channel).toMatchObject({ id: w.channel.id, type: "PRIVATE", isMember: true });
    expect(first.newestRead?.id).toBe(m2.id);
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(1);
    expect((await readMessage(w.scope, w.alice.id, m2.id)).newestRead).toBeUndefined();
    expect((await readMessage(w.scope, w.alice.id, m1.id)).newestRead).toBeUndefined();
    expect((await markerOf(w, w.alice.id))?.id).toBe(m2.id);
    expect((await readMessage(w.scope, w.alice.id, m3.id)).newestRead?.id).toBe(m3.id);
  });

  it("answers no message when reading up to one's own message", async ({ expect }) => {
    const w = await world();
    await send(w.scope, w.channel.id, w.bob.id, "theirs");
    const own = await send(w.scope, w.channel.id, w.alice.id, "mine");
    expect((await readMessage(w.scope, w.alice.id, own.id)).newestRead).toBeUndefined();
    expect((await markerOf(w, w.alice.id))?.id).toBe(own.id);
  });

  it("does not find unknown ids, another application's or invisible messages, and refuses a non-member who sees one", async ({
    expect,
  }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    const mine = await send(w.scope, w.channel.id, w.bob.id, "private");
    const theirs = await send(other.scope, other.channel.id, other.bob.id, "other app");
    expect(await errorOf(readMessage(w.scope, w.alice.id, 987_654_321))).toBe("MessageNotFoundError");
    expect(await errorOf(readMessage(w.scope, other.alice.id, theirs.id))).toBe("MessageNotFoundError");
    expect(await errorOf(readMessage(w.scope, w.outsider.id, mine.id))).toBe("MessageNotFoundError");
    await deleteMessageForMe(w.scope, w.alice.id, mine.id);
    expect(await errorOf(readMessage(w.scope, w.alice.id, mine.id))).toBe("MessageNotFoundError");
    expect((await markerOf(w, w.alice.id))?.id).toBeNull();
    const pub = await world("PUBLIC");
    const open = await send(pub.scope, pub.channel.id, pub.bob.id, "public");
    expect(await errorOf(readMessage(pub.scope, pub.outsider.id, open.id))).toBe("NotAChannelMemberError");
  });
});

describe("listReadReceipts", () => {
  it("lists the members whose marker is at or past the message, sender excluded, by read time then user id", async ({ expect }) => {
    const w = await world();
    const message = await send(w.scope, w.channel.id, w.bob.id, "read me");
    const later = await send(w.scope, w.channel.id, w.alice.id, "later");
    // The sender's own marker is past it (sending moved it): no receipt for their own message.
    await setMarker(w, w.bob.id, { lastReadMessageId: later.id, lastReadAt: new Date(3_000) });
    await setMarker(w, w.alice.id, { lastReadMessageId: later.id, lastReadAt: new Date(2_000) });
    await setMarker(w, w.creator.id, { lastReadMessageId: message.id, lastReadAt: new Date(1_000) });
    // Marker set without a read time (e.g. by an import): their membership's time stands in.
    await setMarker(w, w.moderator.id, { lastReadMessageId: message.id, lastReadAt: null });
    const moderatorJoined = (
      await w.d
        .select({ at: channelMembers.createdAt })
        .from(channelMembers)
        .where(and(eq(channelMembers.channelId, w.channel.id), eq(channelMembers.userId, w.moderator.id)))
        .get()
    )?.at;
    const page = await listReadReceipts(w.scope, w.alice.id, message.id, 0, 10);
    expect(page.total).toBe(3);
    expect(page.rows.map((r) => [r.user.id, r.createdAt.getTime()])).toEqual([
      [w.creator.id, 1_000],
      [w.alice.id, 2_000],
      [w.moderator.id, moderatorJoined?.getTime()],
    ]);
    expect(page.rows[0]?.user).toMatchObject({ id: w.creator.id, name: w.creator.name, isGuest: false });
    const second = await listReadReceipts(w.scope, w.bob.id, message.id, 1, 1);
    expect(second).toEqual({ rows: [page.rows[1]], total: 3 });
    // Nobody has read the later message but its sender (excluded) and bob.
    expect((await listReadReceipts(w.scope, w.bob.id, later.id, 0, 10)).rows.map((r) => r.user.id)).toEqual([w.bob.id]);
  });

  it("records a read through readChannel as a receipt at the time of the read", async ({ expect }) => {
    const w = await world();
    const message = await send(w.scope, w.channel.id, w.bob.id, "hi");
    expect(await listReadReceipts(w.scope, w.bob.id, message.id, 0, 10)).toEqual({ rows: [], total: 0 });
    const before = Date.now();
    await readChannel(w.scope, w.alice.id, w.channel.id);
    const { rows, total } = await listReadReceipts(w.scope, w.bob.id, message.id, 0, 10);
    expect(total).toBe(1);
    expect(rows[0]?.user.id).toBe(w.alice.id);
    expect(Math.abs((rows[0]?.createdAt.getTime() ?? 0) - before)).toBeLessThan(60_000);
  });

  it("does not find unknown ids, another application's messages or messages the viewer does not see", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    const mine = await send(w.scope, w.channel.id, w.bob.id, "private");
    const theirs = await send(other.scope, other.channel.id, other.bob.id, "other app");
    expect(await errorOf(listReadReceipts(w.scope, w.alice.id, 987_654_321, 0, 10))).toBe("MessageNotFoundError");
    expect(await errorOf(listReadReceipts(w.scope, other.alice.id, theirs.id, 0, 10))).toBe("MessageNotFoundError");
    expect(await errorOf(listReadReceipts(w.scope, w.outsider.id, mine.id, 0, 10))).toBe("MessageNotFoundError");
    await blockUser(w.scope, w.alice.id, w.bob.id);
    expect(await errorOf(listReadReceipts(w.scope, w.alice.id, mine.id, 0, 10))).toBe("MessageNotFoundError");
  });
});
