/**
 * Reactions to persisted messages (src/chat/reactions.ts, spec stompx-current.md §9), called
 * directly against the real D1: who may react, both spellings of an emoji being one reaction,
 * pages of a message's reactions, and the per-emoji summaries message resources carry.
 */
import { and, eq } from "drizzle-orm";
import { describe, it } from "vitest";
import { deleteMessageForMe } from "../../src/chat/message-changes";
import { insertUser } from "../../src/chat/queries/users";
import { listReactions, react, reactionSummaries, removeReaction, SUMMARY_USERS_PER_EMOJI } from "../../src/chat/reactions";
import { addMember } from "../../src/chat/queries/members";
import { channelMembers, messageReactions, messages, userBlocks } from "../../src/db/schema";
import { errorOf } from "./chat-error";
import { send, type World, world } from "./message-fixture";

/** The stored emoji of the message's reactions by this user, in emoji order. */
const storedEmoji = async (w: World, messageId: number, userId: number) =>
  (
    await w.d
      .select({ emoji: messageReactions.emoji })
      .from(messageReactions)
      .where(and(eq(messageReactions.messageId, messageId), eq(messageReactions.userId, userId)))
  )
    .map((r) => r.emoji)
    .sort();

/** Reactions of one millisecond are ordered by user id: a pause keeps the order they were sent in. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 3));

/** `n` more users of the world's application, members of its channel. */
const members = async (w: World, n: number, label = "m") => {
  const made = [];
  for (let i = 0; i < n; i++) {
    const user = await insertUser(w.d, w.app.id, { name: `${label}-${i}` });
    await addMember(w.d, w.app.id, w.channel.id, user.id);
    made.push(user);
  }
  return made;
};

describe("react", () => {
  it("records a member's reaction and answers it with the Emoji, the user, the message and the channel", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.alice.id, "hello ☃");
    const { reaction, message, channel } = await react(w.scope, w.bob.id, sent.id, "👍");
    expect(reaction).toMatchObject({
      messageId: sent.id,
      emoji: { character: "👍", description: "thumbs up", aliases: ["+1", "thumbsup"] },
      user: { id: w.bob.id, name: w.bob.name },
    });
    expect(reaction.createdAt).toBeInstanceOf(Date);
    expect(message).toMatchObject({ id: sent.id, body: "hello ☃", user: { id: w.alice.id } });
    expect(channel.id).toBe(w.channel.id);
    expect(await storedEmoji(w, sent.id, w.bob.id)).toEqual(["👍"]);
  });

  it("lets the sender, the creator and a moderator react too, and one user react with several emoji", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.alice.id, "hi");
    for (const user of [w.alice, w.creator, w.moderator]) await react(w.scope, user.id, sent.id, "🎉");
    await react(w.scope, w.alice.id, sent.id, "👍");
    await react(w.scope, w.alice.id, sent.id, "👍🏽");
    expect(await storedEmoji(w, sent.id, w.alice.id)).toEqual(["👍", "👍🏽", "🎉"].sort());
  });

  it("stores a :shortcode: as its character, so both spellings are one reaction", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.alice.id, "hi");
    const { reaction } = await react(w.scope, w.bob.id, sent.id, ":+1:");
    expect(reaction.emoji.character).toBe("👍");
    expect(await errorOf(react(w.scope, w.bob.id, sent.id, "👍"))).toBe("DuplicateReactionError");
    expect(await errorOf(react(w.scope, w.bob.id, sent.id, ":thumbsup:"))).toBe("DuplicateReactionError");
    // "❤" and "❤️" are one emoji as well.
    await react(w.scope, w.bob.id, sent.id, "❤");
    expect(await errorOf(react(w.scope, w.bob.id, sent.id, ":heart:"))).toBe("DuplicateReactionError");
    expect(await storedEmoji(w, sent.id, w.bob.id)).toEqual(["❤️", "👍"].sort());
  });

  it("refuses the same emoji twice, even when sent at the same time", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.alice.id, "hi");
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => react(w.scope, w.bob.id, sent.id, "🔥")));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ error: "DuplicateReactionError" });
    expect(await storedEmoji(w, sent.id, w.bob.id)).toEqual(["🔥"]);
  });

  it("records every member's reaction when they react at the same time", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.alice.id, "hi");
    const everyone = [w.alice, w.bob, w.creator, w.moderator, ...(await members(w, 6))];
    await Promise.all(everyone.map((u) => react(w.scope, u.id, sent.id, "👍")));
    const [summary] = (await reactionSummaries(w.d, w.app.id, [sent.id])).get(sent.id) ?? [];
    expect(summary?.count).toBe(everyone.length);
  });

  it("refuses invalid emoji before anything else, storing nothing", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.alice.id, "hi");
    for (const emoji of ["", "ok", "👍👍", ":nope:", 42, null, undefined, "👍".repeat(1000)])
      expect(await errorOf(react(w.scope, w.bob.id, sent.id, emoji))).toBe("InvalidEmojiError");
    // Even on a message that does not exist.
    expect(await errorOf(react(w.scope, w.bob.id, 987_654_321, "nope"))).toBe("InvalidEmojiError");
    expect(await storedEmoji(w, sent.id, w.bob.id)).toEqual([]);
  });

  it("refuses a user who sees a PUBLIC channel without being its member", async ({ expect }) => {
    const w = await world("PUBLIC");
    const sent = await send(w.scope, w.channel.id, w.alice.id, "public");
    expect(await errorOf(react(w.scope, w.outsider.id, sent.id, "👍"))).toBe("NotAChannelMemberError");
    expect(await storedEmoji(w, sent.id, w.outsider.id)).toEqual([]);
  });

  it("does not find unknown ids, another application's messages, a PRIVATE channel's for an outsider, or hidden ones", async ({
    expect,
  }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    const theirs = await send(other.scope, other.channel.id, other.alice.id, "other app");
    expect(await errorOf(react(w.scope, w.alice.id, 987_654_321, "👍"))).toBe("MessageNotFoundError");
    // Their member's own id, under this application's scope.
    expect(await errorOf(react(w.scope, other.alice.id, theirs.id, "👍"))).toBe("MessageNotFoundError");
    const mine = await send(w.scope, w.channel.id, w.alice.id, "private");
    expect(await errorOf(react(w.scope, w.outsider.id, mine.id, "👍"))).toBe("MessageNotFoundError");
    await deleteMessageForMe(w.scope, w.bob.id, mine.id);
    expect(await errorOf(react(w.scope, w.bob.id, mine.id, "👍"))).toBe("MessageNotFoundError");
    expect(await w.d.select().from(messageReactions).where(eq(messageReactions.messageId, theirs.id))).toEqual([]);
    expect(await w.d.select().from(messageReactions).where(eq(messageReactions.messageId, mine.id))).toEqual([]);
  });

  it("does not find a message before the user's cleared-history mark, or one from a user they blocked", async ({ expect }) => {
    const w = await world();
    const old = await send(w.scope, w.channel.id, w.alice.id, "old");
    await w.d
      .update(channelMembers)
      .set({ clearedThroughId: old.id })
      .where(and(eq(channelMembers.channelId, w.channel.id), eq(channelMembers.userId, w.bob.id)));
    expect(await errorOf(react(w.scope, w.bob.id, old.id, "👍"))).toBe("MessageNotFoundError");
    const fresh = await send(w.scope, w.channel.id, w.alice.id, "fresh");
    await w.d.insert(userBlocks).values({ applicationId: w.app.id, userId: w.creator.id, blockedUserId: w.alice.id });
    expect(await errorOf(react(w.scope, w.creator.id, fresh.id, "👍"))).toBe("MessageNotFoundError");
    await react(w.scope, w.bob.id, fresh.id, "👍");
  });
});

describe("removeReaction", () => {
  it("takes back the user's reaction, answering it as it was, in either spelling", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.alice.id, "hi");
    const added = await react(w.scope, w.bob.id, sent.id, "👍");
    await react(w.scope, w.bob.id, sent.id, "😂");
    const removed = await removeReaction(w.scope, w.bob.id, sent.id, ":+1:");
    expect(removed.reaction).toEqual(added.reaction);
    expect(removed.message.id).toBe(sent.id);
    expect(removed.channel.id).toBe(w.channel.id);
    expect(await storedEmoji(w, sent.id, w.bob.id)).toEqual(["😂"]);
    await removeReaction(w.scope, w.bob.id, sent.id, "😂");
    expect(await storedEmoji(w, sent.id, w.bob.id)).toEqual([]);
    // Reacting again after taking it back is allowed.
    await react(w.scope, w.bob.id, sent.id, "👍");
  });

  it("refuses an emoji the user never reacted with, one another user reacted with, and a second removal", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.alice.id, "hi");
    expect(await errorOf(removeReaction(w.scope, w.bob.id, sent.id, "👍"))).toBe("ReactionNotFoundError");
    await react(w.scope, w.alice.id, sent.id, "👍");
    expect(await errorOf(removeReaction(w.scope, w.bob.id, sent.id, "👍"))).toBe("ReactionNotFoundError");
    // A skin tone is another emoji.
    expect(await errorOf(removeReaction(w.scope, w.alice.id, sent.id, "👍🏽"))).toBe("ReactionNotFoundError");
    await removeReaction(w.scope, w.alice.id, sent.id, "👍");
    expect(await errorOf(removeReaction(w.scope, w.alice.id, sent.id, "👍"))).toBe("ReactionNotFoundError");
  });

  it("removes once when the same removal is sent at the same time", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.alice.id, "hi");
    await react(w.scope, w.bob.id, sent.id, "🚀");
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => removeReaction(w.scope, w.bob.id, sent.id, "🚀")));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ error: "ReactionNotFoundError" });
  });

  it("refuses invalid emoji, and does not find unknown, another application's or invisible messages", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    const sent = await send(w.scope, w.channel.id, w.alice.id, "hi");
    await react(w.scope, w.bob.id, sent.id, "👍");
    expect(await errorOf(removeReaction(w.scope, w.bob.id, sent.id, "thumbs up"))).toBe("InvalidEmojiError");
    expect(await errorOf(removeReaction(w.scope, w.bob.id, 987_654_321, "👍"))).toBe("MessageNotFoundError");
    const theirs = await send(other.scope, other.channel.id, other.alice.id, "other");
    await react(other.scope, other.alice.id, theirs.id, "👍");
    expect(await errorOf(removeReaction(w.scope, other.alice.id, theirs.id, "👍"))).toBe("MessageNotFoundError");
    expect(await storedEmoji(other, theirs.id, other.alice.id)).toEqual(["👍"]);
    expect(await errorOf(removeReaction(w.scope, w.outsider.id, sent.id, "👍"))).toBe("MessageNotFoundError");
    expect(await storedEmoji(w, sent.id, w.bob.id)).toEqual(["👍"]);
  });

  it("lets a former member take back a reaction on a PUBLIC channel's message", async ({ expect }) => {
    const w = await world("PUBLIC");
    const sent = await send(w.scope, w.channel.id, w.alice.id, "hi");
    await react(w.scope, w.bob.id, sent.id, "👍");
    await w.d.delete(channelMembers).where(and(eq(channelMembers.channelId, w.channel.id), eq(channelMembers.userId, w.bob.id)));
    expect(await errorOf(react(w.scope, w.bob.id, sent.id, "😂"))).toBe("NotAChannelMemberError");
    await removeReaction(w.scope, w.bob.id, sent.id, "👍");
    expect(await storedEmoji(w, sent.id, w.bob.id)).toEqual([]);
  });
});

describe("listReactions", () => {
  it("pages a message's reactions oldest first with the total, and an offset past the end is empty", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.alice.id, "hi");
    const order: [number, string][] = [
      [w.bob.id, "👍"],
      [w.alice.id, "😂"],
      [w.creator.id, "🇫🇷"],
      [w.bob.id, "👨‍👩‍👧"],
      [w.moderator.id, "❤"],
    ];
    for (const [userId, emoji] of order) {
      await react(w.scope, userId, sent.id, emoji);
      await tick();
    }
    const all = await listReactions(w.d, w.app.id, sent.id, 0, 10);
    expect(all.total).toBe(5);
    expect(all.rows.map((r) => [r.user.id, r.emoji.character])).toEqual(order.map(([u, e]) => [u, e === "❤" ? "❤️" : e]));
    expect(all.rows.every((r) => r.messageId === sent.id && r.createdAt instanceof Date)).toBe(true);
    expect(all.rows[0]?.emoji).toMatchObject({ description: "thumbs up" });
    const page = await listReactions(w.d, w.app.id, sent.id, 2, 2);
    expect(page.total).toBe(5);
    expect(page.rows.map((r) => r.emoji.character)).toEqual(["🇫🇷", "👨‍👩‍👧"]);
    expect(await listReactions(w.d, w.app.id, sent.id, 5, 10)).toEqual({ rows: [], total: 5 });
  });

  it("is empty for a message without reactions, an unknown one and another application's", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    const sent = await send(w.scope, w.channel.id, w.alice.id, "hi");
    const theirs = await send(other.scope, other.channel.id, other.alice.id, "other");
    await react(other.scope, other.alice.id, theirs.id, "👍");
    expect(await listReactions(w.d, w.app.id, sent.id, 0, 10)).toEqual({ rows: [], total: 0 });
    expect(await listReactions(w.d, w.app.id, 987_654_321, 0, 10)).toEqual({ rows: [], total: 0 });
    expect(await listReactions(w.d, w.app.id, theirs.id, 0, 10)).toEqual({ rows: [], total: 0 });
    expect((await listReactions(other.d, other.app.id, theirs.id, 0, 10)).total).toBe(1);
  });
});

describe("reactionSummaries", () => {
  it("gives one entry per emoji with its count and users, emoji in first-use order, and no entry for messages without reactions", async ({
    expect,
  }) => {
    const w = await world();
    const a = await send(w.scope, w.channel.id, w.alice.id, "a");
    const b = await send(w.scope, w.channel.id, w.alice.id, "b");
    const quiet = await send(w.scope, w.channel.id, w.alice.id, "quiet");
    for (const [user, emoji] of [
      [w.bob, "😂"],
      [w.alice, ":+1:"],
      [w.creator, "😂"],
      [w.moderator, "👍"],
    ] as const) {
      await react(w.scope, user.id, a.id, emoji);
      await tick();
    }
    await react(w.scope, w.bob.id, b.id, "🦄");
    const summaries = await reactionSummaries(w.d, w.app.id, [a.id, b.id, quiet.id]);
    expect([...summaries.keys()].sort()).toEqual([a.id, b.id].sort());
    expect(summaries.get(a.id)?.map((s) => [s.emoji.character, s.count, s.users.map((u) => u.id)])).toEqual([
      ["😂", 2, [w.bob.id, w.creator.id]],
      ["👍", 2, [w.alice.id, w.moderator.id]],
    ]);
    expect(summaries.get(a.id)?.[1]?.emoji).toMatchObject({ aliases: ["+1", "thumbsup"] });
    expect(summaries.get(b.id)).toEqual([
      { emoji: { character: "🦄", description: "", aliases: [], tags: [] }, count: 1, users: [expect.objectContaining({ id: w.bob.id })] },
    ]);
    expect(summaries.has(quiet.id)).toBe(false);
  });

  it("drops an emoji whose last reaction was taken back", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.alice.id, "a");
    await react(w.scope, w.bob.id, sent.id, "👍");
    await react(w.scope, w.bob.id, sent.id, "😂");
    await removeReaction(w.scope, w.bob.id, sent.id, "👍");
    expect((await reactionSummaries(w.d, w.app.id, [sent.id])).get(sent.id)?.map((s) => s.emoji.character)).toEqual(["😂"]);
    await removeReaction(w.scope, w.bob.id, sent.id, "😂");
    expect((await reactionSummaries(w.d, w.app.id, [sent.id])).size).toBe(0);
  });

  it("lists at most SUMMARY_USERS_PER_EMOJI users per emoji, the first to react, while counting all", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.alice.id, "popular");
    const reactors = await members(w, SUMMARY_USERS_PER_EMOJI + 3);
    for (const u of reactors) await react(w.scope, u.id, sent.id, "🎉");
    const [entry] = (await reactionSummaries(w.d, w.app.id, [sent.id])).get(sent.id) ?? [];
    expect(entry?.count).toBe(SUMMARY_USERS_PER_EMOJI + 3);
    expect(entry?.users.map((u) => u.id)).toEqual(reactors.slice(0, SUMMARY_USERS_PER_EMOJI).map((u) => u.id));
  });

  it("works for more message ids than one statement may bind, with duplicates, and for none", async ({ expect }) => {
    const w = await world();
    const values = Array.from({ length: 250 }, (_, i) => ({
      applicationId: w.app.id,
      channelId: w.channel.id,
      userId: w.alice.id,
      type: "TEXT" as const,
      body: `m${i}`,
    }));
    const [first, ...rest] = values.map((v) => w.d.insert(messages).values(v).returning({ id: messages.id }));
    if (!first) throw new Error("unreachable");
    const ids = (await w.d.batch([first, ...rest])).map(([row]) => row?.id ?? 0);
    // Every third message gets a reaction, in each chunk of ids.
    const reacted = ids.filter((_, i) => i % 3 === 0);
    const [r0, ...rs] = reacted.map((messageId, i) =>
      w.d.insert(messageReactions).values({ applicationId: w.app.id, messageId, userId: i % 2 ? w.bob.id : w.alice.id, emoji: "👍" }),
    );
    if (!r0) throw new Error("unreachable");
    await w.d.batch([r0, ...rs]);
    const summaries = await reactionSummaries(w.d, w.app.id, [...ids, ...ids.slice(0, 120)]);
    expect(summaries.size).toBe(reacted.length);
    for (const id of reacted) expect(summaries.get(id)?.map((s) => s.count)).toEqual([1]);
    expect(summaries.get(ids[1] ?? 0)).toBeUndefined();
    // The last id (249) is the 84th reacted message (index 83, odd): bob's.
    expect(summaries.get(ids[249] ?? 0)?.[0]?.users.map((u) => u.id)).toEqual([w.bob.id]);
    expect((await reactionSummaries(w.d, w.app.id, [])).size).toBe(0);
  });

  it("never counts another application's reactions", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    const theirs = await send(other.scope, other.channel.id, other.alice.id, "other");
    await react(other.scope, other.alice.id, theirs.id, "👍");
    expect((await reactionSummaries(w.d, w.app.id, [theirs.id])).size).toBe(0);
    expect((await reactionSummaries(other.d, other.app.id, [theirs.id])).get(theirs.id)?.[0]?.count).toBe(1);
  });
});
