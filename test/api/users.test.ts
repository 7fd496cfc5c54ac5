import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { createDb } from "../../src/db/client";
import { channelMembers, users as usersTable } from "../../src/db/schema";
import { ApplicationResource } from "../../src/api/applications/applications.schemas";
import { ChannelPage } from "../../src/api/channels/channels.schemas";
import { UserPage, UserResource } from "../../src/api/users/users.schemas";
import { ORIGIN, setup } from "../helpers/api";
import { expectError, expectHal, expectInvalidField, queryOf } from "../helpers/checks";

/** Creates `n` users one after another (so ids ascend in this order) and returns them. */
const createUsers = async (createUser: (name?: string) => Promise<any>, n: number) => {
  const out: UserResource[] = [];
  for (let i = 0; i < n; i++) out.push(UserResource.parse(await createUser(`u${i}-${crypto.randomUUID()}`)));
  return out;
};

describe("POST /v1/applications/{id}/users", () => {
  it("creates a user: 201, Location = self href, body and absolute links", async ({ expect }) => {
    const { api, urls, app } = await setup();
    const res = await api.post(urls.users, { name: "37282832193" });
    expectHal(expect, res, 201);
    const user = UserResource.parse(res.body);
    expect(user.name).toBe("37282832193");
    // displayName defaults to the name; a user created by the back end is not a guest
    expect(user.displayName).toBe("37282832193");
    expect(user.isGuest).toBe(false);
    expect(Number.isSafeInteger(user.id) && user.id > 0).toBe(true);
    const self = `${ORIGIN}/v1/applications/${app.id}/users/${user.id}`;
    expect(res.headers.get("Location")).toBe(self);
    expect(user._links).toEqual({
      self: { href: self },
      channels: { href: `${self}/channels` },
      tokens: { href: `${self}/tokens` },
      application: { href: `${ORIGIN}/v1/applications/${app.id}` },
    });
    expect(Object.keys(res.body).sort()).toEqual(["_links", "displayName", "id", "isGuest", "name"]);
  });

  it("builds every href from the origin the request came in on", async ({ expect }) => {
    const { api, app } = await setup();
    const origin = "https://chat.other-host.example:8443";
    const res = await api.post(`${origin}/v1/applications/${app.id}/users`, { name: "origin-check" });
    expectHal(expect, res, 201);
    const user = UserResource.parse(res.body);
    expect(res.headers.get("Location")).toBe(`${origin}/v1/applications/${app.id}/users/${user.id}`);
    for (const l of Object.values(user._links)) expect(l.href.startsWith(`${origin}/v1/applications/${app.id}`)).toBe(true);
  });

  it("gives ascending ids in creation order", async ({ expect }) => {
    const { createUser } = await setup();
    const [a, b, c] = await createUsers(createUser, 3);
    expect(a!.id).toBeLessThan(b!.id);
    expect(b!.id).toBeLessThan(c!.id);
  });

  it.for([
    ["emoji", "Zoë 🐱‍👤🏳️‍🌈 👋🏽"],
    ["CJK and RTL", "李雷 和 韩梅梅 — مرحبا"],
    ["combining marks (not normalized)", "e\u0301 vs \u00e9"],
    ["surrounding whitespace (not trimmed)", "  padded\tname  "],
    ["quotes and backslashes", `she said "hi" \\ 'ok' <b>&amp;</b>`],
  ])("stores a %s name exactly", async ([_label, name], { expect }) => {
    const { api, urls } = await setup();
    const created = await api.post(urls.users, { name });
    expectHal(expect, created, 201);
    expect(UserResource.parse(created.body).name).toBe(name);
    const fetched = await api.get(created.body._links.self.href);
    expectHal(expect, fetched);
    expect(UserResource.parse(fetched.body).name).toBe(name);
  });

  it("accepts a name of exactly 255 characters", async ({ expect }) => {
    const { api, urls } = await setup();
    const name = "n".repeat(255);
    const res = await api.post(urls.users, { name });
    expectHal(expect, res, 201);
    expect(UserResource.parse(res.body).name).toBe(name);
  });

  it("refuses a name of 256 characters with 400 naming the field", async ({ expect }) => {
    const { api, urls } = await setup();
    expectInvalidField(expect, await api.post(urls.users, { name: "n".repeat(256) }), "name");
  });

  it("counts the length as String.length (an emoji counts 2)", async ({ expect }) => {
    const { api, urls } = await setup();
    expectHal(expect, await api.post(urls.users, { name: `${"😀".repeat(127)}a` }), 201); // length 255
    expectInvalidField(expect, await api.post(urls.users, { name: "😀".repeat(128) }), "name"); // length 256
  });

  it.for([
    ["missing", {}],
    ["empty", { name: "" }],
    ["blank (spaces)", { name: "   " }],
    ["blank (tabs and newlines)", { name: "\t\n \r" }],
    ["a number", { name: 42 }],
    ["null", { name: null }],
    ["a boolean", { name: true }],
    ["an array", { name: ["jane"] }],
    ["an object", { name: { first: "jane" } }],
  ])("refuses a %s name with 400 naming the field", async ([_label, body], { expect }) => {
    const { api, urls } = await setup();
    const err = expectInvalidField(expect, await api.post(urls.users, body), "name");
    expect(err.message).toContain("name");
    const list = await api.get(urls.users);
    expect(UserPage.parse(list.body).page.totalElements).toBe(0);
  });

  it("refuses a duplicate name in the same application with 409 DuplicateResourceError", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    await createUser("jane");
    const res = await api.post(urls.users, { name: "jane" });
    expectError(expect, res, 409, "DuplicateResourceError");
    expect(UserPage.parse((await api.get(urls.users)).body).page.totalElements).toBe(1);
  });

  it("treats uniqueness as an exact match (case and whitespace differ: both allowed)", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    await createUser("jane");
    expectHal(expect, await api.post(urls.users, { name: "Jane" }), 201);
    expectHal(expect, await api.post(urls.users, { name: "jane " }), 201);
  });

  it("allows the same name in another application", async ({ expect }) => {
    const a = await setup();
    const b = await setup();
    await a.createUser("shared-name");
    const res = await b.api.post(b.urls.users, { name: "shared-name" });
    expectHal(expect, res, 201);
    expect(UserResource.parse(res.body).name).toBe("shared-name");
  });

  it("answers 10 concurrent creates of one name with exactly one 201 and nine 409", async ({ expect }) => {
    const { api, urls } = await setup();
    const results = await Promise.all(Array.from({ length: 10 }, () => api.post(urls.users, { name: "racer" })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of results.filter((r) => r.status === 409)) expectError(expect, r, 409, "DuplicateResourceError");
    const page = UserPage.parse((await api.get(urls.users)).body);
    expect(page._embedded.users.map((u) => u.name)).toEqual(["racer"]);
  });
});

describe("GET and DELETE /v1/applications/{id}/users/{userId}", () => {
  it("gets a user as created", async ({ expect }) => {
    const { api, createUser } = await setup();
    const created = UserResource.parse(await createUser("getme"));
    const res = await api.get(created._links.self.href);
    expectHal(expect, res);
    expect(UserResource.parse(res.body)).toEqual(created);
  });

  it("deletes a user: 200 with the application resource, then the user is 404", async ({ expect }) => {
    const { api, app, createUser } = await setup();
    const user = UserResource.parse(await createUser());
    const res = await api.del(user._links.self.href);
    expectHal(expect, res);
    const application = ApplicationResource.parse(res.body);
    expect(application).toEqual({
      id: app.id,
      name: app.name,
      key: app.key,
      requireAuthenticatedSessions: false,
      _links: {
        self: { href: `${ORIGIN}/v1/applications/${app.id}` },
        users: { href: `${ORIGIN}/v1/applications/${app.id}/users` },
        channels: { href: `${ORIGIN}/v1/applications/${app.id}/channels` },
        messages: { href: `${ORIGIN}/v1/applications/${app.id}/messages` },
        "find:users": { href: `${ORIGIN}/v1/applications/${app.id}/users{?page,size,name}`, templated: true },
        "find:channels": { href: `${ORIGIN}/v1/applications/${app.id}/channels{?page,size,direct,members}`, templated: true },
      },
    });
    expectError(expect, await api.get(user._links.self.href), 404);
    expectError(expect, await api.get(user._links.channels.href), 404);
  });

  it("answers a second delete of the same user with 404", async ({ expect }) => {
    const { api, createUser } = await setup();
    const user = UserResource.parse(await createUser());
    expectHal(expect, await api.del(user._links.self.href));
    expectError(expect, await api.del(user._links.self.href), 404);
  });

  it("frees the name of a deleted user", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    const user = UserResource.parse(await createUser("reused"));
    await api.del(user._links.self.href);
    const again = await api.post(urls.users, { name: "reused" });
    expectHal(expect, again, 201);
    expect(UserResource.parse(again.body).id).not.toBe(user.id);
  });

  it("answers 404 for an id that is not a user of this application", async ({ expect }) => {
    const a = await setup();
    const b = await setup();
    const bUser = UserResource.parse(await b.createUser());
    expectError(expect, await a.api.get(`${a.urls.users}/${bUser.id}`), 404);
    expectError(expect, await a.api.del(`${a.urls.users}/${bUser.id}`), 404);
    // b's user is untouched
    expectHal(expect, await b.api.get(bUser._links.self.href));
  });

  it.for(["abc", "0", "-1", "1.5", "1e3", "99999999999999999999"])("answers 404 for the non-id /users/%s", async (id, { expect }) => {
    const { api, urls } = await setup();
    expectError(expect, await api.get(`${urls.users}/${id}`), 404);
    expectError(expect, await api.del(`${urls.users}/${id}`), 404);
    expectError(expect, await api.get(`${urls.users}/${id}/channels`), 404);
  });
});

describe("GET /v1/applications/{id}/users (numbered pages)", () => {
  it("serves pages of 20 by default, ascending id", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    const users = await createUsers(createUser, 21);
    const res = await api.get(urls.users);
    expectHal(expect, res);
    const page = UserPage.parse(res.body);
    expect(page.page).toEqual({ size: 20, totalElements: 21, totalPages: 2, number: 0 });
    expect(page._embedded.users.map((u) => u.id)).toEqual(users.slice(0, 20).map((u) => u.id));
    expect(page._links.self.href).toBe(`${urls.users}?page=0&size=20`);
    expect(page._links.next?.href).toBe(`${urls.users}?page=1&size=20`);
    expect(page._links.last.href).toBe(`${urls.users}?page=1&size=20`);
    expect(page._links.prev).toBeUndefined();
  });

  it("links first/prev/self/next/last as the seed's example (6 users, size 2)", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    const users = await createUsers(createUser, 6);
    const at = (n: number) => ({ href: `${urls.users}?page=${n}&size=2` });

    const p0 = UserPage.parse((await api.get(`${urls.users}?size=2`)).body);
    expect(p0.page).toEqual({ size: 2, totalElements: 6, totalPages: 3, number: 0 });
    expect(p0._links).toEqual({ first: at(0), self: at(0), next: at(1), last: at(2) });

    const r1 = await api.get(`${urls.users}?page=1&size=2`);
    expectHal(expect, r1);
    const p1 = UserPage.parse(r1.body);
    expect(p1.page).toEqual({ size: 2, totalElements: 6, totalPages: 3, number: 1 });
    expect(p1._links).toEqual({ first: at(0), prev: at(0), self: at(1), next: at(2), last: at(2) });

    const p2 = UserPage.parse((await api.get(`${urls.users}?page=2&size=2`)).body);
    expect(p2.page).toEqual({ size: 2, totalElements: 6, totalPages: 3, number: 2 });
    expect(p2._links).toEqual({ first: at(0), prev: at(1), self: at(2), last: at(2) });

    const seen = [p0, p1, p2].flatMap((p) => p._embedded.users.map((u) => u.id));
    expect(seen).toEqual(users.map((u) => u.id));
  });

  it("visits every user exactly once by following next links", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    const users = await createUsers(createUser, 7);
    const seen: number[] = [];
    let href: string | undefined = `${urls.users}?size=3`;
    let pages = 0;
    while (href && pages < 10) {
      const page = UserPage.parse((await api.get(href)).body);
      seen.push(...page._embedded.users.map((u) => u.id));
      href = page._links.next?.href;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(users.map((u) => u.id));
  });

  it("answers a page past the end with 200, an empty array, and prev at the last page", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    await createUsers(createUser, 6);
    const res = await api.get(`${urls.users}?page=5&size=2`);
    expectHal(expect, res);
    const page = UserPage.parse(res.body);
    expect(page._embedded.users).toEqual([]);
    expect(page.page).toEqual({ size: 2, totalElements: 6, totalPages: 3, number: 5 });
    expect(page._links.prev?.href).toBe(`${urls.users}?page=2&size=2`);
    expect(page._links.next).toBeUndefined();
    expect(page._links.first.href).toBe(`${urls.users}?page=0&size=2`);
    expect(page._links.last.href).toBe(`${urls.users}?page=2&size=2`);
    expect(page._links.self.href).toBe(`${urls.users}?page=5&size=2`);
  });

  it("answers a very large page number with 200 and an empty array", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    await createUser();
    const res = await api.get(`${urls.users}?page=999999999999999&size=100`);
    expectHal(expect, res);
    const page = UserPage.parse(res.body);
    expect(page._embedded.users).toEqual([]);
    expect(page.page).toEqual({ size: 100, totalElements: 1, totalPages: 1, number: 999999999999999 });
    expect(page._links.prev?.href).toBe(`${urls.users}?page=0&size=100`);
  });

  it("describes an empty collection: 0 elements, 0 pages, first/last at page 0", async ({ expect }) => {
    const { api, urls } = await setup();
    const res = await api.get(urls.users);
    expectHal(expect, res);
    const page = UserPage.parse(res.body);
    expect(page._embedded).toEqual({ users: [] });
    expect(page.page).toEqual({ size: 20, totalElements: 0, totalPages: 0, number: 0 });
    expect(page._links).toEqual({
      first: { href: `${urls.users}?page=0&size=20` },
      self: { href: `${urls.users}?page=0&size=20` },
      last: { href: `${urls.users}?page=0&size=20` },
    });
  });

  it("serves size=5000 as 100 and links carry size=100", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    await createUsers(createUser, 2);
    const res = await api.get(`${urls.users}?size=5000`);
    expectHal(expect, res);
    const page = UserPage.parse(res.body);
    expect(page.page).toEqual({ size: 100, totalElements: 2, totalPages: 1, number: 0 });
    for (const l of [page._links.self, page._links.first, page._links.last]) expect(queryOf(l.href).size).toBe("100");
  });

  it("serves exactly 100 users on a page of size 100", async ({ expect }) => {
    const { api, urls, app } = await setup();
    const db = createDb(env.DB);
    const rows = Array.from({ length: 101 }, (_, i) => ({ applicationId: app.id, name: `bulk-${i}` }));
    // D1 caps bound parameters per statement, so insert in slices.
    for (let i = 0; i < rows.length; i += 25) await db.insert(usersTable).values(rows.slice(i, i + 25));
    const page = UserPage.parse((await api.get(`${urls.users}?size=1000`)).body);
    expect(page._embedded.users).toHaveLength(100);
    expect(page.page).toEqual({ size: 100, totalElements: 101, totalPages: 2, number: 0 });
  });

  it.for([
    ["page=-1", "page"],
    ["page=1.5", "page"],
    ["page=abc", "page"],
    ["size=0", "size"],
    ["size=-1", "size"],
    ["size=1.5", "size"],
    ["size=abc", "size"],
  ] as const)("refuses ?%s with 400 naming the parameter", async ([query, field], { expect }) => {
    const { api, urls } = await setup();
    expectInvalidField(expect, await api.get(`${urls.users}?${query}`), field);
  });

  it("keeps other query parameters in every link", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    await createUsers(createUser, 5);
    const res = await api.get(`${urls.users}?foo=bar&page=1&size=2&sort=name`);
    expectHal(expect, res);
    const page = UserPage.parse(res.body);
    const expected = { first: "0", prev: "0", self: "1", next: "2", last: "2" } as const;
    for (const [rel, n] of Object.entries(expected)) {
      const l = page._links[rel as keyof typeof expected];
      expect(l, rel).toBeDefined();
      expect(l!.href.startsWith(`${urls.users}?`)).toBe(true);
      expect(queryOf(l!.href), rel).toEqual({ foo: "bar", sort: "name", page: n, size: "2" });
    }
  });
});

describe("GET /v1/applications/{id}/users/{userId}/channels", () => {
  it("lists every OPEN and PUBLIC channel and the PRIVATE ones the user is a member of", async ({ expect }) => {
    const { api, app, createUser, createChannel } = await setup();
    const member = UserResource.parse(await createUser("member"));
    const outsider = UserResource.parse(await createUser("outsider"));
    const open = await createChannel("OPEN", "open");
    const pub = await createChannel("PUBLIC", "public");
    const privJoined = await createChannel("PRIVATE", "private-joined");
    const privOther = await createChannel("PRIVATE", "private-other");
    const db = createDb(env.DB);
    await db.insert(channelMembers).values([
      { channelId: privJoined.id, userId: member.id, applicationId: app.id },
      // a PUBLIC membership must not list the channel twice
      { channelId: pub.id, userId: member.id, applicationId: app.id },
    ]);

    const res = await api.get(member._links.channels.href);
    expectHal(expect, res);
    const page = ChannelPage.parse(res.body);
    expect(page._embedded.channels.map((c) => c.id)).toEqual([open.id, pub.id, privJoined.id]);
    expect(page.page).toEqual({ size: 20, totalElements: 3, totalPages: 1, number: 0 });
    expect(page._links.self.href).toBe(`${member._links.channels.href}?page=0&size=20`);

    const other = ChannelPage.parse((await api.get(outsider._links.channels.href)).body);
    expect(other._embedded.channels.map((c) => c.id)).toEqual([open.id, pub.id]);
    expect(other._embedded.channels.map((c) => c.id)).not.toContain(privOther.id);
  });

  it("pages a user's channels with links on the user's collection", async ({ expect }) => {
    const { api, createUser, createChannel } = await setup();
    const user = UserResource.parse(await createUser());
    for (let i = 0; i < 3; i++) await createChannel("PUBLIC", `c${i}`);
    const base = user._links.channels.href;
    const page = ChannelPage.parse((await api.get(`${base}?page=1&size=2`)).body);
    expect(page.page).toEqual({ size: 2, totalElements: 3, totalPages: 2, number: 1 });
    expect(page._embedded.channels).toHaveLength(1);
    expect(page._links.prev?.href).toBe(`${base}?page=0&size=2`);
    expect(page._links.next).toBeUndefined();
  });

  it("does not list another application's channels", async ({ expect }) => {
    const a = await setup();
    const b = await setup();
    await b.createChannel("OPEN", "b-open");
    await b.createChannel("PUBLIC", "b-public");
    const user = UserResource.parse(await a.createUser());
    const page = ChannelPage.parse((await a.api.get(user._links.channels.href)).body);
    expect(page._embedded.channels).toEqual([]);
    expect(page.page.totalElements).toBe(0);
  });

  it("answers 404 for an unknown user", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    const user = UserResource.parse(await createUser());
    await api.del(user._links.self.href);
    expectError(expect, await api.get(`${urls.users}/${user.id}/channels`), 404);
  });

  it("refuses invalid page parameters with 400", async ({ expect }) => {
    const { api, createUser } = await setup();
    const user = UserResource.parse(await createUser());
    expectInvalidField(expect, await api.get(`${user._links.channels.href}?size=0`), "size");
  });
});
