/**
 * Reactions as the unmodified `chatkitty@1.58.2` meets them (spec stompx-current §9): a Unicode
 * emoji and a `:shortcode:`, the live added/removed callbacks (with the message as relayed after
 * the change), listing, removing, and a duplicate. Sessions and sockets: `useCurrentSdk()`.
 */
import { describe, it } from "vitest";
import { failure, listAll, ok, openChat, received, send, sharedChannel, startUsers, useCurrentSdk } from "./sdk-current";
import { until } from "./wait";

useCurrentSdk();

describe("reactions", () => {
  it("👍 and :joy: → onMessageReactionAdded with the updated message; getReactions; removeReaction; duplicate → failed", async ({
    expect,
  }) => {
    const [a, b] = await startUsers("alice", "bob");
    const { channel, as } = await sharedChannel(a, b);
    const chatA = await openChat(a, channel);
    await openChat(b, as(b));
    const message = await send(a, channel, "react to me");
    const seen = (await received(chatA, "alice", "react to me")).message;

    const thumbs = (await ok("react 👍", b.kitty.reactToMessage({ message: seen, emoji: "👍" }))).reaction;
    expect(thumbs).toMatchObject({ emoji: { character: "👍" }, user: { id: b.user.id } });
    await until("alice's onMessageReactionAdded 👍", () => chatA.reactionsAdded.some((r) => r.reaction.emoji?.character === "👍"));
    const added = chatA.reactionsAdded.find((r) => r.reaction.emoji?.character === "👍")!;
    expect(added.message.id).toBe(message.id);
    expect(added.message.reactions).toEqual([expect.objectContaining({ emoji: expect.objectContaining({ character: "👍" }), count: 1 })]);

    const joy = (await ok("react :joy:", b.kitty.reactToMessage({ message: seen, emoji: ":joy:" }))).reaction;
    expect(joy.emoji.character).toBe("😂");
    const listed = await listAll("getReactions", a.kitty.getReactions({ message: seen }));
    expect(listed.map((r) => r.emoji.character).sort()).toEqual(["👍", "😂"].sort());

    expect((await failure("react 👍 again", b.kitty.reactToMessage({ message: seen, emoji: "👍" }))).error).toBe("DuplicateReactionError");

    const removed = (await ok("removeReaction 👍", b.kitty.removeReaction({ message: seen, emoji: "👍" }))).reaction;
    expect(removed.emoji.character).toBe("👍");
    await until("alice's onMessageReactionRemoved", () => chatA.reactionsRemoved.length === 1);
    const after = chatA.reactionsRemoved[0]!.message;
    expect(after.reactions.map((r: any) => r.emoji.character)).toEqual(["😂"]);
    expect((await failure("remove 👍 again", b.kitty.removeReaction({ message: seen, emoji: "👍" }))).error).toBe("ReactionNotFoundError");
  });
});
