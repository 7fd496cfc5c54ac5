/**
 * What the channels resource gained: DIRECT channels (2 to 10 members, one channel per set of
 * users, members fixed), the `members` link of group channels (PUBLIC, PRIVATE, DIRECT), optional
 * names, the application's templated `find:channels` link (`direct`, `members`), and a user's
 * `channels` link counting memberships.
 */
import { env } from "cloudflare:workers";
import { count, eq } from "drizzle-orm";
import { describe, it, type ExpectStatic } from "vitest";
import { createDb } from "../../src/db/client";
import { channelMembers } from "../../src/db/schema";
import { ApplicationResource } from "../../src/api/applications/applications.schemas";
import { ChannelPage, ChannelResource } from "../../src/api/channels/channels.schemas";
import { MessagePage, MessageResource } from "../../src/api/messages/messages.schemas";
import { UserPage, UserResource } from "../../src/api/users/users.schemas";
import { ORIGIN, setup, type ApiResponse } from "../helpers/api";
import { expectError, expectHal, expectInvalidField, queryOf } from "../helpers/checks";

type Setup = Awaited<ReturnType<typeof setup>>;

/** Expands the RFC 6570 form-style query expression `{?a,b,...}` closing a template. */
const expand = (template: string, vars: Record<string, string | number | boolean | undefined>) => {
  const m = /^([^{}]*)\{\?([\w,]+)\}$/.exec(template);
  if (!m) throw new Error(`not a {?...} template: ${template}`);
  const pairs = m[2]!
    .split(",")
    .filter((k) => vars[k] !== undefined)
    .map((k) => `${k}=${encodeURIComponent(String(vars[k]))}`);
  return pairs.length ? `${m[1]}?${pairs.join("&")}` : m[1]!;
};

/** `n` users of the application, in creation order. */
const users = async (s: Setup, n: number, label = "u") => {
  const out: UserResource[] = [];
  for (let i = 0; i < n; i++) out.push(UserResource.parse(await s.createUser(`${label}${i}-${crypto.randomUUID()}`)));
  return out;
};

const hrefs = (us: UserResource[]) => us.map((u) => u._links.self.href);

const createDirect = (s: Setup, members: unknown[], extra: Record<string, unknown> = {}) =>
  s.api.post<ChannelResource>(s.urls.channels, { type: "DIRECT", members, ...extra });

/** Every member of a channel, following the members page's next links. */
const allMembers = async (s: Setup, channel: ChannelResource) => {
  const ids: number[] = [];
  let href: string | undefined = channel._links.members!.href;
  for (let i = 0; href && i < 20; i++) {
    const page = UserPage.parse((await s.api.get(href)).body);
    ids.push(...page._embedded.users.map((u) => u.id));
    href = page._links.next?.href;
  }
  return ids;
};

const membershipRows = async (channelId: number) =>
  (await createDb(env.DB).select({ n: count() }).from(channelMembers).where(eq(channelMembers.channelId, channelId)).get())?.n ?? 0;

const channelIds = (res: ApiResponse) => ChannelPage.parse(res.body)._embedded.channels.map((c) => c.id);

/** The application's `find:channels` template, checked to be of the documented form. */
const findChannelsTemplate = async (expect: ExpectStatic, s: Setup) => {
  const link = ApplicationResource.parse((await s.api.get(s.urls.app)).body)._links["find:channels"];
  expect(link).toEqual({ href: `${s.urls.channels}{?page,size,direct,members}`, templated: true });
  return link.href;
};

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
    expect(Object.keys(res.body).sort()).toEqual(["_links", "id", "type"]);
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
    for (const members of [[jane!._links.self.href, bogus], [{ href: jane!._links.self.href }, { href: bogus }]]) {
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
    expect(Object.keys(err.properties ?? {}).some((k) => k.startsWith("members")), JSON.stringify(err)).toBe(true);
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

  it("a user's channels: every OPEN and PUBLIC one, and the PRIVATE and DIRECT ones they belong to", async ({ expect }) => {
    const s = await setup();
    const [jane, john, carol] = await users(s, 3);
    const open = ChannelResource.parse(await s.createChannel("OPEN"));
    const pub = ChannelResource.parse(await s.createChannel("PUBLIC"));
    const priv = ChannelResource.parse(await s.createChannel("PRIVATE"));
    await s.api.post(priv._links.members!.href, { href: jane!._links.self.href });
    const janeJohn = ChannelResource.parse((await createDirect(s, hrefs([jane!, john!]))).body);
    const johnCarol = ChannelResource.parse((await createDirect(s, hrefs([john!, carol!]))).body);

    const janes = ChannelPage.parse((await s.api.get(jane!._links.channels.href)).body);
    expect(janes._embedded.channels.map((c) => c.id)).toEqual([open.id, pub.id, priv.id, janeJohn.id]);
    expect(janes.page.totalElements).toBe(4);
    expect(janes._embedded.channels.find((c) => c.id === janeJohn.id)).toEqual(janeJohn);
    expect(channelIds(await s.api.get(john!._links.channels.href))).toEqual([open.id, pub.id, janeJohn.id, johnCarol.id]);
    expect(channelIds(await s.api.get(carol!._links.channels.href))).toEqual([open.id, pub.id, johnCarol.id]);
  });
});

describe("find:channels (templated link: direct, members)", () => {
  /** jane, john, carol; a PUBLIC and an OPEN channel; PRIVATE {jane, john, carol}; PUBLIC {jane}; DIRECT {jane, john} and {jane, carol}. */
  const world = async () => {
    const s = await setup();
    const tag = crypto.randomUUID().slice(0, 8);
    const [jane, john, carol] = [`jane-${tag}`, `john-${tag}`, `carol-${tag}`];
    const u = {
      jane: UserResource.parse(await s.createUser(jane)),
      john: UserResource.parse(await s.createUser(john)),
      carol: UserResource.parse(await s.createUser(carol)),
    };
    const open = ChannelResource.parse(await s.createChannel("OPEN"));
    const pubEmpty = ChannelResource.parse(await s.createChannel("PUBLIC", "empty"));
    const privAll = ChannelResource.parse(await s.createChannel("PRIVATE", "all"));
    for (const x of [u.jane, u.john, u.carol]) await s.api.post(privAll._links.members!.href, { href: x._links.self.href });
    const pubJane = ChannelResource.parse(await s.createChannel("PUBLIC", "jane only"));
    await s.api.post(pubJane._links.members!.href, { href: u.jane._links.self.href });
    const janeJohn = ChannelResource.parse((await createDirect(s, hrefs([u.jane, u.john]))).body);
    const janeCarol = ChannelResource.parse((await createDirect(s, hrefs([u.jane, u.carol]))).body);
    return { s, names: { jane, john, carol }, u, ch: { open, pubEmpty, privAll, pubJane, janeJohn, janeCarol } };
  };

  it("direct=true lists only DIRECT channels; direct=false only the others", async ({ expect }) => {
    const { s, ch } = await world();
    const template = await findChannelsTemplate(expect, s);
    const direct = await s.api.get(expand(template, { direct: true }));
    expectHal(expect, direct);
    const page = ChannelPage.parse(direct.body);
    expect(page._embedded.channels).toEqual([ch.janeJohn, ch.janeCarol]);
    expect(page.page).toEqual({ size: 20, totalElements: 2, totalPages: 1, number: 0 });
    for (const rel of ["self", "first", "last"] as const) {
      expect(queryOf(page._links[rel].href), rel).toEqual({ direct: "true", page: "0", size: "20" });
    }
    expect(channelIds(await s.api.get(expand(template, { direct: false })))).toEqual([ch.open.id, ch.pubEmpty.id, ch.privAll.id, ch.pubJane.id]);
    expect(channelIds(await s.api.get(expand(template, {})))).toHaveLength(6);
  });

  it("members=a,b lists the channels whose members include all those names", async ({ expect }) => {
    const { s, names, ch } = await world();
    const template = await findChannelsTemplate(expect, s);
    const both = await s.api.get(expand(template, { members: `${names.jane},${names.john}` }));
    expectHal(expect, both);
    expect(channelIds(both)).toEqual([ch.privAll.id, ch.janeJohn.id]);
    expect(queryOf(ChannelPage.parse(both.body)._links.self.href)).toEqual({ members: `${names.jane},${names.john}`, page: "0", size: "20" });

    // order and repetition of names do not matter
    expect(channelIds(await s.api.get(expand(template, { members: `${names.john},${names.jane},${names.john}` })))).toEqual([ch.privAll.id, ch.janeJohn.id]);
    expect(channelIds(await s.api.get(expand(template, { members: names.jane })))).toEqual([
      ch.privAll.id,
      ch.pubJane.id,
      ch.janeJohn.id,
      ch.janeCarol.id,
    ]);
    expect(channelIds(await s.api.get(expand(template, { members: `${names.jane},${names.john},${names.carol}` })))).toEqual([ch.privAll.id]);
    expect(channelIds(await s.api.get(expand(template, { members: `${names.john},${names.carol}` })))).toEqual([ch.privAll.id]);
  });

  it("answers a name that is no user, or not a member, with an empty page", async ({ expect }) => {
    const { s, names } = await world();
    const template = await findChannelsTemplate(expect, s);
    for (const members of ["nobody", `${names.jane},nobody`, `${names.jane.toUpperCase()}`]) {
      const page = ChannelPage.parse((await s.api.get(expand(template, { members }))).body);
      expect(page._embedded.channels, members).toEqual([]);
      expect(page.page).toEqual({ size: 20, totalElements: 0, totalPages: 0, number: 0 });
    }
    const [lonely] = await users(s, 1, "lonely");
    expect(channelIds(await s.api.get(expand(template, { members: lonely!.name })))).toEqual([]);
  });

  it("combines direct and members, and pages the result", async ({ expect }) => {
    const { s, names, ch } = await world();
    const template = await findChannelsTemplate(expect, s);
    expect(channelIds(await s.api.get(expand(template, { direct: true, members: `${names.jane},${names.john}` })))).toEqual([ch.janeJohn.id]);
    expect(channelIds(await s.api.get(expand(template, { direct: false, members: `${names.jane},${names.john}` })))).toEqual([ch.privAll.id]);

    const p1 = ChannelPage.parse((await s.api.get(expand(template, { page: 1, size: 1, members: names.jane }))).body);
    expect(p1.page).toEqual({ size: 1, totalElements: 4, totalPages: 4, number: 1 });
    expect(p1._embedded.channels.map((c) => c.id)).toEqual([ch.pubJane.id]);
    expect(queryOf(p1._links.next!.href)).toEqual({ members: names.jane, page: "2", size: "1" });
    expect(queryOf(p1._links.prev!.href)).toEqual({ members: names.jane, page: "0", size: "1" });
  });

  it("does not find another application's channels through members of the same name", async ({ expect }) => {
    const { s, names } = await world();
    const b = await setup();
    const bJane = UserResource.parse(await b.createUser(names.jane));
    const bJohn = UserResource.parse(await b.createUser(names.john));
    const bDirect = ChannelResource.parse((await createDirect(b, hrefs([bJane, bJohn]))).body);
    const found = channelIds(await s.api.get(expand(await findChannelsTemplate(expect, s), { members: `${names.jane},${names.john}`, direct: true })));
    expect(found).not.toContain(bDirect.id);
    expect(found).toHaveLength(1);
    // b's find:channels with a's token
    expectError(expect, await s.api.get(expand(`${b.urls.channels}{?page,size,direct,members}`, { direct: true })), 404);
  });

  it.for(["yes", "1", "0", "TRUE", "True", ""])("refuses direct=%j with 400 naming direct", async (direct, { expect }) => {
    const s = await setup();
    expectInvalidField(expect, await s.api.get(`${s.urls.channels}?direct=${direct}`), "direct");
  });
});
