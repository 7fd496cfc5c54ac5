/**
 * Listing an application's users: numbered pages (sizes, bounds, links that keep other query
 * parameters) and the application's templated `find:users` link (exact name, with page and size).
 */
import { env } from "cloudflare:workers";
import { describe, it, type ExpectStatic } from "vitest";
import { createDb, openSession } from "../../src/db/client";
import { users as usersTable } from "../../src/db/schema";
import { ApplicationResource } from "../../src/api/applications/applications.schemas";
import { UserPage, UserResource } from "../../src/api/users/users.schemas";
import { setup, type Client } from "../helpers/api";
import { expectError, expectHal, expectInvalidField, queryOf } from "../helpers/checks";
import { createUsers, expand } from "../helpers/resources";

/** The application's `find:users` link, checked to be a templated link of the documented form. */
const findUsersTemplate = async (expect: ExpectStatic, api: Client, appUrl: string) => {
  const res = await api.get(appUrl);
  expectHal(expect, res);
  const link = ApplicationResource.parse(res.body)._links["find:users"];
  expect(link).toEqual({ href: `${appUrl}/users{?page,size,name}`, templated: true });
  return link.href;
};

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
    const db = createDb(openSession(env.DB));
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

describe("find:users (templated link, exact name)", () => {
  it("finds exactly the user with that name, by expanding the template", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    const template = await findUsersTemplate(expect, api, urls.app);
    await createUser("alice");
    const jane = UserResource.parse(await createUser("jane"));
    await createUser("Jane");
    await createUser("jane ");
    await createUser("janet");

    const href = expand(template, { name: "jane" });
    expect(href).toBe(`${urls.users}?name=jane`);
    const res = await api.get(href);
    expectHal(expect, res);
    const page = UserPage.parse(res.body);
    expect(page._embedded.users).toEqual([jane]);
    expect(page.page).toEqual({ size: 20, totalElements: 1, totalPages: 1, number: 0 });
    for (const rel of ["self", "first", "last"] as const) {
      expect(queryOf(page._links[rel].href), rel).toEqual({ name: "jane", page: "0", size: "20" });
      expect(page._links[rel].href.startsWith(`${urls.users}?`)).toBe(true);
    }
  });

  it("answers an unknown name with an empty page", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    await createUser("jane");
    const page = UserPage.parse((await api.get(expand(await findUsersTemplate(expect, api, urls.app), { name: "nobody" }))).body);
    expect(page._embedded.users).toEqual([]);
    expect(page.page).toEqual({ size: 20, totalElements: 0, totalPages: 0, number: 0 });
  });

  it("matches names needing percent-encoding exactly", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    const template = await findUsersTemplate(expect, api, urls.app);
    const names = ["a&b=c d", "李雷 🐱", "x+y", "50% off", "comma,name"];
    const made = [];
    for (const name of names) made.push(UserResource.parse(await createUser(name)));
    await createUser("a");
    for (const [i, name] of names.entries()) {
      const page = UserPage.parse((await api.get(expand(template, { name }))).body);
      expect(page._embedded.users, name).toEqual([made[i]]);
    }
  });

  it("expands with no variables to the whole list, and with page and size to numbered pages", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    const template = await findUsersTemplate(expect, api, urls.app);
    const made = [];
    for (let i = 0; i < 3; i++) made.push(UserResource.parse(await createUser(`u${i}`)));

    const all = UserPage.parse((await api.get(expand(template, {}))).body);
    expect(all._embedded.users.map((u) => u.id)).toEqual(made.map((u) => u.id));

    const p1 = UserPage.parse((await api.get(expand(template, { page: 1, size: 2 }))).body);
    expect(p1.page).toEqual({ size: 2, totalElements: 3, totalPages: 2, number: 1 });
    expect(p1._embedded.users.map((u) => u.id)).toEqual([made[2]!.id]);

    const named = UserPage.parse((await api.get(expand(template, { page: 0, size: 1, name: "u1" }))).body);
    expect(named._embedded.users.map((u) => u.id)).toEqual([made[1]!.id]);
    expect(named.page).toEqual({ size: 1, totalElements: 1, totalPages: 1, number: 0 });
  });

  it("finds only this application's user of that name", async ({ expect }) => {
    const a = await setup();
    const b = await setup();
    await b.createUser("shared");
    const mine = UserResource.parse(await a.createUser("shared"));
    const page = UserPage.parse((await a.api.get(expand(await findUsersTemplate(expect, a.api, a.urls.app), { name: "shared" }))).body);
    expect(page._embedded.users).toEqual([mine]);
    // another application's find:users with a's token
    expectError(expect, await a.api.get(expand(`${b.urls.users}{?page,size,name}`, { name: "shared" })), 404);
  });

  it("refuses a name of 256 characters and invalid page parameters with 400", async ({ expect }) => {
    const { api, urls } = await setup();
    const template = await findUsersTemplate(expect, api, urls.app);
    expectInvalidField(expect, await api.get(expand(template, { name: "n".repeat(256) })), "name");
    expectInvalidField(expect, await api.get(expand(template, { name: "x", size: 0 })), "size");
    expectInvalidField(expect, await api.get(expand(template, { name: "x", page: -1 })), "page");
  });
});
