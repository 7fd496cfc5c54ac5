/**
 * Threads as the unmodified `chatkitty@1.58.2` meets them (spec stompx-current §10): a standalone
 * thread created, listed, written to and traced back to its channel. The SDK never subscribes to
 * thread topics (§10.3), so thread messages are checked by fetching. Sessions: `useCurrentSdk()`.
 */
import { describe, it } from "vitest";
import { listAll, ok, sharedChannel, startUsers, useCurrentSdk } from "./sdk-current";
import { unique } from "./wait";

useCurrentSdk();

describe("threads", () => {
  it("createThread, getThreads({standalone}), sendMessage({thread}), getThreadChannel", async ({ expect }) => {
    const [a, b] = await startUsers("alice", "bob");
    const { channel, as } = await sharedChannel(a, b);
    const name = unique("side ☃");
    const thread = (await ok("createThread", a.kitty.createThread({ channel, name, properties: { n: 1 } }))).thread;
    expect(thread).toMatchObject({ type: "STANDALONE", name, properties: { n: 1 } });

    const listed = await listAll("getThreads standalone", b.kitty.getThreads({ channel: as(b), filter: { standalone: true } }));
    expect(listed.map((t) => t.name)).toEqual([name]);
    const seen = listed[0];

    const message = (await ok("sendMessage({thread})", b.kitty.sendMessage({ thread: seen, body: "in the thread" }))).message;
    expect(message).toMatchObject({ body: "in the thread", user: { id: b.user.id } });
    const all = await listAll("getMessages (all)", a.kitty.getMessages({ channel }));
    expect(all.map((m) => m.body)).toContain("in the thread");
    const main = await listAll("getMessages mainThread", a.kitty.getMessages({ channel, filter: { mainThread: true } }));
    expect(main.map((m) => m.body)).not.toContain("in the thread");

    expect((await ok("getThreadChannel", a.kitty.getThreadChannel({ thread }))).channel.id).toBe(channel.id);
  });
});
