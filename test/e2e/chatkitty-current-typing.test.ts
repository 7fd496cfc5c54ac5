/**
 * Typing as the unmodified `chatkitty@1.58.2` meets it (spec stompx-current §7): keystrokes reach
 * the other participants, typing starts on the first non-empty keys and stops when the typist
 * sends a message or stays idle for about 5 s. Sessions and sockets: `useCurrentSdk()`.
 */
import { describe, it } from "vitest";
import { openChat, send, sharedChannel, startUsers, useCurrentSdk } from "./sdk-current";
import { sleep, until } from "./wait";

useCurrentSdk();

describe("typing", () => {
  it("sendKeystrokes → the other's onReceivedKeystrokes and onTypingStarted; a message stops it; nothing echoes to the typist", async ({
    expect,
  }) => {
    const [a, b] = await startUsers("alice", "bob");
    const { channel, as } = await sharedChannel(a, b);
    const chatA = await openChat(a, channel);
    const chatB = await openChat(b, as(b));
    a.kitty.sendKeystrokes({ channel, keys: "hel" });
    await until("bob's onReceivedKeystrokes", () => chatB.keystrokes.some((k) => k.keys === "hel"));
    expect(chatB.keystrokes.at(-1)).toMatchObject({ username: a.name, keys: "hel" });
    await until("bob's onTypingStarted", () => chatB.typingStarted.some((u) => u.id === a.user.id));
    await send(a, channel, "hello");
    await until("bob's onTypingStopped after the message", () => chatB.typingStopped.some((u) => u.id === a.user.id));
    await sleep(200);
    expect(chatA.keystrokes, "not echoed to the typist").toEqual([]);
    expect(chatA.typingStarted).toEqual([]);
  });

  it("typing stops by itself after about 5 s without keystrokes", async ({ expect }) => {
    const [a, b] = await startUsers("alice", "bob");
    const { channel, as } = await sharedChannel(a, b);
    const chatB = await openChat(b, as(b));
    a.kitty.sendKeystrokes({ channel, keys: "thinking…" });
    await until("bob's onTypingStarted", () => chatB.typingStarted.length === 1);
    const started = Date.now();
    await until(
      "bob's onTypingStopped while idle",
      () => chatB.typingStopped.length === 1,
      () => chatB.typingStopped,
      12_000,
    );
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThan(3000);
    expect(chatB.typingStopped[0]).toMatchObject({ id: a.user.id });
  }, 30_000);
});
