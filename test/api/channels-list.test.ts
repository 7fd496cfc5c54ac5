/**
 * Listing an application's channels: numbered pages (sizes, bounds, only this application's) and
 * the application's templated `find:channels` link, which filters by `direct` and by the names of
 * members (all of them), with page and size.
 */
import { describe, it, type ExpectStatic } from "vitest";
import { ApplicationResource } from "../../src/api/applications/applications.schemas";
import { ChannelPage, ChannelResource } from "../../src/api/channels/channels.schemas";
import { UserResource } from "../../src/api/users/users.schemas";
import { setup, type Setup } from "../helpers/api";
import { expectError, expectHal, expectInvalidField, queryOf } from "../helpers/checks";
import { channelIds, createDirect, expand, hrefs, users } from "../helpers/resources";

const TYPES = ["OPEN", "PUBLIC", "PRIVATE"] as const;

/** The application's `find:channels` template, checked to be of the documented form. */
const findChannelsTemplate = async (expect: ExpectStatic, s: Setup) => {
  const link = ApplicationResource.parse((await s.api.get(s.urls.app)).body)._links["find:channels"];
  expect(link).toEqual({ href: `${s.urls.channels}{?page,size,direct,members}`, templated: true });
  return link.href;
};

describe("GET /v1/applications/{id}/channels", () => {
  it("pages channels in ascending id with numbered-page links", async ({ expect }) => {
    const { api, urls, createChannel } = await setup();
    const made: number[] = [];
    for (const type of [...TYPES, "PUBLIC", "OPEN"] as const) made.push((await createChannel(type, `ch-${made.length}`)).id);
    const at = (n: number) => ({ href: `${urls.channels}?page=${n}&size=2` });

    const first = await api.get(`${urls.channels}?size=2`);
    expectHal(expect, first);
    const p0 = ChannelPage.parse(first.body);
    expect(p0.page).toEqual({ size: 2, totalElements: 5, totalPages: 3, number: 0 });
    expect(p0._links).toEqual({ first: at(0), self: at(0), next: at(1), last: at(2) });

    const p1 = ChannelPage.parse((await api.get(p0._links.next!.href)).body);
    expect(p1._links).toEqual({ first: at(0), prev: at(0), self: at(1), next: at(2), last: at(2) });
    const p2 = ChannelPage.parse((await api.get(p1._links.next!.href)).body);
    expect(p2._links).toEqual({ first: at(0), prev: at(1), self: at(2), last: at(2) });
    expect(p2._embedded.channels).toHaveLength(1);

    expect([p0, p1, p2].flatMap((p) => p._embedded.channels.map((c) => c.id))).toEqual(made);
  });

  it("serves 20 per page by default and an empty collection with 0 pages", async ({ expect }) => {
    const { api, urls } = await setup();
    const page = ChannelPage.parse((await api.get(urls.channels)).body);
    expect(page._embedded).toEqual({ channels: [] });
    expect(page.page).toEqual({ size: 20, totalElements: 0, totalPages: 0, number: 0 });
    expect(page._links).toEqual({
      first: { href: `${urls.channels}?page=0&size=20` },
      self: { href: `${urls.channels}?page=0&size=20` },
      last: { href: `${urls.channels}?page=0&size=20` },
    });
  });

  it("answers a page past the end with an empty array and prev at the last page", async ({ expect }) => {
    const { api, urls, createChannel } = await setup();
    await createChannel("PUBLIC", "a");
    const page = ChannelPage.parse((await api.get(`${urls.channels}?page=3`)).body);
    expect(page._embedded.channels).toEqual([]);
    expect(page._links.prev?.href).toBe(`${urls.channels}?page=0&size=20`);
    expect(page._links.next).toBeUndefined();
  });

  it("serves size=5000 as 100", async ({ expect }) => {
    const { api, urls } = await setup();
    const page = ChannelPage.parse((await api.get(`${urls.channels}?size=5000`)).body);
    expect(page.page.size).toBe(100);
    expect(page._links.self.href).toBe(`${urls.channels}?page=0&size=100`);
  });

  it.for(["page=-1", "page=1.5", "page=x", "size=0", "size=2.5", "size=x"])("refuses ?%s with 400", async (q, { expect }) => {
    const { api, urls } = await setup();
    expectInvalidField(expect, await api.get(`${urls.channels}?${q}`), q.split("=")[0]!);
  });

  it("lists only this application's channels", async ({ expect }) => {
    const a = await setup();
    const b = await setup();
    const mine = await a.createChannel("PUBLIC", "mine");
    await b.createChannel("PUBLIC", "theirs");
    const page = ChannelPage.parse((await a.api.get(a.urls.channels)).body);
    expect(page._embedded.channels.map((c) => c.id)).toEqual([mine.id]);
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
    expect(channelIds(await s.api.get(expand(template, { direct: false })))).toEqual([
      ch.open.id,
      ch.pubEmpty.id,
      ch.privAll.id,
      ch.pubJane.id,
    ]);
    expect(channelIds(await s.api.get(expand(template, {})))).toHaveLength(6);
  });

  it("members=a,b lists the channels whose members include all those names", async ({ expect }) => {
    const { s, names, ch } = await world();
    const template = await findChannelsTemplate(expect, s);
    const both = await s.api.get(expand(template, { members: `${names.jane},${names.john}` }));
    expectHal(expect, both);
    expect(channelIds(both)).toEqual([ch.privAll.id, ch.janeJohn.id]);
    expect(queryOf(ChannelPage.parse(both.body)._links.self.href)).toEqual({
      members: `${names.jane},${names.john}`,
      page: "0",
      size: "20",
    });

    // order and repetition of names do not matter
    expect(channelIds(await s.api.get(expand(template, { members: `${names.john},${names.jane},${names.john}` })))).toEqual([
      ch.privAll.id,
      ch.janeJohn.id,
    ]);
    expect(channelIds(await s.api.get(expand(template, { members: names.jane })))).toEqual([
      ch.privAll.id,
      ch.pubJane.id,
      ch.janeJohn.id,
      ch.janeCarol.id,
    ]);
    expect(channelIds(await s.api.get(expand(template, { members: `${names.jane},${names.john},${names.carol}` })))).toEqual([
      ch.privAll.id,
    ]);
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
    expect(channelIds(await s.api.get(expand(template, { direct: true, members: `${names.jane},${names.john}` })))).toEqual([
      ch.janeJohn.id,
    ]);
    expect(channelIds(await s.api.get(expand(template, { direct: false, members: `${names.jane},${names.john}` })))).toEqual([
      ch.privAll.id,
    ]);

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
    const found = channelIds(
      await s.api.get(expand(await findChannelsTemplate(expect, s), { members: `${names.jane},${names.john}`, direct: true })),
    );
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
