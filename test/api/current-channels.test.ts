/**
 * Channels in the current (token-scoped) form, `/v1/channels/…`: the same operations as the 2020
 * `/v1/applications/{id}/channels/…` (one channel, seen through both), ChatKitty's
 * `ChannelResource` (PUBLIC/PRIVATE with `name` and `displayName`, DIRECT with `members`, the
 * `creator`), members named by `{id}` or `{username}`, lists filtered by type, members, creation
 * time and properties (never OPEN), RFC 7396 merge patches, members, memberships and moderators.
 * Every JSON body of a current-form path validates against ChatKitty's schema for its operation.
 */
import { describe, type ExpectStatic, it } from "vitest";
import { setup, type Setup } from "../helpers/api";
import { expectError, expectHal, expectInvalidField, isIsoUtc } from "../helpers/checks";
import { chatKittyClient, expectChatKitty } from "../helpers/chatkitty-schema";

/** A fresh application whose `api` checks every current-form JSON answer against ChatKitty's schema; `raw` does not. */
const checkedSetup = async (expect: ExpectStatic) => {
  const s = await setup();
  return { ...s, raw: s.api, api: chatKittyClient(expect, s.api) };
};
type Checked = Awaited<ReturnType<typeof checkedSetup>>;

/** Users made through the current form, one after another (ids ascend in this order). */
const users = async (s: Setup, n: number, label = "u") => {
  const out = [];
  for (let i = 0; i < n; i++) {
    const res = await s.api.post("/v1/users", { name: `${label}${i}-${crypto.randomUUID()}` });
    if (res.status !== 201) throw new Error(`user: ${res.status} ${JSON.stringify(res.body)}`);
    out.push(res.body as { id: number; name: string });
  }
  return out;
};

const create = async (s: Setup, body: Record<string, unknown>, status = 201) => {
  const res = await s.api.post("/v1/channels", body);
  if (res.status !== status) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};

const ids = (res: { body: any }) => (res.body._embedded?.channels ?? res.body._embedded?.users ?? []).map((x: { id: number }) => x.id);

const mergePatch = (
  s: Setup,
  id: number,
  body: unknown,
  contentType = "application/json+merge-patch",
  headers: Record<string, string> = {},
) => s.api.call("PATCH", `/v1/channels/${id}`, body, { "Content-Type": contentType, ...headers });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("POST /v1/channels", () => {
  it.for(["application/json", "application/vnd.chatkitty+json"])(
    "creates a PUBLIC channel sent as %s: 201, Location, creator by username, members by id, properties kept",
    async (contentType, { expect }) => {
      const s = await checkedSetup(expect);
      const [creator, member] = await users(s, 2);
      const properties = { topic: "cats 🐱", nested: { n: [1, null, true] } };
      const res = await s.api.call(
        "POST",
        "/v1/channels",
        {
          type: "PUBLIC",
          name: "général",
          displayName: "Général 🐱",
          creator: { username: creator!.name },
          members: [{ id: member!.id }],
          properties,
        },
        { "Content-Type": contentType },
      );
      expectHal(expect, res, 201);
      const channel = expectChatKitty(expect, res, "POST /v1/channels");
      expect(channel).toMatchObject({ type: "PUBLIC", name: "général", displayName: "Général 🐱", properties });
      expect(channel.creator).toMatchObject({ id: creator!.id, name: creator!.name, isGuest: false });
      expect(channel.creator).not.toHaveProperty("_links");
      expect(channel).not.toHaveProperty("members");
      expect(isIsoUtc(channel.createdTime)).toBe(true);
      expect(res.headers.get("Location")).toBe(channel._links.self.href);
      // Links keep their 2020 form, as ChatKitty's own do; both forms show the same channel.
      expect(channel._links.self.href).toMatch(new RegExp(`/v1/applications/${s.app.id}/channels/${channel.id}$`));
      expect((await s.api.get(channel._links.self.href)).body).toEqual(channel);
      expect((await s.api.get(`/v1/channels/${channel.id}`)).body).toEqual(channel);
      // The creator became a member.
      expect(ids(await s.api.get(`/v1/channels/${channel.id}/members`))).toEqual([creator!.id, member!.id]);
    },
  );

  it.for(["PUBLIC", "PRIVATE"])(
    "names a %s channel created without a name with a UUID, and displays the name",
    async (type, { expect }) => {
      const s = await checkedSetup(expect);
      const a = await create(s, { type });
      const b = await create(s, { type });
      expect(a.name).toMatch(UUID);
      expect(a.name).not.toBe(b.name);
      expect(a.displayName).toBe(a.name);
      expect(a.properties).toEqual({});
    },
  );

  it("creates a DIRECT channel with members by id and by username, and returns it again (200) for the same set", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const [jane, john] = await users(s, 2);
    const res = await s.api.post("/v1/channels", { type: "DIRECT", members: [{ username: john!.name }, { id: jane!.id }] });
    expectHal(expect, res, 201);
    const direct = expectChatKitty(expect, res, "POST /v1/channels");
    expect(direct.members.map((m: { id: number }) => m.id)).toEqual([jane!.id, john!.id]);
    expect(direct.members[0]).toMatchObject({ type: "PERSON", presence: { status: "UNAVAILABLE", online: false } });
    expect(direct).not.toHaveProperty("name");
    const again = await s.api.post("/v1/channels", { type: "DIRECT", members: [{ id: john!.id }, { username: jane!.name }] });
    expectHal(expect, again, 200);
    expect(again.body.id).toBe(direct.id);
    // The 2020 form finds the same conversation, naming the users its way or the new ways.
    const viaHref = await s.api.post(s.urls.channels, {
      type: "DIRECT",
      members: [`${s.urls.users}/${jane!.id}`, { username: john!.name }],
    });
    expect(viaHref.status).toBe(200);
    expect(viaHref.body.id).toBe(direct.id);
  });

  it("keeps DIRECT bounds: 2 to 10 distinct members", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const many = await users(s, 11);
    expectInvalidField(expect, await s.api.post("/v1/channels", { type: "DIRECT", members: [{ id: many[0]!.id }] }), "members");
    expectInvalidField(
      expect,
      await s.api.post("/v1/channels", { type: "DIRECT", members: [{ id: many[0]!.id }, { username: many[0]!.name }] }),
      "members",
    );
    expectInvalidField(expect, await s.api.post("/v1/channels", { type: "DIRECT", members: many.map((u) => ({ id: u.id })) }), "members");
    expectInvalidField(expect, await s.api.post("/v1/channels", { type: "DIRECT" }), "members");
    expect((await s.api.post("/v1/channels", { type: "DIRECT", members: many.slice(0, 10).map((u) => ({ id: u.id })) })).status).toBe(201);
  });

  it("refuses unknown users, another application's users and malformed references with 400", async ({ expect }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    const [mine] = await users(a, 1);
    const [theirs] = await users(b, 1);
    const before = (await a.api.get("/v1/channels")).body.page.totalElements;
    for (const members of [[{ username: "nobody" }], [{ id: 999_999_999 }], [{ id: theirs!.id }], [{ username: theirs!.name }]]) {
      expectInvalidField(expect, await a.api.post("/v1/channels", { type: "PUBLIC", members: [{ id: mine!.id }, ...members] }), "members");
    }
    expectInvalidField(expect, await a.api.post("/v1/channels", { type: "PUBLIC", creator: { username: "nobody" } }), "creator");
    for (const members of [[{ id: "1" }], [{ id: -1 }], [{ username: "" }], [{ name: "x" }], [7], "x"]) {
      const res = await a.api.post("/v1/channels", { type: "PUBLIC", members });
      const body = expectError(expect, res, 400);
      expect(
        Object.keys(body.properties ?? {}).some((k) => k.startsWith("members")),
        JSON.stringify(body),
      ).toBe(true);
    }
    expect((await a.api.get("/v1/channels")).body.page.totalElements).toBe(before);
  });

  it("refuses OPEN and unknown types, and names and display names over 255 characters", async ({ expect }) => {
    const s = await checkedSetup(expect);
    for (const type of ["OPEN", "open", "", 1, null, undefined])
      expectInvalidField(expect, await s.api.post("/v1/channels", { type, name: "x" }), "type");
    expect((await create(s, { type: "PUBLIC", name: "c".repeat(255) })).name).toHaveLength(255);
    expectInvalidField(expect, await s.api.post("/v1/channels", { type: "PUBLIC", name: "c".repeat(256) }), "name");
    expectInvalidField(expect, await s.api.post("/v1/channels", { type: "PUBLIC", displayName: "🐱".repeat(128) }), "displayName");
    expectInvalidField(expect, await s.api.post("/v1/channels", { type: "PUBLIC", name: " " }), "name");
    expectInvalidField(expect, await s.api.post("/v1/channels", { type: "PUBLIC", properties: [] }), "properties");
    expectError(expect, await s.api.call("POST", "/v1/channels", "{", { "Content-Type": "application/json" }), 400);
    expectError(expect, await s.api.call("POST", "/v1/channels", "type=PUBLIC", { "Content-Type": "text/plain" }), 415);
  });
});

describe("GET /v1/channels", () => {
  it("lists PUBLIC, PRIVATE and DIRECT channels, never OPEN, in pages of 25 by default; an empty application has an empty page", async ({
    expect,
  }) => {
    const s = await checkedSetup(expect);
    const empty = await s.api.get("/v1/channels");
    expectHal(expect, empty);
    expect(empty.body._embedded.channels).toEqual([]);
    expect(empty.body.page).toEqual({ size: 25, totalElements: 0, totalPages: 0, number: 0 });
    const [jane, john] = await users(s, 2);
    const open = await s.raw.post(s.urls.channels, { type: "OPEN", name: "lobby" });
    expect(open.status).toBe(201);
    const pub = await create(s, { type: "PUBLIC" });
    const priv = await create(s, { type: "PRIVATE" });
    const direct = await create(s, { type: "DIRECT", members: [{ id: jane!.id }, { id: john!.id }] });
    const page = await s.api.get("/v1/channels");
    expect(ids(page)).toEqual([pub.id, priv.id, direct.id]);
    expect(page.body.page.totalElements).toBe(3);
    // The 2020 list still has every channel; an OPEN one is shown by id in the current form too.
    expect((await s.api.get(s.urls.channels)).body.page.totalElements).toBe(4);
    const openById = await s.raw.get(`/v1/channels/${open.body.id}`);
    expectHal(expect, openById);
    expect(openById.body).toMatchObject({ id: open.body.id, type: "OPEN", name: "lobby" });
  });

  it("pages with page, size and sort, keeping the query in its links", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await create(s, { type: "PUBLIC", name: `c${i}` }));
    const first = await s.api.get("/v1/channels?size=2&sort=id,desc");
    expect(ids(first)).toEqual([made[4].id, made[3].id]);
    expect(first.body._links.next.href).toContain("/v1/channels?");
    expect(first.body._links.next.href).toContain("sort=id%2Cdesc");
    expect(ids(await s.api.get(first.body._links.next.href))).toEqual([made[2].id, made[1].id]);
    expect(ids(await s.api.get("/v1/channels?sort=name,desc&size=1&page=1"))).toEqual([made[3].id]);
    expect(ids(await s.api.get("/v1/channels?sort=createdTime"))).toEqual(made.map((c) => c.id));
    for (const bad of ["sort=secret", "sort=id,sideways", "size=0", "page=-1"])
      expectError(expect, await s.api.get(`/v1/channels?${bad}`), 400);
  });

  it("filters by type, by members (repeated or comma-separated), and finds the DIRECT channel of exactly those users", async ({
    expect,
  }) => {
    const s = await checkedSetup(expect);
    const [jane, john, joe] = await users(s, 3);
    const pair = await create(s, { type: "DIRECT", members: [{ id: jane!.id }, { id: john!.id }] });
    const trio = await create(s, { type: "DIRECT", members: [{ id: jane!.id }, { id: john!.id }, { id: joe!.id }] });
    const group = await create(s, { type: "PRIVATE", members: [{ id: jane!.id }, { id: john!.id }] });
    const q = (query: string) => s.api.get(`/v1/channels?${query}`);
    const names = `members=${encodeURIComponent(jane!.name)}&members=${encodeURIComponent(john!.name)}`;
    expect(ids(await q(names))).toEqual([pair.id, trio.id, group.id]);
    expect(ids(await q(`members=${encodeURIComponent(`${jane!.name},${john!.name}`)}`))).toEqual([pair.id, trio.id, group.id]);
    expect(ids(await q(`type=DIRECT&${names}`))).toEqual([pair.id]);
    expect(ids(await q("type=DIRECT"))).toEqual([pair.id, trio.id]);
    expect(ids(await q("type=PRIVATE"))).toEqual([group.id]);
    expect(ids(await q(`members=${encodeURIComponent(joe!.name)}`))).toEqual([trio.id]);
    expect(ids(await q("members=nobody"))).toEqual([]);
    expectInvalidField(expect, await q("type=OPEN"), "type");
    expectInvalidField(expect, await q(Array.from({ length: 11 }, (_, i) => `members=u${i}`).join("&")), "members");
  });

  it("filters by creation time (startTime <= createdTime <= endTime) and by properties", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const made = [];
    for (const team of ["red", "blue", "blue"]) {
      made.push(await create(s, { type: "PUBLIC", properties: { team, n: made.length } }));
      await new Promise((r) => setTimeout(r, 5));
    }
    const [a, b, c] = made;
    const at = (t: string) => encodeURIComponent(t);
    expect(ids(await s.api.get(`/v1/channels?startTime=${at(b.createdTime)}`))).toEqual([b.id, c.id]);
    expect(ids(await s.api.get(`/v1/channels?endTime=${at(b.createdTime)}`))).toEqual([a.id, b.id]);
    expect(ids(await s.api.get(`/v1/channels?startTime=${at(b.createdTime)}&endTime=${at(b.createdTime)}`))).toEqual([b.id]);
    const props = (p: unknown) => s.api.get(`/v1/channels?properties=${encodeURIComponent(JSON.stringify(p))}`);
    expect(ids(await props({ team: "blue" }))).toEqual([b.id, c.id]);
    expect(ids(await props({ team: "blue", n: 2 }))).toEqual([c.id]);
    expect(ids(await props({ n: "2" }))).toEqual([]);
    for (const bad of ["startTime=yesterday", "endTime=2020-01-01", "properties=%5B%5D", "properties=nope"]) {
      expectError(expect, await s.api.get(`/v1/channels?${bad}`), 400);
    }
  });
});

describe("GET, PATCH and DELETE /v1/channels/{id}", () => {
  it("answers 404 for another application's channel and for ids that cannot be one, through every method", async ({ expect }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    const theirs = await create(b, { type: "PUBLIC", name: "theirs" });
    for (const id of [theirs.id, 999_999_999]) {
      expectError(expect, await a.api.get(`/v1/channels/${id}`), 404);
      expectError(expect, await mergePatch(a, id, { displayName: "hijack" }), 404);
      expectError(expect, await a.api.del(`/v1/channels/${id}`), 404);
      expectError(expect, await a.api.get(`/v1/channels/${id}/members`), 404);
      expectError(expect, await a.api.post(`/v1/channels/${id}/moderators`, { id: 1 }), 404);
    }
    expectError(expect, await a.raw.get("/v1/channels/abc"), 404);
    expect((await b.api.get(`/v1/channels/${theirs.id}`)).body).toEqual(theirs);
  });

  it.for(["application/json+merge-patch", "application/merge-patch+json", "application/json"])(
    "merge-patches displayName and properties sent as %s: null removes, properties merge key by key",
    async (contentType, { expect }) => {
      const s = await checkedSetup(expect);
      const channel = await create(s, { type: "PUBLIC", name: "general", properties: { keep: 1, drop: true, nested: { a: 1, b: 2 } } });
      const res = await mergePatch(
        s,
        channel.id,
        { displayName: "Général 🐱", properties: { drop: null, nested: { b: null, c: 3 }, added: "x" } },
        contentType,
      );
      expectHal(expect, res);
      const patched = expectChatKitty(expect, res, "PATCH /v1/channels/{id}");
      expect(patched).toMatchObject({ id: channel.id, name: "general", displayName: "Général 🐱" });
      expect(patched.properties).toEqual({ keep: 1, nested: { a: 1, c: 3 }, added: "x" });
      expect((await s.api.get(`/v1/channels/${channel.id}`)).body).toEqual(patched);
      const reset = (await mergePatch(s, channel.id, { displayName: null, properties: null }, contentType)).body;
      expect(reset).toMatchObject({ displayName: "general", properties: {} });
      // Nothing named: nothing changes.
      expect((await mergePatch(s, channel.id, {}, contentType)).body).toEqual(reset);
    },
  );

  it("refuses to change id, type or name, and invalid members, with 400 changing nothing; accepts them repeated", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const channel = await create(s, { type: "PRIVATE", name: "secret" });
    expectInvalidField(expect, await mergePatch(s, channel.id, { name: "other", displayName: "x" }), "name");
    expectInvalidField(expect, await mergePatch(s, channel.id, { type: "PUBLIC" }), "type");
    expectInvalidField(expect, await mergePatch(s, channel.id, { id: channel.id + 1 }), "id");
    expectInvalidField(expect, await mergePatch(s, channel.id, { displayName: "" }), "displayName");
    expectInvalidField(expect, await mergePatch(s, channel.id, { displayName: "d".repeat(256) }), "displayName");
    expectInvalidField(expect, await mergePatch(s, channel.id, { properties: "x" }), "properties");
    for (const body of ["[]", "null", "{"]) expectError(expect, await mergePatch(s, channel.id, body), 400);
    expectError(expect, await mergePatch(s, channel.id, '{"displayName":"x"}', "text/plain"), 415);
    expect((await s.api.get(`/v1/channels/${channel.id}`)).body).toEqual(channel);
    const same = await mergePatch(s, channel.id, { id: channel.id, type: "PRIVATE", name: "secret", displayName: "Secret" });
    expect(same.body.displayName).toBe("Secret");
  });

  it("honours If-Match on PATCH and DELETE: one tag for both forms, a stale one is 412", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const channel = await create(s, { type: "PUBLIC", name: "tagged" });
    const tag = (await s.api.get(`/v1/channels/${channel.id}`)).headers.get("ETag")!;
    expect((await s.api.get(channel._links.self.href)).headers.get("ETag")).toBe(tag);
    expectHal(expect, await mergePatch(s, channel.id, { displayName: "first" }, undefined, { "If-Match": tag }));
    expectError(expect, await mergePatch(s, channel.id, { displayName: "second" }, undefined, { "If-Match": tag }), 412);
    expectError(expect, await s.api.call("DELETE", `/v1/channels/${channel.id}`, undefined, { "If-Match": tag }), 412);
    expect((await s.api.get(`/v1/channels/${channel.id}`)).body.displayName).toBe("first");
    const current = (await s.api.get(`/v1/channels/${channel.id}`)).headers.get("ETag")!;
    expectHal(expect, await s.api.call("DELETE", `/v1/channels/${channel.id}`, undefined, { "If-Match": current }));
  });

  it("deletes a channel: 200 with the application, then 404 in both forms", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const channel = await create(s, { type: "PUBLIC" });
    const res = await s.api.del(`/v1/channels/${channel.id}`);
    expectHal(expect, res);
    expect(expectChatKitty(expect, res, "DELETE /v1/channels/{id}")).toMatchObject({ id: s.app.id, key: s.app.key, properties: {} });
    expectError(expect, await s.api.get(`/v1/channels/${channel.id}`), 404);
    expectError(expect, await s.api.get(channel._links.self.href), 404);
    expectError(expect, await s.api.del(`/v1/channels/${channel.id}`), 404);
  });
});

describe("members, memberships and moderators", () => {
  it("adds members by id and by username (twice: no change), lists and removes them", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const [jane, john] = await users(s, 2);
    const channel = await create(s, { type: "PRIVATE", name: "team" });
    const members = `/v1/channels/${channel.id}/members`;
    const added = await s.api.post(members, { id: john!.id });
    expectHal(expect, added);
    expect(expectChatKitty(expect, added, "POST /v1/channels/{id}/members").id).toBe(channel.id);
    expectHal(expect, await s.api.post(members, { username: jane!.name }));
    expectHal(expect, await s.api.post(members, { username: jane!.name }));
    const page = await s.api.get(`${members}?size=1`);
    expect(ids(page)).toEqual([jane!.id]);
    expect(page.body.page).toEqual({ size: 1, totalElements: 2, totalPages: 2, number: 0 });
    expect(page.body._links.next.href).toContain(`/v1/channels/${channel.id}/members?`);
    expect(ids(await s.api.get(`${members}?sort=id,desc`))).toEqual([john!.id, jane!.id]);
    // The 2020 form sees the same members, and takes the new references too.
    expect(ids(await s.api.get(channel._links.members.href))).toEqual([jane!.id, john!.id]);
    expectHal(expect, await s.api.del(`${members}/${john!.id}`));
    expectError(expect, await s.api.del(`${members}/${john!.id}`), 404);
    expect(ids(await s.api.get(members))).toEqual([jane!.id]);
    for (const body of [{}, { id: 1, username: "x" }, { username: "nobody" }, { id: "1" }])
      expectError(expect, await s.api.post(members, body), 400);
  });

  it("keeps a DIRECT channel's members fixed (400) and gives an OPEN channel no members list (404)", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const [jane, john, joe] = await users(s, 3);
    const direct = await create(s, { type: "DIRECT", members: [{ id: jane!.id }, { id: john!.id }] });
    expectError(expect, await s.api.post(`/v1/channels/${direct.id}/members`, { id: joe!.id }), 400);
    expectError(expect, await s.api.del(`/v1/channels/${direct.id}/members/${jane!.id}`), 400);
    expect(ids(await s.api.get(`/v1/channels/${direct.id}/members`))).toEqual([jane!.id, john!.id]);
    const open = (await s.raw.post(s.urls.channels, { type: "OPEN", name: "lobby" })).body;
    expectError(expect, await s.api.get(`/v1/channels/${open.id}/members`), 404);
    expectError(expect, await s.api.get(`/v1/channels/${open.id}/memberships`), 404);
    expectError(expect, await s.api.get(`/v1/channels/${open.id}/moderators`), 404);
  });

  it("lists memberships: when each member joined, with user, channel and member links", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const [jane, john] = await users(s, 2);
    const channel = await create(s, { type: "PUBLIC", members: [{ id: jane!.id }] });
    await new Promise((r) => setTimeout(r, 5));
    await s.api.post(`/v1/channels/${channel.id}/members`, { id: john!.id });
    const res = await s.api.get(`/v1/channels/${channel.id}/memberships`);
    expectHal(expect, res);
    const page = expectChatKitty(expect, res, "GET /v1/channels/{id}/memberships");
    const memberships = page._embedded.memberships;
    expect(memberships.map((m: any) => m._links.user.href)).toEqual([jane, john].map((u) => `${s.urls.users}/${u!.id}`));
    expect(memberships[0]._links.member.href).toBe(`${s.urls.channels}/${channel.id}/members/${jane!.id}`);
    expect(Date.parse(memberships[0].createdTime)).toBeLessThan(Date.parse(memberships[1].createdTime));
    const newest = await s.api.get(`/v1/channels/${channel.id}/memberships?sort=createdTime,desc`);
    expect(newest.body._embedded.memberships[0]._links.user.href).toBe(`${s.urls.users}/${john!.id}`);
  });

  it("adds moderators (a non-member becomes a member), lists and removes them; leaving ends the role", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const [jane, john] = await users(s, 2);
    const channel = await create(s, { type: "PUBLIC", members: [{ id: jane!.id }] });
    const moderators = `/v1/channels/${channel.id}/moderators`;
    expectHal(expect, await s.api.get(moderators));
    expect(ids(await s.api.get(moderators))).toEqual([]);
    const added = await s.api.post(moderators, { username: john!.name });
    expectHal(expect, added);
    expect(expectChatKitty(expect, added, "POST /v1/channels/{id}/moderators")).toMatchObject({ id: john!.id, name: john!.name });
    expectHal(expect, await s.api.post(moderators, { id: jane!.id }));
    expect(ids(await s.api.get(moderators))).toEqual([jane!.id, john!.id]);
    expect(ids(await s.api.get(`/v1/channels/${channel.id}/members`))).toEqual([jane!.id, john!.id]);
    const removed = await s.api.del(`${moderators}/${jane!.id}`);
    expect(expectChatKitty(expect, removed, "DELETE /v1/channels/{id}/moderators/{user_id}").id).toBe(channel.id);
    expectError(expect, await s.api.del(`${moderators}/${jane!.id}`), 404);
    expect(ids(await s.api.get(`/v1/channels/${channel.id}/members`))).toEqual([jane!.id, john!.id]);
    // Leaving the channel ends the role; joining again does not bring it back.
    await s.api.del(`/v1/channels/${channel.id}/members/${john!.id}`);
    await s.api.post(`/v1/channels/${channel.id}/members`, { id: john!.id });
    expect(ids(await s.api.get(moderators))).toEqual([]);
    expectError(expect, await s.api.post(moderators, { username: "nobody" }), 400);
  });

  it("makes a DIRECT channel's member a moderator, but not an outsider (its members never change)", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const [jane, john, joe] = await users(s, 3);
    const direct = await create(s, { type: "DIRECT", members: [{ id: jane!.id }, { id: john!.id }] });
    expectHal(expect, await s.api.post(`/v1/channels/${direct.id}/moderators`, { id: jane!.id }));
    expectError(expect, await s.api.post(`/v1/channels/${direct.id}/moderators`, { id: joe!.id }), 400);
    expect(ids(await s.api.get(`/v1/channels/${direct.id}/moderators`))).toEqual([jane!.id]);
  });
});

describe("the current form's channels and a user's channels agree", () => {
  it("lists a user's created or joined channels with the same representation as GET /v1/channels/{id}", async ({ expect }) => {
    const s: Checked = await checkedSetup(expect);
    const [jane] = await users(s, 1);
    const mine = await create(s, { type: "PRIVATE", creator: { id: jane!.id } });
    const listed = (await s.api.get(`/v1/users/${jane!.id}/channels`)).body._embedded.channels;
    expect(listed).toEqual([mine]);
    expect(listed[0].creator.id).toBe(jane!.id);
  });
});
