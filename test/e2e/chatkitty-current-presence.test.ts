/**
 * Presence and contacts as the unmodified `chatkitty@1.58.2` meets them (spec stompx-current §11):
 * contacts listed and counted with the online filter, presence changes on endSession, users and
 * channel members. Sessions and sockets: `useCurrentSdk()`.
 */
import { describe, it } from "vitest";
import { listAll, ok, openChat, sharedChannel, startUser, startUsers, useCurrentSdk } from "./sdk-current";
import { step, until } from "./wait";

useCurrentSdk();

describe("presence and contacts", () => {
  it("getUsers({online}) and getUsersCount list contacts; bob's endSession → onUserPresenceChanged and onParticipantPresenceChanged", async ({
    expect,
  }) => {
    const [a, b] = await startUsers("alice", "bob");
    const stranger = await startUser("stranger");
    const { channel } = await sharedChannel(a, b);
    const chatA = await openChat(a, channel);
    const presence: any[] = [];
    a.kitty.onUserPresenceChanged((u: any) => presence.push(u));

    const online = await listAll("getUsers online", a.kitty.getUsers({ filter: { online: true } }));
    expect(online.map((u) => u.id)).toEqual([b.user.id]);
    expect(online[0].presence).toMatchObject({ online: true });
    expect(online.map((u) => u.id)).not.toContain(stranger.user.id);
    expect((await ok("getUsersCount", a.kitty.getUsersCount())).count).toBe(1);

    await step("bob's endSession", b.kitty.endSession());
    await until(
      "alice's onUserPresenceChanged(bob offline)",
      () => presence.some((u) => u.id === b.user.id && u.presence?.online === false),
      () => presence,
      15_000,
    );
    await until(
      "alice's onParticipantPresenceChanged(bob offline)",
      () => chatA.presence.some((u) => u.id === b.user.id && u.presence?.online === false),
      () => chatA.presence,
      15_000,
    );
    expect(await listAll("getUsers online after", a.kitty.getUsers({ filter: { online: true } }))).toEqual([]);
    expect((await ok("getUsersCount offline", a.kitty.getUsersCount({ filter: { online: false } }))).count).toBe(1);
  }, 30_000);

  it("a chat session started → the others' onParticipantEnteredChat; ended → onParticipantLeftChat; never to the user themself", async ({
    expect,
  }) => {
    const [a, b] = await startUsers("alice", "bob");
    const { channel, as } = await sharedChannel(a, b);
    const chatA = await openChat(a, channel);
    const chatB = await openChat(b, as(b));
    await until(
      "alice's onParticipantEnteredChat(bob)",
      () => chatA.entered.some((u) => u.id === b.user.id),
      () => chatA.entered,
    );
    await step("bob's session.end()", Promise.resolve(chatB.session.end()));
    await until(
      "alice's onParticipantLeftChat(bob)",
      () => chatA.left.some((u) => u.id === b.user.id),
      () => chatA.left,
    );
    expect(chatA.entered.concat(chatA.left).map((u) => u.id)).not.toContain(a.user.id);
    expect(chatB.entered.map((u) => u.id)).not.toContain(b.user.id);
  });

  it("getUser, getChannelMembers, getUserIsChannelMember", async ({ expect }) => {
    const [a, b, c] = await startUsers("alice", "bob", "carol");
    const { channel } = await sharedChannel(a, b);
    expect((await ok("getUser(bob)", a.kitty.getUser(b.user.id))).user).toMatchObject({ id: b.user.id, name: b.name });
    const members = await listAll("getChannelMembers", a.kitty.getChannelMembers({ channel }));
    expect(members.map((u) => u.id).sort()).toEqual([a.user.id, b.user.id].sort());
    const bob = (await ok("getUser(bob)", a.kitty.getUser(b.user.id))).user;
    const carol = (await ok("getUser(carol)", a.kitty.getUser(c.user.id))).user;
    expect((await ok("bob is a member", a.kitty.getUserIsChannelMember({ user: bob, channel }))).isMember).toBe(true);
    expect((await ok("carol is not", a.kitty.getUserIsChannelMember({ user: carol, channel }))).isMember).toBe(false);
  });
});
