/**
 * Editing and deleting messages, and finding a reply's parent (src/chat/message-changes.ts),
 * called directly against the real D1: who may do what, bodies that are refused, and that
 * another application's ids are never found.
 */
import { eq } from "drizzle-orm";
import { describe, it } from "vitest";
import { LIMITS } from "../../src/config";
import { messageReactions, messages } from "../../src/db/schema";
import { deleteMessageForEveryone, deleteMessageForMe, editMessage, replyTarget } from "../../src/chat/message-changes";
import { postUserMessage } from "../../src/chat/messages";
import { insertChannel } from "../../src/chat/queries/channels";
import { addMember } from "../../src/chat/queries/members";
import { listReplies, listVisibleMessages } from "../../src/chat/queries/message-views";
import { findMessage } from "../../src/chat/queries/messages";
import { errorOf } from "./chat-error";
import { send, world } from "./message-fixture";

describe("editMessage", () => {
  it("lets the sender replace the text of their TEXT message, keeping unicode intact and setting lastEditedAt", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.alice.id, "hello");
    const body = "héllo ☃ 👍🏽 👨‍👩‍👧 𝔘";
    const edited = await editMessage(w.scope, w.alice.id, sent.id, body);
    expect(edited).toMatchObject({ id: sent.id, body, type: "TEXT", userId: w.alice.id, user: { id: w.alice.id } });
    expect(edited.lastEditedAt).toBeInstanceOf(Date);
    expect((await findMessage(w.d, w.app.id, sent.id))?.body).toBe(body);
  });

  it("accepts a body of exactly the limit and refuses one unit more, an empty one and a non-string", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.alice.id, "hello");
    // An emoji is two UTF-16 units: the limit counts units, as sending does.
    const atLimit = "👍".repeat(LIMITS.messageBodyLength / 2);
    expect((await editMessage(w.scope, w.alice.id, sent.id, atLimit)).body).toBe(atLimit);
    expect(await errorOf(editMessage(w.scope, w.alice.id, sent.id, `${atLimit}x`))).toBe("InvalidMessageError");
    expect(await errorOf(editMessage(w.scope, w.alice.id, sent.id, ""))).toBe("InvalidMessageError");
    expect(await errorOf(editMessage(w.scope, w.alice.id, sent.id, 42))).toBe("InvalidMessageError");
    expect((await findMessage(w.d, w.app.id, sent.id))?.body).toBe(atLimit);
  });

  it("refuses anyone but the sender, the channel's creator and moderators included", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.alice.id, "mine");
    for (const other of [w.bob, w.creator, w.moderator]) {
      // Stand-in name until errors.ts has AccessDeniedError.
      expect(await errorOf(editMessage(w.scope, other.id, sent.id, "theirs"))).toBe("AccessDeniedError");
    }
    expect((await findMessage(w.d, w.app.id, sent.id))?.body).toBe("mine");
  });

  it("refuses non-TEXT messages: the sender's FILE message and system messages", async ({ expect }) => {
    const w = await world();
    const file = await w.d
      .insert(messages)
      .values({
        applicationId: w.app.id,
        channelId: w.channel.id,
        userId: w.alice.id,
        type: "FILE",
        file: { type: "EXTERNAL", url: "https://example.test/a.png", name: "a.png", contentType: "image/png", size: 1 },
      })
      .returning()
      .get();
    expect(await errorOf(editMessage(w.scope, w.alice.id, file.id, "text"))).toBe("InvalidMessageError");
    const system = await send(w.scope, w.channel.id, null, "system");
    expect(await errorOf(editMessage(w.scope, w.alice.id, system.id, "text"))).toBe("AccessDeniedError");
  });

  it("does not find unknown ids, another application's messages, or a PRIVATE channel's messages for a non-member", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    const theirs = await send(other.scope, other.channel.id, other.alice.id, "other app");
    expect(await errorOf(editMessage(w.scope, w.alice.id, 987_654_321, "x"))).toBe("MessageNotFoundError");
    // Their sender's own id, under this application's scope.
    expect(await errorOf(editMessage(w.scope, other.alice.id, theirs.id, "x"))).toBe("MessageNotFoundError");
    const mine = await send(w.scope, w.channel.id, w.alice.id, "private");
    expect(await errorOf(editMessage(w.scope, w.outsider.id, mine.id, "x"))).toBe("MessageNotFoundError");
    expect((await findMessage(other.d, other.app.id, theirs.id))?.body).toBe("other app");
  });
});

describe("deleteMessageForEveryone", () => {
  it("lets the sender, the channel's creator and a moderator delete, returning the message as it was", async ({ expect }) => {
    const w = await world();
    for (const deleter of [w.alice, w.creator, w.moderator]) {
      const sent = await send(w.scope, w.channel.id, w.alice.id, `by ${deleter.name} ☃`);
      const { message, channel } = await deleteMessageForEveryone(w.scope, deleter.id, sent.id);
      expect(message).toMatchObject({ id: sent.id, body: `by ${deleter.name} ☃`, user: { id: w.alice.id } });
      expect(channel.id).toBe(w.channel.id);
      expect(await findMessage(w.d, w.app.id, sent.id)).toBeUndefined();
    }
  });

  it("refuses another member, and does not find the message for an outsider of a PRIVATE channel", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.alice.id, "stay");
    expect(await errorOf(deleteMessageForEveryone(w.scope, w.bob.id, sent.id))).toBe("AccessDeniedError");
    expect(await errorOf(deleteMessageForEveryone(w.scope, w.outsider.id, sent.id))).toBe("MessageNotFoundError");
    expect(await findMessage(w.d, w.app.id, sent.id)).toBeDefined();
  });

  it("refuses a user of the application who sees a PUBLIC channel without being its member", async ({ expect }) => {
    const w = await world("PUBLIC");
    const sent = await send(w.scope, w.channel.id, w.alice.id, "public");
    expect(await errorOf(deleteMessageForEveryone(w.scope, w.outsider.id, sent.id))).toBe("AccessDeniedError");
  });

  it("keeps the replies, and takes the message's reactions with it; a second delete finds nothing", async ({ expect }) => {
    const w = await world();
    const parent = await send(w.scope, w.channel.id, w.alice.id, "parent");
    const reply = await send(w.scope, w.channel.id, w.bob.id, "reply", { parentId: parent.id });
    await w.d.insert(messageReactions).values({ applicationId: w.app.id, messageId: parent.id, userId: w.bob.id, emoji: "👍" });
    await deleteMessageForEveryone(w.scope, w.alice.id, parent.id);
    expect((await findMessage(w.d, w.app.id, reply.id))?.parentId).toBe(parent.id);
    expect(await w.d.select().from(messageReactions).where(eq(messageReactions.messageId, parent.id))).toEqual([]);
    expect(await errorOf(deleteMessageForEveryone(w.scope, w.alice.id, parent.id))).toBe("MessageNotFoundError");
  });

  it("never deletes another application's message", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    const theirs = await send(other.scope, other.channel.id, other.alice.id, "other app");
    expect(await errorOf(deleteMessageForEveryone(w.scope, other.alice.id, theirs.id))).toBe("MessageNotFoundError");
    expect(await findMessage(other.d, other.app.id, theirs.id)).toBeDefined();
  });
});

describe("deleteMessageForMe", () => {
  it("hides the message from that user only, and doing it twice answers the same", async ({ expect }) => {
    const w = await world();
    const sent = await send(w.scope, w.channel.id, w.bob.id, "👋 hi");
    const first = await deleteMessageForMe(w.scope, w.alice.id, sent.id);
    const again = await deleteMessageForMe(w.scope, w.alice.id, sent.id);
    expect(first.message.id).toBe(sent.id);
    expect(again).toEqual(first);
    const page = (viewerId: number) => listVisibleMessages(w.d, w.app.id, viewerId, w.channel.id, { limit: 10 });
    expect((await page(w.alice.id)).map((m) => m.id)).toEqual([]);
    expect((await page(w.bob.id)).map((m) => m.id)).toEqual([sent.id]);
    expect((await page(w.creator.id)).map((m) => m.id)).toEqual([sent.id]);
    // Hidden, not deleted: editing it is answered as for any message they no longer see.
    expect(await errorOf(editMessage(w.scope, w.alice.id, sent.id, "x"))).toBe("MessageNotFoundError");
  });

  it("works on one's own messages and on system messages", async ({ expect }) => {
    const w = await world();
    const own = await send(w.scope, w.channel.id, w.alice.id, "mine");
    const system = await send(w.scope, w.channel.id, null, "system");
    await deleteMessageForMe(w.scope, w.alice.id, own.id);
    await deleteMessageForMe(w.scope, w.alice.id, system.id);
    expect(await listVisibleMessages(w.d, w.app.id, w.alice.id, w.channel.id, { limit: 10 })).toEqual([]);
    expect(await listVisibleMessages(w.d, w.app.id, w.bob.id, w.channel.id, { limit: 10 })).toHaveLength(2);
  });

  it("does not find a message of a channel the user cannot see, or of another application", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    const sent = await send(w.scope, w.channel.id, w.alice.id, "private");
    const theirs = await send(other.scope, other.channel.id, other.alice.id, "other app");
    expect(await errorOf(deleteMessageForMe(w.scope, w.outsider.id, sent.id))).toBe("MessageNotFoundError");
    expect(await errorOf(deleteMessageForMe(w.scope, other.alice.id, theirs.id))).toBe("MessageNotFoundError");
    expect(await listVisibleMessages(other.d, other.app.id, other.alice.id, other.channel.id, { limit: 10 })).toHaveLength(1);
  });
});

describe("replies", () => {
  it("replyTarget gives the parent and its channel, and postUserMessage stores the reply with its parent", async ({ expect }) => {
    const w = await world();
    const parent = await send(w.scope, w.channel.id, w.alice.id, "question?");
    const target = await replyTarget(w.scope, w.bob.id, parent.id);
    expect(target.parent).toMatchObject({ id: parent.id, body: "question?", parentId: null });
    expect(target.channel.id).toBe(w.channel.id);
    const posted = await postUserMessage(w.scope, target.channel, w.bob, { type: "TEXT", body: "answer ✓" }, { parent: target.parent });
    if (!("saved" in posted)) throw new Error("a PRIVATE channel's message is saved");
    expect(posted.saved).toMatchObject({ body: "answer ✓", parentId: parent.id, channelId: w.channel.id });
    expect((await listReplies(w.d, w.app.id, w.alice.id, parent.id, { limit: 10 })).map((m) => m.id)).toEqual([posted.saved.id]);
    // A message without a parent is stored as before.
    const plain = await postUserMessage(w.scope, w.channel, w.bob, { type: "TEXT", body: "plain" });
    expect("saved" in plain && plain.saved.parentId).toBeNull();
  });

  it("refuses a reply to another channel's message", async ({ expect }) => {
    const w = await world();
    const elsewhere = await insertChannel(w.d, w.app.id, "PRIVATE", "elsewhere");
    await addMember(w.d, w.app.id, elsewhere.id, w.alice.id);
    const parent = await send(w.scope, elsewhere.id, w.alice.id, "over there");
    const error = await errorOf(postUserMessage(w.scope, w.channel, w.alice, { type: "TEXT", body: "reply" }, { parent }));
    expect(error).toBe("InvalidMessageError");
    expect(await listVisibleMessages(w.d, w.app.id, w.alice.id, w.channel.id, { limit: 10 })).toEqual([]);
  });

  it("refuses a non-member of the parent's channel, and does not find another application's or an invisible parent", async ({ expect }) => {
    const w = await world("PUBLIC");
    const other = await world("PRIVATE", "h1-other");
    const parent = await send(w.scope, w.channel.id, w.alice.id, "public");
    expect(await errorOf(replyTarget(w.scope, w.outsider.id, parent.id))).toBe("NotAChannelMemberError");
    const theirs = await send(other.scope, other.channel.id, other.alice.id, "other app");
    expect(await errorOf(replyTarget(w.scope, other.alice.id, theirs.id))).toBe("MessageNotFoundError");
    expect(await errorOf(replyTarget(other.scope, other.outsider.id, theirs.id))).toBe("MessageNotFoundError");
    await deleteMessageForMe(w.scope, w.bob.id, parent.id);
    expect(await errorOf(replyTarget(w.scope, w.bob.id, parent.id))).toBe("MessageNotFoundError");
  });
});
