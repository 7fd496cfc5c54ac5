/**
 * Blocking (src/chat/blocks.ts) against the real D1: the blocker stops seeing the blocked user's
 * messages until unblocking; refusals; the block list; and notifications that skip blockers, over more ids than one
 * statement may bind.
 */
import { and, eq } from "drizzle-orm";
import { describe, it } from "vitest";
import { blockUser, listBlocks, unblockUser } from "../../src/chat/blocks";
import { addMember, channelMembersToNotify } from "../../src/chat/queries/members";
import { countUnreadMessages, listVisibleMessages } from "../../src/chat/queries/message-views";
import { userColumns, type UserRow } from "../../src/chat/queries/users";
import { userBlocks, users } from "../../src/db/schema";
import { chunked } from "../../src/db/chunks";
import { errorOf } from "./chat-error";
import { send, type World, world } from "./message-fixture";

const visibleIds = async (w: World, viewerId: number) =>
  (await listVisibleMessages(w.d, w.app.id, viewerId, w.channel.id, { limit: 50 })).map((m) => m.id);

/** `n` more users of the world's application, in id order. */
const manyUsers = async (w: World, n: number) => {
  const created: UserRow[] = [];
  const names = Array.from({ length: n }, (_, i) => `many-${i}-ü`);
  for (const chunk of chunked(names, 20)) {
    created.push(
      ...((await w.d
        .insert(users)
        .values(chunk.map((name) => ({ applicationId: w.app.id, name })))
        .returning(userColumns)) as UserRow[]),
    );
  }
  return created.sort((a, b) => a.id - b.id);
};

describe("blockUser and unblockUser", () => {
  it("hides the blocked user's messages and unread counts from the blocker only, until unblocked", async ({ expect }) => {
    const w = await world();
    const fromBob = await send(w.scope, w.channel.id, w.bob.id, "from bob ☃");
    const fromCreator = await send(w.scope, w.channel.id, w.creator.id, "from creator");
    expect(await blockUser(w.scope, w.alice.id, w.bob.id)).toMatchObject({ id: w.bob.id, name: w.bob.name });
    expect(await visibleIds(w, w.alice.id)).toEqual([fromCreator.id]);
    expect(await countUnreadMessages(w.d, w.app.id, w.alice.id, w.channel.id)).toBe(1);
    expect(await visibleIds(w, w.creator.id)).toEqual([fromCreator.id, fromBob.id]);
    // Blocking is one way: bob still sees alice's messages.
    const fromAlice = await send(w.scope, w.channel.id, w.alice.id, "from alice");
    expect(await visibleIds(w, w.bob.id)).toContain(fromAlice.id);
    expect(await unblockUser(w.scope, w.alice.id, w.bob.id)).toMatchObject({ id: w.bob.id, name: w.bob.name });
    expect(await visibleIds(w, w.alice.id)).toEqual([fromAlice.id, fromCreator.id, fromBob.id]);
  });

  it("answers the same when blocking twice, keeping one block", async ({ expect }) => {
    const w = await world();
    const first = await blockUser(w.scope, w.alice.id, w.bob.id);
    expect(await blockUser(w.scope, w.alice.id, w.bob.id)).toEqual(first);
    expect(await listBlocks(w.scope, w.alice.id, 0, 10)).toMatchObject({ rows: [{ user: { id: w.bob.id } }], total: 1 });
  });

  it("refuses blocking oneself, and does not find unknown users or another application's", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    expect(await errorOf(blockUser(w.scope, w.alice.id, w.alice.id))).toBe("InvalidUserError");
    expect(await errorOf(blockUser(w.scope, w.alice.id, 987_654_321))).toBe("UserNotFoundError");
    expect(await errorOf(blockUser(w.scope, w.alice.id, other.bob.id))).toBe("UserNotFoundError");
    expect(await listBlocks(w.scope, w.alice.id, 0, 10)).toEqual({ rows: [], total: 0 });
  });

  it("refuses unblocking a user who is not blocked, unknown, foreign, or already unblocked", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    expect(await errorOf(unblockUser(w.scope, w.alice.id, w.bob.id))).toBe("ResourceNotFoundError");
    expect(await errorOf(unblockUser(w.scope, w.alice.id, 987_654_321))).toBe("ResourceNotFoundError");
    await blockUser(other.scope, other.alice.id, other.bob.id);
    // Another application's block, named under this application's scope, is not found and stays.
    expect(await errorOf(unblockUser(w.scope, other.alice.id, other.bob.id))).toBe("ResourceNotFoundError");
    expect((await listBlocks(other.scope, other.alice.id, 0, 10)).total).toBe(1);
    await blockUser(w.scope, w.alice.id, w.bob.id);
    await unblockUser(w.scope, w.alice.id, w.bob.id);
    expect(await errorOf(unblockUser(w.scope, w.alice.id, w.bob.id))).toBe("ResourceNotFoundError");
  });
});

describe("listBlocks", () => {
  it("pages the user's own blocks, newest first, with when each was made", async ({ expect }) => {
    const w = await world();
    for (const blocked of [w.bob, w.creator, w.moderator]) await blockUser(w.scope, w.alice.id, blocked.id);
    await blockUser(w.scope, w.bob.id, w.alice.id);
    // Distinct times, so the order is the times' and not the tie-break's.
    for (const [blockedId, at] of [
      [w.bob.id, 3_000],
      [w.creator.id, 1_000],
      [w.moderator.id, 2_000],
    ] as const) {
      await w.d
        .update(userBlocks)
        .set({ createdAt: new Date(at) })
        .where(and(eq(userBlocks.userId, w.alice.id), eq(userBlocks.blockedUserId, blockedId)));
    }
    const page = await listBlocks(w.scope, w.alice.id, 0, 10);
    expect(page.total).toBe(3);
    expect(page.rows.map((r) => [r.user.id, r.createdAt.getTime()])).toEqual([
      [w.bob.id, 3_000],
      [w.moderator.id, 2_000],
      [w.creator.id, 1_000],
    ]);
    expect(page.rows[0]?.user).toMatchObject({ name: w.bob.name, displayName: null, isGuest: false, properties: {} });
    expect(await listBlocks(w.scope, w.alice.id, 1, 1)).toEqual({ rows: [page.rows[1]], total: 3 });
    expect(await listBlocks(w.scope, w.alice.id, 3, 10)).toEqual({ rows: [], total: 3 });
  });
});

describe("notifications of a blocked user's messages", () => {
  it("leave out the members who blocked the sender, among more than 100 members, and only for that sender", async ({ expect }) => {
    const w = await world();
    const crowd = await manyUsers(w, 150);
    for (const u of crowd) await addMember(w.d, w.app.id, w.channel.id, u.id);
    const blockers = [crowd[0], crowd[97], crowd[98], crowd[99], crowd[100], crowd[149]].map((u) => u?.id ?? 0);
    for (const id of blockers) await blockUser(w.scope, id, w.bob.id);
    // Blocked someone else: still notified of bob's messages.
    await blockUser(w.scope, crowd[50]?.id ?? 0, w.creator.id);
    const notified = async (senderId: number | null) =>
      new Set((await channelMembersToNotify(w.d, w.app.id, w.channel.id, senderId, 1000)).map((m) => m.id));
    const ofBob = await notified(w.bob.id);
    expect(blockers.filter((id) => ofBob.has(id))).toEqual([]);
    expect(ofBob.has(crowd[50]?.id ?? 0)).toBe(true);
    expect(ofBob.has(w.bob.id)).toBe(false);
    expect(ofBob.size).toBe(crowd.length - blockers.length + 3); // + creator, moderator, alice
    expect((await notified(w.creator.id)).has(crowd[50]?.id ?? 0)).toBe(false);
    // System messages have no sender to block.
    expect((await notified(null)).size).toBe(crowd.length + 4);
  });

  it("never apply another application's blocks", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    await blockUser(other.scope, other.alice.id, other.bob.id);
    const ids = async (d: typeof w) => (await channelMembersToNotify(d.d, d.app.id, d.channel.id, d.bob.id, 1000)).map((m) => m.id);
    expect(await ids(w)).toContain(w.alice.id);
    expect(await ids(other)).not.toContain(other.alice.id);
  });
});
