/**
 * DIRECT channels as the official, unmodified ChatKitty JS SDK (`chatkitty@1.1.1`) meets them,
 * in Node against `npm run dev`: created with `createChannel({type: "DIRECT", members})`, one
 * channel per set of users, carrying `members` and no members relay (which is how the SDK tells
 * a group channel from a direct one), and visible through the Platform API as type DIRECT with a
 * `members` link.
 *
 * Every SDK promise goes through `step()` (a server bug must fail with the step's name, not
 * hang); the sessions, sockets and log silencing are set up by `useSdk()` (./sdk.ts). Names are
 * unique per test, since the server state is shared by the whole e2e run.
 */
import { describe, it } from "vitest";
import { allItems, api, appUrl, channelsOf, createChannel, openChat, send, startUser, useSdk } from "./sdk";
import { rejection, sleep, step, unique, until } from "./wait";

useSdk();

describe("DIRECT channels through the SDK", () => {
  it("jane creates a DIRECT channel with john: members on the channel, no members relay, the same channel again", async ({ expect }) => {
    const [jane, john] = await Promise.all([startUser("jane"), startUser("john")]);
    const direct = await createChannel(jane, { type: "DIRECT", members: [{ id: john.user.id }] });
    expect(direct.type).toBe("DIRECT");
    expect(Number.isSafeInteger(direct.id)).toBe(true);
    expect(Array.isArray(direct.members)).toBe(true);
    expect(direct.members.map((m: any) => m.id).sort((x: number, y: number) => x - y)).toEqual(
      [jane.user.id, john.user.id].sort((x, y) => x - y),
    );
    expect(direct.members.find((m: any) => m.id === john.user.id)).toMatchObject({ id: john.user.id, name: john.name });
    expect(direct._relays.members, "a DIRECT channel is not a group channel").toBeUndefined();
    for (const key of ["self", "messages", "unread"]) expect(typeof direct._relays[key], `_relays.${key}`).toBe("string");
    for (const key of ["message", "read"]) expect(typeof direct._actions[key], `_actions.${key}`).toBe("string");
    expect(direct._actions.join, "members never join").toBeUndefined();

    const again = await createChannel(jane, { type: "DIRECT", members: [{ id: john.user.id }] });
    expect(again.id).toBe(direct.id);
    // john asking for the same pair (jane from his side) gets it too
    const fromJohn = await createChannel(john, { type: "DIRECT", members: [{ id: jane.user.id }] });
    expect(fromJohn.id).toBe(direct.id);
    expect(fromJohn._relays.members).toBeUndefined();

    const johns = await channelsOf(john);
    const seen = johns.find((c: any) => c.id === direct.id);
    expect(seen, "john's getChannels lists the direct channel").toBeDefined();
    expect(seen.type).toBe("DIRECT");
    expect(seen.members.map((m: any) => m.id).sort((x: number, y: number) => x - y)).toEqual(
      [jane.user.id, john.user.id].sort((x, y) => x - y),
    );
    expect(seen._relays.members).toBeUndefined();
    expect(
      johns.filter((c: any) => c.id === direct.id),
      "listed once",
    ).toHaveLength(1);

    const viaGet = (await step("getChannel(direct) by john", john.kitty.getChannel(direct.id))).channel;
    expect(viaGet).toMatchObject({ id: direct.id, type: "DIRECT" });
    expect(viaGet._relays.members).toBeUndefined();
  });

  it("a third user does not see jane and john's DIRECT channel", async ({ expect }) => {
    const [jane, john, carol] = await Promise.all([startUser("jane"), startUser("john"), startUser("carol")]);
    const direct = await createChannel(jane, { type: "DIRECT", members: [{ id: john.user.id }] });
    expect((await channelsOf(carol)).map((c: any) => c.id)).not.toContain(direct.id);
    const joinable = await allItems(
      "getJoinableChannels(carol)",
      (await step("getJoinableChannels(carol)", carol.kitty.getJoinableChannels())).paginator,
    );
    expect(joinable.map((c: any) => c.id)).not.toContain(direct.id);
  });

  it("jane and john exchange messages in their DIRECT channel, each received once and persisted", async ({ expect }) => {
    const [jane, john] = await Promise.all([startUser("jane"), startUser("john")]);
    const direct = await createChannel(jane, { type: "DIRECT", members: [{ id: john.user.id }] });
    const johnsView = (await channelsOf(john)).find((c: any) => c.id === direct.id);
    expect(johnsView).toBeDefined();
    const [chatJane, chatJohn] = await Promise.all([openChat(jane, direct), openChat(john, johnsView)]);

    const m1 = await send(jane, direct, "hi john 👋");
    expect(m1).toMatchObject({ type: "TEXT", body: "hi john 👋", user: { id: jane.user.id } });
    await until(
      "john receiving jane's message",
      () => chatJohn.messages.length >= 1,
      () => chatJohn.bodies(),
    );
    const m2 = await send(john, johnsView, "hi jane");
    expect(m2).toMatchObject({ type: "TEXT", body: "hi jane", user: { id: john.user.id } });
    await until(
      "both receiving both messages",
      () => chatJane.messages.length >= 2 && chatJohn.messages.length >= 2,
      () => [chatJane.bodies(), chatJohn.bodies()],
    );
    await sleep(300); // any duplicate would have arrived by now
    expect(chatJane.bodies()).toEqual(["hi john 👋", "hi jane"]);
    expect(chatJohn.bodies()).toEqual(["hi john 👋", "hi jane"]);

    expect(Number.isSafeInteger(m1.id) && Number.isSafeInteger(m2.id)).toBe(true);
    const channel = await api("GET", `${appUrl()}/channels/${direct.id}`);
    const page = await api("GET", channel.body._links.messages.href);
    expect(page.status).toBe(200);
    expect(page.body._embedded.messages.map((m: any) => [m.id, m.body])).toEqual([
      [m2.id, "hi jane"],
      [m1.id, "hi john 👋"],
    ]);
  });

  it("getUsers({channel}) on a DIRECT channel rejects client-side with NotAGroupChannel", async ({ expect }) => {
    const [jane, john] = await Promise.all([startUser("jane"), startUser("john")]);
    const direct = await createChannel(jane, { type: "DIRECT", members: [{ id: john.user.id }] });
    const error = await rejection("getUsers on a DIRECT channel", jane.kitty.getUsers({ channel: direct }));
    expect(error.type).toBe("NotAGroupChannelKittyError");
    expect(error.channel?.id).toBe(direct.id);
    // a group channel still answers its members
    const priv = await createChannel(jane, { type: "PRIVATE", name: unique("private"), members: [{ id: john.user.id }] });
    const members = await allItems(
      "getUsers(private)",
      (await step("getUsers(private)", jane.kitty.getUsers({ channel: priv }))).paginator,
    );
    expect(members.map((u: any) => u.id).sort((x: number, y: number) => x - y)).toEqual([jane.user.id, john.user.id].sort((x, y) => x - y));
  });

  it("a DIRECT channel of one user (no other member) is refused", async ({ expect }) => {
    const jane = await startUser("jane");
    const alone = await step("createChannel DIRECT with nobody", jane.kitty.createChannel({ type: "DIRECT", members: [] }));
    expect(alone.succeeded).toBe(false);
    expect(alone.error.type).toMatch(/Error$/);
    const self = await step(
      "createChannel DIRECT with oneself",
      jane.kitty.createChannel({ type: "DIRECT", members: [{ id: jane.user.id }] }),
    );
    expect(self.succeeded).toBe(false);
  });

  it("the Platform API shows the SDK's DIRECT channel: type DIRECT, a members link listing both", async ({ expect }) => {
    const [jane, john] = await Promise.all([startUser("jane"), startUser("john")]);
    const direct = await createChannel(jane, { type: "DIRECT", members: [{ id: john.user.id }] });

    const channel = await api("GET", `${appUrl()}/channels/${direct.id}`);
    expect(channel.status).toBe(200);
    expect(channel.body).toMatchObject({ id: direct.id, type: "DIRECT" });
    expect(channel.body).not.toHaveProperty("name");
    const membersHref = channel.body._links.members?.href;
    expect(membersHref).toBe(`${appUrl()}/channels/${direct.id}/members`);
    const members = await api("GET", membersHref);
    expect(members.status).toBe(200);
    expect(members.body._embedded.users.map((u: any) => [u.id, u.name])).toEqual(
      [
        [jane.user.id, jane.name],
        [john.user.id, john.name],
      ].sort((x, y) => (x[0] as number) - (y[0] as number)),
    );
    expect(members.body.page.totalElements).toBe(2);

    // the same pair through the Platform API is the same channel (200), and it is listed as direct
    const userHref = (u: any) => `${appUrl()}/users/${u.id}`;
    const again = await api("POST", `${appUrl()}/channels`, {
      type: "DIRECT",
      members: [userHref(john.user), { href: userHref(jane.user) }],
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(direct.id);
    const found = await api("GET", `${appUrl()}/channels?direct=true&members=${encodeURIComponent(`${jane.name},${john.name}`)}`);
    expect(found.body._embedded.channels.map((c: any) => c.id)).toEqual([direct.id]);
    // and its members are fixed
    const carol = await api("POST", `${appUrl()}/users`, { name: unique("carol") });
    expect((await api("POST", membersHref, { href: carol.body._links.self.href })).status).toBe(400);
  });
});
