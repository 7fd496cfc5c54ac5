/**
 * Group channels as the official, unmodified ChatKitty JS SDK (`chatkitty@1.1.1`) meets them, in
 * Node against `npm run dev`: createChannel (PUBLIC, PRIVATE with members, OPEN; invalid
 * requests), getChannels and getJoinableChannels, getChannel as each viewer sees it (another
 * user's PRIVATE channel refused), joinChannel, and the members and users of a channel.
 *
 * Every SDK promise can hang forever on a server bug, so each await goes through `step()`; the
 * sessions, sockets and log silencing are set up by `useSdk()` (./sdk.ts). The server state is
 * shared by the whole e2e run: names are unique per test.
 */
import { describe, it } from "vitest";
import { allItems, api, appUrl, channelsOf, createChannel, joinableOf, startUser, useSdk } from "./sdk";
import { rejection, sleep, step, unique, until } from "./wait";

useSdk();

describe("channels", () => {
  it("createChannel PUBLIC, PRIVATE with members, and OPEN", async ({ expect }) => {
    const [a, b] = await Promise.all([startUser("alice"), startUser("bob")]);
    const pub = await createChannel(a, { type: "PUBLIC", name: unique("public") });
    const priv = await createChannel(a, { type: "PRIVATE", name: unique("private"), members: [{ id: b.user.id }] });
    const open = await createChannel(a, { type: "OPEN", name: unique("open") });
    for (const [channel, type] of [
      [pub, "PUBLIC"],
      [priv, "PRIVATE"],
      [open, "OPEN"],
    ] as const) {
      expect(channel.type).toBe(type);
      expect(Number.isSafeInteger(channel.id)).toBe(true);
      expect(channel._actions.join, `${type}: the creator is a member`).toBeUndefined();
      expect(typeof channel._relays.members, `${type} is a group channel`).toBe("string");
      expect(channel._topics.self).not.toBe(channel._topics.messages);
      for (const key of ["message", "read"]) expect(typeof channel._actions[key], `${type} _actions.${key}`).toBe("string");
      for (const key of ["messages", "unread"]) expect(typeof channel._relays[key], `${type} _relays.${key}`).toBe("string");
      expect(typeof channel._streams.messages).toBe("string");
    }
    // The invited member has the PRIVATE channel among their channels, the creator has all three.
    const bobs = (await channelsOf(b)).map((c) => c.id);
    expect(bobs).toContain(priv.id);
    expect(bobs).not.toContain(pub.id);
    const alices = (await channelsOf(a)).map((c) => c.id);
    expect(alices).toEqual(expect.arrayContaining([pub.id, priv.id, open.id]));
    // And the Platform API sees them.
    for (const channel of [pub, priv, open])
      expect((await api("GET", `${appUrl()}/channels/${channel.id}`)).body).toMatchObject({ type: channel.type, name: channel.name });
  });

  it("an invalid createChannel → CreateChannelFailedResult with error.type", async ({ expect }) => {
    const a = await startUser("alice");
    const blank = await step("createChannel with a blank name", a.kitty.createChannel({ type: "PUBLIC", name: "   " }));
    expect(blank.succeeded).toBe(false);
    expect(blank.failed).toBe(true);
    expect(blank.error.type).toBe("InvalidChannelNameError");
    expect(typeof blank.error.message).toBe("string");
    const badType = await step("createChannel with an unknown type", a.kitty.createChannel({ type: "SECRET", name: "x" }));
    expect(badType.failed).toBe(true);
    expect(badType.error.type).toMatch(/Error$/);
    const noSuchMember = await step(
      "createChannel with an unknown member",
      a.kitty.createChannel({ type: "PRIVATE", name: "x", members: [{ id: 9_007_199_254_740_991 }] }),
    );
    expect(noSuchMember.failed).toBe(true);
    // Nothing was created: the next successful channel is still fine and the failed names are not among ours.
    const names = (await channelsOf(a)).map((c) => c.name);
    expect(names).not.toContain("   ");
    expect(names).not.toContain("x");
  });

  it("getChannels lists member channels; getJoinableChannels lists others' PUBLIC channels with join, never others' PRIVATE ones", async ({
    expect,
  }) => {
    const [a, b] = await Promise.all([startUser("alice"), startUser("bob")]);
    const pub = await createChannel(a, { type: "PUBLIC", name: unique("public") });
    const priv = await createChannel(a, { type: "PRIVATE", name: unique("private") });

    const aChannels = await channelsOf(a);
    expect(aChannels.map((c) => c.id)).toEqual(expect.arrayContaining([pub.id, priv.id]));
    for (const c of aChannels) expect(c._actions.join, `member channel ${c.name} has no join`).toBeUndefined();
    expect((await channelsOf(b)).map((c) => c.id)).not.toContain(pub.id);

    const joinable = await joinableOf(b);
    const listed = joinable.find((c) => c.id === pub.id);
    expect(listed, "alice's PUBLIC channel is joinable for bob").toBeDefined();
    expect(typeof listed._actions.join).toBe("string");
    expect(joinable.map((c) => c.id)).not.toContain(priv.id);
    expect(
      joinable.filter((c) => c.type === "PRIVATE"),
      "no PRIVATE channel is ever joinable",
    ).toEqual([]);
    for (const c of joinable) expect(typeof c._actions.join, `joinable ${c.name} has join`).toBe("string");
    // Alice's own channels are not joinable for her.
    expect((await joinableOf(a)).map((c) => c.id)).not.toContain(pub.id);
  });

  it("getChannel(id) answers the channel as the viewer sees it; another user's PRIVATE channel is refused", async ({ expect }) => {
    const [a, b] = await Promise.all([startUser("alice"), startUser("bob")]);
    const pub = await createChannel(a, { type: "PUBLIC", name: unique("public") });
    const priv = await createChannel(a, { type: "PRIVATE", name: unique("private") });
    const asAlice = (await step("getChannel by alice", a.kitty.getChannel(pub.id))).channel;
    expect(asAlice).toMatchObject({ id: pub.id, type: "PUBLIC", name: pub.name });
    expect(asAlice._actions.join).toBeUndefined();
    const asBob = (await step("getChannel by bob", b.kitty.getChannel(pub.id))).channel;
    expect(asBob).toMatchObject({ id: pub.id, name: pub.name });
    expect(typeof asBob._actions.join).toBe("string");
    expect((await step("getChannel PRIVATE by alice", a.kitty.getChannel(priv.id))).channel).toMatchObject({
      id: priv.id,
      type: "PRIVATE",
    });

    // 1.1.1 cannot resolve a failed relay (it hangs); the server must answer on the errors queue, not with the channel.
    let leaked: any;
    void b.kitty.getChannel(priv.id).then((r: any) => (leaked = r));
    const [socket] = b.sockets();
    const relay = `destination:/application/v1/channels/${priv.id}.relay`;
    await until("bob's SUBSCRIBE to the PRIVATE channel's relay", () =>
      socket!.sent.some((f) => f.startsWith("SUBSCRIBE\n") && f.includes(relay)),
    );
    const sid = /\nid:([^\n]+)/.exec(socket!.sent.find((f) => f.includes(relay))!)![1];
    await until(
      `an errors-queue MESSAGE with subscription-id:${sid}`,
      () => socket!.received.some((f) => f.includes("destination:/user/queue/v1/errors") && f.includes(`subscription-id:${sid}\n`)),
      () => socket!.received.slice(-3),
    );
    await sleep(200);
    expect(leaked, "bob must not get alice's PRIVATE channel").toBeUndefined();
    expect(
      socket!.received.filter((f) => f.includes(`subscription:${sid}\n`)),
      "no relay answer",
    ).toEqual([]);
  });

  it("joinChannel joins a PUBLIC channel (idempotently); a channel without _actions.join rejects client-side", async ({ expect }) => {
    const [a, b] = await Promise.all([startUser("alice"), startUser("bob")]);
    const pub = await createChannel(a, { type: "PUBLIC", name: unique("public") });
    const priv = await createChannel(a, { type: "PRIVATE", name: unique("private") });
    const offered = (await joinableOf(b)).find((c) => c.id === pub.id);
    expect(offered).toBeDefined();
    const joined = await step("joinChannel", b.kitty.joinChannel({ channel: offered }));
    expect(joined.succeeded).toBe(true);
    expect(joined.channel).toMatchObject({ id: pub.id, name: pub.name });
    expect(joined.channel._actions.join, "a joined channel has no join").toBeUndefined();
    expect((await channelsOf(b)).map((c) => c.id)).toContain(pub.id);
    expect((await joinableOf(b)).map((c) => c.id)).not.toContain(pub.id);
    const members = await allItems("getUsers", (await step("getUsers", b.kitty.getUsers({ channel: joined.channel }))).paginator);
    expect(members.map((u: any) => u.id)).toEqual(expect.arrayContaining([a.user.id, b.user.id]));

    // Joining again with the stale object (it still has join) succeeds.
    const again = await step("joinChannel again", b.kitty.joinChannel({ channel: offered }));
    expect(again.channel.id).toBe(pub.id);

    const [socket] = b.sockets();
    const sentBefore = socket!.sent.length;
    for (const [channel, what] of [
      [joined.channel, "an already joined channel"],
      [priv, "alice's PRIVATE channel"],
    ] as const) {
      const error = await rejection(`joinChannel on ${what}`, b.kitty.joinChannel({ channel }));
      expect(error.type, what).toBe("ChannelNotPubliclyJoinableChatKittyError");
    }
    expect(socket!.sent.slice(sentBefore), "rejected client-side: nothing sent").toEqual([]);
  });

  it("getUsers({channel}) lists the members; getUser(id) and getUser({id}) answer a user", async ({ expect }) => {
    const [a, b, c] = await Promise.all([startUser("alice"), startUser("bob"), startUser("carol")]);
    const priv = await createChannel(a, { type: "PRIVATE", name: unique("trio"), members: [{ id: b.user.id }, { id: c.user.id }] });
    const outsider = await startUser("dave");
    const result = await step("getUsers", a.kitty.getUsers({ channel: priv }));
    const members = await allItems("getUsers", result.paginator);
    expect(members.map((u: any) => u.name).sort()).toEqual([a.name, b.name, c.name].sort());
    expect(members.map((u: any) => u.id)).not.toContain(outsider.user.id);
    for (const u of members) expect(u).toMatchObject({ id: expect.any(Number), name: expect.any(String), displayName: expect.any(String) });

    expect((await step("getUser(id)", b.kitty.getUser(c.user.id))).user).toMatchObject({ id: c.user.id, name: c.name });
    expect((await step("getUser({id})", b.kitty.getUser({ id: a.user.id }))).user).toMatchObject({ id: a.user.id, name: a.name });
  });
});
