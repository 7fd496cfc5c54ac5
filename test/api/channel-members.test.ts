/**
 * The `members` link of group channels (PUBLIC, PRIVATE, DIRECT): adding (idempotent) and
 * removing members of PUBLIC and PRIVATE channels, members as numbered pages, DIRECT channels'
 * fixed members, OPEN channels without a members list, and 404 across applications.
 */
import { describe, it } from "vitest";
import { ChannelPage, ChannelResource } from "../../src/api/channels/channels.schemas";
import { UserPage } from "../../src/api/users/users.schemas";
import { setup } from "../helpers/api";
import { expectError, expectHal, expectInvalidField } from "../helpers/checks";
import { allMembers, channelIds, createDirect, hrefs, users } from "../helpers/resources";
import { membershipRows } from "../helpers/rows";

describe("members of group channels", () => {
  it("adds a member to PUBLIC and PRIVATE channels: 200 with the channel, and lists them", async ({ expect }) => {
    const s = await setup();
    const [jane, john] = await users(s, 2);
    for (const type of ["PUBLIC", "PRIVATE"] as const) {
      const channel = ChannelResource.parse(await s.createChannel(type, `${type}-room`));
      expect(channel._links.members?.href).toBe(`${channel._links.self.href}/members`);
      const empty = UserPage.parse((await s.api.get(channel._links.members!.href)).body);
      expect(empty.page.totalElements).toBe(0);

      const added = await s.api.post(channel._links.members!.href, { href: john!._links.self.href });
      expectHal(expect, added);
      expect(ChannelResource.parse(added.body)).toEqual(channel);
      const res2 = await s.api.post(channel._links.members!.href, { href: jane!._links.self.href });
      expectHal(expect, res2);

      const page = UserPage.parse((await s.api.get(channel._links.members!.href)).body);
      // ascending user id, whatever the order of joining
      expect(page._embedded.users).toEqual([jane, john]);
    }
  });

  it("adding an existing member is not an error and adds no duplicate", async ({ expect }) => {
    const s = await setup();
    const [jane] = await users(s, 1);
    const channel = ChannelResource.parse(await s.createChannel("PRIVATE"));
    for (let i = 0; i < 3; i++) {
      const res = await s.api.post(channel._links.members!.href, { href: jane!._links.self.href });
      expectHal(expect, res);
      expect(ChannelResource.parse(res.body)).toEqual(channel);
    }
    const page = UserPage.parse((await s.api.get(channel._links.members!.href)).body);
    expect(page._embedded.users.map((u) => u.id)).toEqual([jane!.id]);
    expect(page.page.totalElements).toBe(1);
    expect(await membershipRows(channel.id)).toBe(1);
  });

  it("pages members as a numbered page with links on the members collection", async ({ expect }) => {
    const s = await setup();
    const five = await users(s, 5);
    const channel = ChannelResource.parse(await s.createChannel("PUBLIC"));
    for (const u of [...five].reverse()) await s.api.post(channel._links.members!.href, { href: u._links.self.href });
    const base = channel._links.members!.href;
    const at = (n: number) => ({ href: `${base}?page=${n}&size=2` });

    const p0 = UserPage.parse((await s.api.get(`${base}?size=2`)).body);
    expect(p0.page).toEqual({ size: 2, totalElements: 5, totalPages: 3, number: 0 });
    expect(p0._links).toEqual({ first: at(0), self: at(0), next: at(1), last: at(2) });
    const p1 = UserPage.parse((await s.api.get(p0._links.next!.href)).body);
    expect(p1._links).toEqual({ first: at(0), prev: at(0), self: at(1), next: at(2), last: at(2) });
    const p2 = UserPage.parse((await s.api.get(p1._links.next!.href)).body);
    expect(p2._links).toEqual({ first: at(0), prev: at(1), self: at(2), last: at(2) });
    expect([p0, p1, p2].flatMap((p) => p._embedded.users.map((u) => u.id))).toEqual(five.map((u) => u.id));

    const past = UserPage.parse((await s.api.get(`${base}?page=9&size=2`)).body);
    expect(past._embedded.users).toEqual([]);
    expect(past._links.prev).toEqual(at(2));

    expectInvalidField(expect, await s.api.get(`${base}?size=0`), "size");
    expectInvalidField(expect, await s.api.get(`${base}?page=-1`), "page");
  });

  it("removes a member: 200 with the channel; the member list and the user's channels no longer show it", async ({ expect }) => {
    const s = await setup();
    const [jane, john] = await users(s, 2);
    const priv = ChannelResource.parse(await s.createChannel("PRIVATE", "secret"));
    for (const u of [jane!, john!]) await s.api.post(priv._links.members!.href, { href: u._links.self.href });
    expect(channelIds(await s.api.get(jane!._links.channels.href))).toEqual([priv.id]);

    const res = await s.api.del(`${priv._links.members!.href}/${jane!.id}`);
    expectHal(expect, res);
    expect(ChannelResource.parse(res.body)).toEqual(priv);

    const page = UserPage.parse((await s.api.get(priv._links.members!.href)).body);
    expect(page._embedded.users.map((u) => u.id)).toEqual([john!.id]);
    const janeChannels = ChannelPage.parse((await s.api.get(jane!._links.channels.href)).body);
    expect(janeChannels._embedded.channels).toEqual([]);
    expect(janeChannels.page.totalElements).toBe(0);
    expect(channelIds(await s.api.get(john!._links.channels.href))).toEqual([priv.id]);
    // the user stays
    expectHal(expect, await s.api.get(jane!._links.self.href));
  });

  it("answers removing a non-member, an unknown user or the same member twice with 404", async ({ expect }) => {
    const s = await setup();
    const [jane, outsider] = await users(s, 2);
    const channel = ChannelResource.parse(await s.createChannel("PUBLIC"));
    await s.api.post(channel._links.members!.href, { href: jane!._links.self.href });
    const members = channel._links.members!.href;
    expectError(expect, await s.api.del(`${members}/${outsider!.id}`), 404);
    expectError(expect, await s.api.del(`${members}/999999999`), 404);
    for (const bad of ["abc", "0", "-1"]) expectError(expect, await s.api.del(`${members}/${bad}`), 404);
    expectHal(expect, await s.api.del(`${members}/${jane!.id}`));
    expectError(expect, await s.api.del(`${members}/${jane!.id}`), 404);
  });

  it("refuses to add a bogus href or another application's user with 400 naming href", async ({ expect }) => {
    const a = await setup();
    const b = await setup();
    const [theirs] = await users(b, 1);
    const channel = ChannelResource.parse(await a.createChannel("PRIVATE"));
    for (const href of [theirs!._links.self.href, `${a.urls.users}/${theirs!.id}`, "nope", `${a.urls.channels}/${channel.id}`, ""]) {
      expectInvalidField(expect, await a.api.post(channel._links.members!.href, { href }), "href");
    }
    for (const body of [{}, { href: 5 }, { href: null }]) {
      expectInvalidField(expect, await a.api.post(channel._links.members!.href, body), "href");
    }
    expect(await membershipRows(channel.id)).toBe(0);
  });

  it("refuses to add or remove members of a DIRECT channel with 400, changing nothing", async ({ expect }) => {
    const s = await setup();
    const [jane, john, carol] = await users(s, 3);
    const direct = ChannelResource.parse((await createDirect(s, hrefs([jane!, john!]))).body);
    const members = direct._links.members!.href;
    expectError(expect, await s.api.post(members, { href: carol!._links.self.href }), 400);
    expectError(expect, await s.api.post(members, { href: jane!._links.self.href }), 400);
    expectError(expect, await s.api.del(`${members}/${jane!.id}`), 400);
    expectError(expect, await s.api.del(`${members}/${carol!.id}`), 400);
    expect(await allMembers(s, direct)).toEqual([jane!.id, john!.id]);
    expect(channelIds(await s.api.get(carol!._links.channels.href))).toEqual([]);
  });

  it("answers 404 for the members of an OPEN channel (no members list), which has no members link", async ({ expect }) => {
    const s = await setup();
    const [jane] = await users(s, 1);
    const open = ChannelResource.parse(await s.createChannel("OPEN"));
    expect(open._links.members).toBeUndefined();
    const members = `${open._links.self.href}/members`;
    expectError(expect, await s.api.get(members), 404);
    expectError(expect, await s.api.post(members, { href: jane!._links.self.href }), 404);
    expectError(expect, await s.api.del(`${members}/${jane!.id}`), 404);
  });

  it("answers 404 for the members routes of unknown, deleted and other applications' channels", async ({ expect }) => {
    const a = await setup();
    const b = await setup();
    const [mine] = await users(a, 1);
    const [theirUser, theirOther] = await users(b, 2);
    const theirPrivate = ChannelResource.parse(await b.createChannel("PRIVATE"));
    await b.api.post(theirPrivate._links.members!.href, { href: theirUser!._links.self.href });
    const theirDirect = ChannelResource.parse((await createDirect(b, hrefs([theirUser!, theirOther!]))).body);
    const gone = ChannelResource.parse(await a.createChannel("PUBLIC"));
    await a.api.del(gone._links.self.href);

    const targets = [
      // b's channels under a's path
      `${a.urls.channels}/${theirPrivate.id}/members`,
      `${a.urls.channels}/${theirDirect.id}/members`,
      // b's own paths with a's token
      theirPrivate._links.members!.href,
      theirDirect._links.members!.href,
      `${a.urls.channels}/${gone.id}/members`,
      `${a.urls.channels}/999999999/members`,
    ];
    for (const members of targets) {
      expectError(expect, await a.api.get(members), 404);
      expectError(expect, await a.api.post(members, { href: mine!._links.self.href }), 404);
      expectError(expect, await a.api.del(`${members}/${theirUser!.id}`), 404);
      expectError(expect, await a.api.del(`${members}/${mine!.id}`), 404);
    }
    // b's memberships are untouched
    expect(await allMembers(b, theirPrivate)).toEqual([theirUser!.id]);
    expect(await allMembers(b, theirDirect)).toEqual([theirUser!.id, theirOther!.id]);
  });
});
