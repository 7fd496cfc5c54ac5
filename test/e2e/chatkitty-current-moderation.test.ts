/**
 * Moderation and the rest as the unmodified `chatkitty@1.58.2` meets them (spec stompx-current
 * §12–§14): mute, moderators, invites, blocking, custom events and an external display picture.
 * Sessions and sockets: `useCurrentSdk()`.
 */
import { describe, it } from "vitest";
import { createChannel, failure, listAll, ok, openChat, received, send, sharedChannel, startUsers, useCurrentSdk } from "./sdk-current";
import { sleep, until, unique } from "./wait";

useCurrentSdk();

describe("moderation", () => {
  it("muteChannel / unmuteChannel set muted; addChannelModerator; inviteUser → the invitee's onChannelJoined", async ({ expect }) => {
    const [a, b, c] = await startUsers("alice", "bob", "carol");
    const { channel } = await sharedChannel(a, b);
    expect((await ok("muteChannel", a.kitty.muteChannel({ channel }))).channel.muted).toBe(true);
    expect((await ok("unmuteChannel", a.kitty.unmuteChannel({ channel }))).channel.muted).toBe(false);
    expect((await ok("addChannelModerator", a.kitty.addChannelModerator({ channel, user: { username: b.name } }))).channel.id).toBe(
      channel.id,
    );

    const priv = await createChannel(a, { type: "PRIVATE", name: unique("invite-only") });
    const joinedC: any[] = [];
    c.kitty.onChannelJoined((ch: any) => joinedC.push(ch));
    const invited = (await ok("inviteUser", a.kitty.inviteUser({ channel: priv, user: { username: c.name } }))).user;
    expect(invited).toMatchObject({ id: c.user.id });
    await until("carol's onChannelJoined", () => joinedC.some((ch) => ch.id === priv.id));
  });

  it("a muted channel's notifications arrive with muted: true, and without it once unmuted", async ({ expect }) => {
    const [a, b] = await startUsers("alice", "bob");
    const { channel, as } = await sharedChannel(a, b);
    const notes: any[] = [];
    b.kitty.onNotificationReceived((n: any) => notes.push(n));
    await ok("muteChannel", b.kitty.muteChannel({ channel: as(b) }));
    await send(a, channel, "while muted");
    await until(
      "bob's notification while muted",
      () => notes.length === 1,
      () => notes,
    );
    expect(notes[0]).toMatchObject({ muted: true, channel: { id: channel.id } });
    await ok("unmuteChannel", b.kitty.unmuteChannel({ channel: as(b) }));
    await send(a, channel, "after unmuting");
    await until(
      "bob's notification after unmuting",
      () => notes.length === 2,
      () => notes,
    );
    expect(notes[1]).toMatchObject({ muted: false });
  });

  it("blockUser hides the blocked user's messages; getUserBlockList; deleteUserBlockListItem unblocks", async ({ expect }) => {
    const [a, b] = await startUsers("alice", "bob");
    const { channel, as } = await sharedChannel(a, b);
    const bob = (await ok("getUser(bob)", a.kitty.getUser(b.user.id))).user;
    expect((await ok("blockUser", a.kitty.blockUser({ user: bob }))).user.id).toBe(b.user.id);
    const items = await listAll("getUserBlockList", a.kitty.getUserBlockList());
    expect(items.map((i) => i.user.id)).toEqual([b.user.id]);
    const chatA = await openChat(a, channel);
    await send(b, as(b), "you will not see this");
    // Live too: her own later message arrives, bob's never did.
    await send(a, channel, "sync");
    await received(chatA, "alice", "sync");
    expect(chatA.bodies()).not.toContain("you will not see this");
    expect((await listAll("alice's history", a.kitty.getMessages({ channel }))).map((m) => m.body)).toEqual(["sync"]);
    expect((await ok("deleteUserBlockListItem", a.kitty.deleteUserBlockListItem({ item: items[0] }))).user.id).toBe(b.user.id);
    expect(await listAll("block list after", a.kitty.getUserBlockList())).toEqual([]);
    const me = (await ok("getUser(me)", a.kitty.getUser(a.user.id))).user;
    expect((await failure("blockUser(self)", a.kitty.blockUser({ user: me }))).error).toBe("InvalidUserError");
  });

  it("triggerEvent → the other's onEventTriggered, not the sender's", async ({ expect }) => {
    const [a, b] = await startUsers("alice", "bob");
    const { channel, as } = await sharedChannel(a, b);
    const chatA = await openChat(a, channel);
    const chatB = await openChat(b, as(b));
    await ok("triggerEvent", a.kitty.triggerEvent({ channel, type: "poke ☃", properties: { n: 1 } }));
    await until("bob's onEventTriggered", () => chatB.events.length === 1);
    expect(chatB.events[0]).toMatchObject({ type: "poke ☃", properties: { n: 1 }, user: { id: a.user.id } });
    await send(a, channel, "sync");
    await received(chatA, "alice", "sync");
    await sleep(100);
    expect(chatA.events).toEqual([]);
  });

  it("updateCurrentUserDisplayPicture with an external file sets displayPictureUrl", async ({ expect }) => {
    const [a] = await startUsers("alice");
    const file = { url: "https://example.com/pics/alice.png", name: "alice.png", contentType: "image/png", size: 1234 };
    const user = (await ok("updateCurrentUserDisplayPicture", a.kitty.updateCurrentUserDisplayPicture({ file }))).user;
    expect(user).toMatchObject({ id: a.user.id, displayPictureUrl: file.url });
    expect((await ok("getCurrentUser", a.kitty.getCurrentUser())).user.displayPictureUrl).toBe(file.url);
  });
});
