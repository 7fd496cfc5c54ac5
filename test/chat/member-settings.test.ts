/**
 * A member's own settings of a channel (src/chat/member-settings.ts) against the real D1: muting,
 * hiding until the next message, clearing history; who may, and that other applications' channels
 * are never found.
 */
import { and, eq } from "drizzle-orm";
import { describe, it } from "vitest";
import { clearHistory, hideChannel, noticeNewMessage, setMuted } from "../../src/chat/member-settings";
import { channelViewers } from "../../src/chat/queries/members";
import { countUnreadMessages, listVisibleMessages } from "../../src/chat/queries/message-views";
import { channelMembers, messages } from "../../src/db/schema";
import { errorOf } from "./chat-error";
import { send, type World, world } from "./message-fixture";

const membershipOf = async (w: World, userId: number, channelId = w.channel.id) =>
  w.d
    .select()
    .from(channelMembers)
    .where(and(eq(channelMembers.channelId, channelId), eq(channelMembers.userId, userId)))
    .get();

const visibleIds = async (w: World, viewerId: number) =>
  (await listVisibleMessages(w.d, w.app.id, viewerId, w.channel.id, { limit: 50 })).map((m) => m.id);

describe("setMuted", () => {
  it("mutes with ON and unmutes with OFF for that member only, answering the channel as they see it", async ({ expect }) => {
    const w = await world();
    const muted = await setMuted(w.scope, w.alice.id, w.channel.id, "ON");
    expect(muted).toMatchObject({ id: w.channel.id, type: "PRIVATE", name: w.channel.name, isMember: true });
    const viewer = async (userId: number) => (await channelViewers(w.d, w.app.id, userId, [w.channel.id])).get(w.channel.id)?.muted;
    expect(await viewer(w.alice.id)).toBe(true);
    expect(await viewer(w.bob.id)).toBe(false);
    await setMuted(w.scope, w.alice.id, w.channel.id, "ON");
    expect(await viewer(w.alice.id)).toBe(true);
    await setMuted(w.scope, w.alice.id, w.channel.id, "OFF");
    expect(await viewer(w.alice.id)).toBe(false);
  });

  it("refuses any state but exactly ON and OFF, leaving the setting alone", async ({ expect }) => {
    const w = await world();
    await setMuted(w.scope, w.alice.id, w.channel.id, "ON");
    for (const state of ["on", "off", "", " ON", 1, 0, true, null, undefined, {}, ["ON"]]) {
      expect(await errorOf(setMuted(w.scope, w.alice.id, w.channel.id, state))).toBe("InvalidMuteStateError");
    }
    expect((await membershipOf(w, w.alice.id))?.muted).toBe(true);
  });

  it("refuses a non-member of a PUBLIC channel, and does not find a PRIVATE one, an unknown id or another application's", async ({
    expect,
  }) => {
    const pub = await world("PUBLIC");
    expect(await errorOf(setMuted(pub.scope, pub.outsider.id, pub.channel.id, "ON"))).toBe("NotAChannelMemberError");
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    expect(await errorOf(setMuted(w.scope, w.outsider.id, w.channel.id, "ON"))).toBe("ChannelNotFoundError");
    expect(await errorOf(setMuted(w.scope, w.alice.id, 987_654_321, "ON"))).toBe("ChannelNotFoundError");
    // Their member's own id, under this application's scope.
    expect(await errorOf(setMuted(w.scope, other.alice.id, other.channel.id, "ON"))).toBe("ChannelNotFoundError");
    expect((await membershipOf(other, other.alice.id))?.muted).toBe(false);
  });
});

describe("hideChannel and noticeNewMessage", () => {
  it("hides for the member until a new message unhides it, reporting each member who had hidden it once", async ({ expect }) => {
    const w = await world();
    expect(await hideChannel(w.scope, w.alice.id, w.channel.id)).toMatchObject({ id: w.channel.id, isMember: true });
    await hideChannel(w.scope, w.bob.id, w.channel.id);
    expect((await membershipOf(w, w.alice.id))?.hidden).toBe(true);
    expect((await membershipOf(w, w.creator.id))?.hidden).toBe(false);
    const { unhidden, members } = await noticeNewMessage(w.d, w.app.id, w.channel.id, w.creator.id, 1000);
    expect(unhidden.sort((a, b) => a - b)).toEqual([w.alice.id, w.bob.id]);
    // The same round trip names who to notify: every member but the sender, hidden ones included.
    const notified = members.map((m) => m.id).sort((a, b) => a - b);
    expect(notified).toEqual([w.moderator.id, w.alice.id, w.bob.id].sort((a, b) => a - b));
    expect((await membershipOf(w, w.alice.id))?.hidden).toBe(false);
    expect((await noticeNewMessage(w.d, w.app.id, w.channel.id, null, 1000)).unhidden).toEqual([]);
    // Hidden again after being shown: the round trip repeats.
    await hideChannel(w.scope, w.alice.id, w.channel.id);
    expect((await noticeNewMessage(w.d, w.app.id, w.channel.id, null, 1000)).unhidden).toEqual([w.alice.id]);
  });

  it("never unhides another application's channel", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    await hideChannel(other.scope, other.alice.id, other.channel.id);
    expect(await noticeNewMessage(w.d, w.app.id, other.channel.id, null, 1000)).toEqual({ unhidden: [], members: [] });
    expect((await membershipOf(other, other.alice.id))?.hidden).toBe(true);
  });

  it("refuses non-members and does not find unknown or invisible channels", async ({ expect }) => {
    const pub = await world("PUBLIC");
    expect(await errorOf(hideChannel(pub.scope, pub.outsider.id, pub.channel.id))).toBe("NotAChannelMemberError");
    const w = await world();
    expect(await errorOf(hideChannel(w.scope, w.outsider.id, w.channel.id))).toBe("ChannelNotFoundError");
    expect(await errorOf(hideChannel(w.scope, w.alice.id, 987_654_321))).toBe("ChannelNotFoundError");
  });
});

describe("clearHistory", () => {
  it("removes the messages so far from the member's history and unread count, but not later ones or others' history", async ({
    expect,
  }) => {
    const w = await world();
    const m1 = await send(w.scope, w.channel.id, w.bob.id, "old ☃");
    const m2 = await send(w.scope, w.channel.id, null, "old system");
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(2);
    expect(await clearHistory(w.scope, w.alice.id, w.channel.id)).toMatchObject({ id: w.channel.id, isMember: true });
    expect(await visibleIds(w, w.alice.id)).toEqual([]);
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(0);
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id)).toBe(0);
    expect(await visibleIds(w, w.bob.id)).toEqual([m2.id, m1.id]);
    expect(await countUnreadMessages(w.d, w.app.id, w.creator.id, w.channel.id)).toBe(2);
    const m3 = await send(w.scope, w.channel.id, w.bob.id, "new 👋");
    expect(await visibleIds(w, w.alice.id)).toEqual([m3.id]);
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(1);
    const row = await membershipOf(w, w.alice.id);
    expect(row).toMatchObject({ clearedThroughId: m2.id, lastReadMessageId: m2.id });
    expect(row?.lastReadAt).toBeInstanceOf(Date);
  });

  it("keeps the marks when the channel has no messages, and never lowers them", async ({ expect }) => {
    const w = await world();
    await clearHistory(w.scope, w.alice.id, w.channel.id);
    expect(await membershipOf(w, w.alice.id)).toMatchObject({ clearedThroughId: null, lastReadMessageId: null, lastReadAt: null });
    await send(w.scope, w.channel.id, w.bob.id, "one");
    const newest = await send(w.scope, w.channel.id, w.bob.id, "two");
    await clearHistory(w.scope, w.alice.id, w.channel.id);
    // The newest message goes away: clearing again must not bring "two" back.
    await w.d.delete(messages).where(eq(messages.id, newest.id));
    await clearHistory(w.scope, w.alice.id, w.channel.id);
    expect(await membershipOf(w, w.alice.id)).toMatchObject({ clearedThroughId: newest.id, lastReadMessageId: newest.id });
  });

  it("does not move a read marker already past the cleared messages", async ({ expect }) => {
    const w = await world();
    const m1 = await send(w.scope, w.channel.id, w.bob.id, "one");
    await w.d
      .update(channelMembers)
      .set({ lastReadMessageId: m1.id + 1000 })
      .where(and(eq(channelMembers.channelId, w.channel.id), eq(channelMembers.userId, w.alice.id)));
    await clearHistory(w.scope, w.alice.id, w.channel.id);
    expect(await membershipOf(w, w.alice.id)).toMatchObject({ clearedThroughId: m1.id, lastReadMessageId: m1.id + 1000, lastReadAt: null });
  });

  it("refuses non-members and does not find unknown, invisible or another application's channels", async ({ expect }) => {
    const pub = await world("PUBLIC");
    expect(await errorOf(clearHistory(pub.scope, pub.outsider.id, pub.channel.id))).toBe("NotAChannelMemberError");
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    expect(await errorOf(clearHistory(w.scope, w.outsider.id, w.channel.id))).toBe("ChannelNotFoundError");
    expect(await errorOf(clearHistory(w.scope, w.alice.id, 987_654_321))).toBe("ChannelNotFoundError");
    expect(await errorOf(clearHistory(w.scope, other.alice.id, other.channel.id))).toBe("ChannelNotFoundError");
  });
});
