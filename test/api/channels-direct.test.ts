/**
 * DIRECT channels through the Platform API: 2 to 10 members given as user hrefs (strings or
 * `{href}`), one channel per set of users whatever the order (200 with the existing one, also
 * under concurrent creates), an optional name, refused members of other applications and bogus
 * hrefs, and messages persisted like any group channel's.
 */
import { describe, it } from "vitest";
import { ChannelPage, ChannelResource } from "../../src/api/channels/channels.schemas";
import { MessagePage, MessageResource } from "../../src/api/messages/messages.schemas";
import { UserPage, type UserResource } from "../../src/api/users/users.schemas";
import { ORIGIN, setup, type Setup } from "../helpers/api";
import { expectError, expectHal, expectInvalidField } from "../helpers/checks";
import { allMembers, channelIds, createDirect, hrefs, users } from "../helpers/resources";
import { membershipRows } from "../helpers/rows";

describe("POST channels: DIRECT", () => {
  it("creates a DIRECT channel of 2 users: 201, Location, no name, members link listing both", async ({ expect }) => {
    const s = await setup();
    const [jane, john] = await users(s, 2);
    const res = await createDirect(s, hrefs([john!, jane!]));
    expectHal(expect, res, 201);
    const channel = ChannelResource.parse(res.body);
    const self = `${ORIGIN}/v1/applications/${s.app.id}/channels/${channel.id}`;
    expect(res.headers.get("Location")).toBe(self);
    expect(channel.type).toBe("DIRECT");
    expect(res.body).not.toHaveProperty("name");
    expect(Object.keys(res.body)).toEqual(expect.arrayContaining(["_links", "id", "type"]));
    expect(channel._links).toEqual({
      self: { href: self },
      messages: { href: `${self}/messages` },
      members: { href: `${self}/members` },
      application: { href: `${ORIGIN}/v1/applications/${s.app.id}` },
    });

    const members = await s.api.get(channel._links.members!.href);
    expectHal(expect, members);
    const page = UserPage.parse(members.body);
    expect(page._embedded.users).toEqual([jane, john]);
    expect(page.page).toEqual({ size: 20, totalElements: 2, totalPages: 1, number: 0 });
    expect(ChannelResource.parse((await s.api.get(self)).body)).toEqual(channel);
  });

  it("keeps a DIRECT channel's name when one is given", async ({ expect }) => {
    const s = await setup();
    const res = await createDirect(s, hrefs(await users(s, 2)), { name: "Jane & John" });
    expectHal(expect, res, 201);
    expect(ChannelResource.parse(res.body).name).toBe("Jane & John");
  });

  it("creates a DIRECT channel of 10 users", async ({ expect }) => {
    const s = await setup();
    const ten = await users(s, 10);
    const res = await createDirect(s, hrefs(ten));
    expectHal(expect, res, 201);
    const channel = ChannelResource.parse(res.body);
    expect(await allMembers(s, channel)).toEqual(ten.map((u) => u.id));
    expect(await membershipRows(channel.id)).toBe(10);
  });

  it.for([
    ["no members key", undefined],
    ["an empty list", 0],
    ["1 member", 1],
    ["11 members", 11],
  ] as const)("refuses %s with 400 naming members, creating nothing", async ([_label, n], { expect }) => {
    const s = await setup();
    const eleven = await users(s, 11);
    const body = n === undefined ? { type: "DIRECT" } : { type: "DIRECT", members: hrefs(eleven.slice(0, n)) };
    expectInvalidField(expect, await s.api.post(s.urls.channels, body), "members");
    expect(ChannelPage.parse((await s.api.get(s.urls.channels)).body).page.totalElements).toBe(0);
  });

  it("counts distinct users: one user twice (string and {href}) is 1 member, 400", async ({ expect }) => {
    const s = await setup();
    const [jane] = await users(s, 1);
    const href = jane!._links.self.href;
    expectInvalidField(expect, await createDirect(s, [href, href]), "members");
    expectInvalidField(expect, await createDirect(s, [href, { href }]), "members");
    expect(ChannelPage.parse((await s.api.get(s.urls.channels)).body).page.totalElements).toBe(0);
  });

  it("counts distinct users: 10 users with one repeated (11 entries) is fine", async ({ expect }) => {
    const s = await setup();
    const ten = await users(s, 10);
    const res = await createDirect(s, [...hrefs(ten), ten[0]!._links.self.href]);
    expectHal(expect, res, 201);
    expect(await allMembers(s, ChannelResource.parse(res.body))).toEqual(ten.map((u) => u.id));
  });

  it("returns the existing channel (200, same id) for the same set in any order, as strings or {href} objects", async ({ expect }) => {
    const s = await setup();
    const [a, b, c] = await users(s, 3);
    const first = await createDirect(s, hrefs([a!, b!, c!]));
    expectHal(expect, first, 201);
    const channel = ChannelResource.parse(first.body);
    for (const members of [
      hrefs([c!, a!, b!]),
      hrefs([b!, c!, a!]),
      hrefs([a!, b!, c!]).map((href) => ({ href })),
      [{ href: c!._links.self.href }, a!._links.self.href, { href: b!._links.self.href }],
    ]) {
      const again = await createDirect(s, members);
      expectHal(expect, again, 200);
      expect(ChannelResource.parse(again.body)).toEqual(channel);
    }
    expect(await membershipRows(channel.id)).toBe(3);
    const all = ChannelPage.parse((await s.api.get(s.urls.channels)).body);
    expect(all._embedded.channels.map((ch) => ch.id)).toEqual([channel.id]);
  });

  it("gives a subset or a superset of a set its own channel", async ({ expect }) => {
    const s = await setup();
    const [a, b, c] = await users(s, 3);
    const ab = ChannelResource.parse((await createDirect(s, hrefs([a!, b!]))).body);
    const abc = await createDirect(s, hrefs([a!, b!, c!]));
    const bc = await createDirect(s, hrefs([b!, c!]));
    expectHal(expect, abc, 201);
    expectHal(expect, bc, 201);
    expect(new Set([ab.id, abc.body.id, bc.body.id]).size).toBe(3);
    expect(await allMembers(s, ab)).toEqual([a!.id, b!.id]);
  });

  it("creates a new channel for the set once the old one is deleted", async ({ expect }) => {
    const s = await setup();
    const pair = hrefs(await users(s, 2));
    const old = ChannelResource.parse((await createDirect(s, pair)).body);
    expectHal(expect, await s.api.del(old._links.self.href));
    const again = await createDirect(s, pair);
    expectHal(expect, again, 201);
    expect(again.body.id).not.toBe(old.id);
    expect(await membershipRows(again.body.id)).toBe(2);
  });

  it("answers 10 concurrent creates of one set with one channel: one 201 and nine 200", async ({ expect }) => {
    const s = await setup();
    const set = await users(s, 3);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => createDirect(s, i % 2 ? hrefs(set).reverse() : hrefs(set).map((href) => ({ href })))),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const ids = new Set(results.map((r) => ChannelResource.parse(r.body).id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(await membershipRows(id!)).toBe(3);
    expect(channelIds(await s.api.get(s.urls.channels))).toEqual([id]);
  });

  it("refuses a member of another application with 400 naming members, creating nothing", async ({ expect }) => {
    const a = await setup();
    const b = await setup();
    const [mine] = await users(a, 1);
    const [theirs] = await users(b, 1);
    // b's user by b's own href, and b's user id under a's path (not a user of a)
    for (const other of [theirs!._links.self.href, `${a.urls.users}/${theirs!.id}`]) {
      expectInvalidField(expect, await createDirect(a, [mine!._links.self.href, other]), "members");
    }
    expect(ChannelPage.parse((await a.api.get(a.urls.channels)).body).page.totalElements).toBe(0);
    expect(ChannelPage.parse((await b.api.get(b.urls.channels)).body).page.totalElements).toBe(0);
  });

  it.for([
    ["not a URL", () => "jane"],
    ["a relative path", (u: UserResource) => new URL(u._links.self.href).pathname],
    ["a channel href", (_u: UserResource, s: Setup) => `${s.urls.channels}/1`],
    ["the users collection", (_u: UserResource, s: Setup) => s.urls.users],
    ["a user's channels link", (u: UserResource) => u._links.channels.href],
    ["an unknown user id", (_u: UserResource, s: Setup) => `${s.urls.users}/999999999`],
    ["a deleted user", (u: UserResource) => `deleted:${u._links.self.href}`],
    ["an empty string", () => ""],
  ] as const)("refuses a bogus member href (%s) with 400 naming members", async ([_label, make], { expect }) => {
    const s = await setup();
    const [jane, gone] = await users(s, 2);
    let bogus = (make as (u: UserResource, s: Setup) => string)(gone!, s);
    if (bogus.startsWith("deleted:")) {
      bogus = bogus.slice("deleted:".length);
      await s.api.del(bogus);
    }
    for (const members of [
      [jane!._links.self.href, bogus],
      [{ href: jane!._links.self.href }, { href: bogus }],
    ]) {
      expectInvalidField(expect, await createDirect(s, members), "members");
    }
    expect(ChannelPage.parse((await s.api.get(s.urls.channels)).body).page.totalElements).toBe(0);
  });

  it.for([
    ["members not an array", { members: "a,b" }],
    ["a member that is a number", { members: [1, 2] }],
    ["a member object without href", { members: [{ id: 1 }, { id: 2 }] }],
    ["an href that is not a string", { members: [{ href: 1 }, { href: 2 }] }],
  ] as const)("refuses %s with 400 about members", async ([_label, body], { expect }) => {
    const s = await setup();
    const err = expectError(expect, await s.api.post(s.urls.channels, { type: "DIRECT", ...body }), 400);
    expect(
      Object.keys(err.properties ?? {}).some((k) => k.startsWith("members")),
      JSON.stringify(err),
    ).toBe(true);
  });

  it("persists messages posted to a DIRECT channel", async ({ expect }) => {
    const s = await setup();
    const channel = ChannelResource.parse((await createDirect(s, hrefs(await users(s, 2)))).body);
    const posted = await s.api.post(channel._links.messages.href, { body: "hello, both" });
    expectHal(expect, posted, 201);
    const message = MessageResource.parse(posted.body);
    expect(message.id).toBeDefined();
    const page = MessagePage.parse((await s.api.get(channel._links.messages.href)).body);
    expect(page._embedded.messages.map((m) => m.body)).toEqual(["hello, both"]);
  });
});
