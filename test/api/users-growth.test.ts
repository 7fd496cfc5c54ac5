/**
 * What the users resource gained: `displayName` and `isGuest` on create and on every user, PUT
 * and PATCH on a user (`id` and `name` read-only), the user's `tokens` link, and the
 * application's templated `find:users` link (exact name). Also the application resource's new
 * `requireAuthenticatedSessions` field and links.
 */
import { describe, it, type ExpectStatic } from "vitest";
import { ApplicationResource } from "../../src/api/applications/applications.schemas";
import { UserPage, UserResource } from "../../src/api/users/users.schemas";
import { ORIGIN, setup, type Client } from "../helpers/api";
import { expectError, expectHal, expectInvalidField, queryOf } from "../helpers/checks";

/**
 * Expands the one RFC 6570 form-style query expression (`{?a,b,c}`) at the end of a template:
 * defined variables only, in the template's order, values percent-encoded (level 1 encoding).
 */
const expand = (template: string, vars: Record<string, string | number | undefined>) => {
  const m = /^([^{}]*)\{\?([\w,]+)\}$/.exec(template);
  if (!m) throw new Error(`not a {?...} template: ${template}`);
  const pairs = m[2]!
    .split(",")
    .filter((k) => vars[k] !== undefined)
    .map((k) => `${k}=${encodeURIComponent(String(vars[k])).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`);
  return pairs.length ? `${m[1]}?${pairs.join("&")}` : m[1]!;
};

/** The application's `find:users` link, checked to be a templated link of the documented form. */
const findUsersTemplate = async (expect: ExpectStatic, api: Client, appUrl: string) => {
  const res = await api.get(appUrl);
  expectHal(expect, res);
  const link = ApplicationResource.parse(res.body)._links["find:users"];
  expect(link).toEqual({ href: `${appUrl}/users{?page,size,name}`, templated: true });
  return link.href;
};

describe("the application resource", () => {
  it("has requireAuthenticatedSessions and the messages, find:users and find:channels links", async ({ expect }) => {
    const { api, app, urls } = await setup();
    for (const href of ["/v1/applications/me", urls.app]) {
      const res = await api.get(href);
      expectHal(expect, res);
      expect(ApplicationResource.parse(res.body)).toEqual({
        id: app.id,
        name: app.name,
        key: app.key,
        requireAuthenticatedSessions: false,
        _links: {
          self: { href: urls.app },
          users: { href: urls.users },
          channels: { href: urls.channels },
          messages: { href: urls.messages },
          "find:users": { href: `${urls.users}{?page,size,name}`, templated: true },
          "find:channels": { href: `${urls.channels}{?page,size,direct,members}`, templated: true },
        },
      });
      // plain links say nothing about templating
      for (const rel of ["self", "users", "channels", "messages"]) expect(res.body._links[rel]).not.toHaveProperty("templated");
    }
  });
});

describe("displayName and isGuest on create", () => {
  it("returns displayName and isGuest as sent, on create, get, list and find", async ({ expect }) => {
    const { api, urls } = await setup();
    const res = await api.post(urls.users, { name: "jane", displayName: "Jane Doe 🐱", isGuest: true });
    expectHal(expect, res, 201);
    const user = UserResource.parse(res.body);
    expect(user).toMatchObject({ name: "jane", displayName: "Jane Doe 🐱", isGuest: true });
    expect(Object.keys(res.body).sort()).toEqual(["_links", "displayName", "id", "isGuest", "name"]);

    expect(UserResource.parse((await api.get(user._links.self.href)).body)).toEqual(user);
    expect(UserPage.parse((await api.get(urls.users)).body)._embedded.users).toEqual([user]);
  });

  it("defaults displayName to the name and isGuest to false", async ({ expect }) => {
    const { api, urls } = await setup();
    const user = UserResource.parse((await api.post(urls.users, { name: "  spaced name  " })).body);
    expect(user.displayName).toBe("  spaced name  ");
    expect(user.isGuest).toBe(false);
    const explicitFalse = UserResource.parse((await api.post(urls.users, { name: "host", isGuest: false })).body);
    expect(explicitFalse).toMatchObject({ displayName: "host", isGuest: false });
  });

  it("gives every user a tokens link under the user", async ({ expect }) => {
    const { app, createUser } = await setup();
    const user = UserResource.parse(await createUser());
    const self = `${ORIGIN}/v1/applications/${app.id}/users/${user.id}`;
    expect(user._links).toEqual({
      self: { href: self },
      channels: { href: `${self}/channels` },
      tokens: { href: `${self}/tokens` },
      application: { href: `${ORIGIN}/v1/applications/${app.id}` },
    });
  });

  it("accepts a displayName of 255 characters and stores it exactly", async ({ expect }) => {
    const { api, urls } = await setup();
    const displayName = `  ${"d".repeat(251)}  `;
    const res = await api.post(urls.users, { name: "long", displayName });
    expectHal(expect, res, 201);
    expect(UserResource.parse(res.body).displayName).toBe(displayName);
  });

  it.for([
    ["empty", ""],
    ["blank", " \t "],
    ["256 characters", "d".repeat(256)],
    ["128 emoji (String.length 256)", "🐱".repeat(128)],
    ["a number", 5],
    ["null", null],
    ["an object", { text: "Jane" }],
  ] as const)("refuses a %s displayName with 400 naming displayName, creating nothing", async ([_label, displayName], { expect }) => {
    const { api, urls } = await setup();
    expectInvalidField(expect, await api.post(urls.users, { name: "jane", displayName }), "displayName");
    expect(UserPage.parse((await api.get(urls.users)).body).page.totalElements).toBe(0);
  });

  it.for([
    ["a string", "true"],
    ["a number", 1],
    ["null", null],
    ["an array", [true]],
  ] as const)("refuses isGuest as %s with 400 naming isGuest, creating nothing", async ([_label, isGuest], { expect }) => {
    const { api, urls } = await setup();
    expectInvalidField(expect, await api.post(urls.users, { name: "jane", isGuest }), "isGuest");
    expect(UserPage.parse((await api.get(urls.users)).body).page.totalElements).toBe(0);
  });
});

describe("PUT /v1/applications/{id}/users/{userId}", () => {
  it("replaces displayName and isGuest: 200 with the user, and GET agrees", async ({ expect }) => {
    const { api, createUser } = await setup();
    const user = UserResource.parse(await createUser("jane"));
    const res = await api.call("PUT", user._links.self.href, { displayName: "Jane ☃", isGuest: true });
    expectHal(expect, res);
    const updated = UserResource.parse(res.body);
    expect(updated).toEqual({ ...user, displayName: "Jane ☃", isGuest: true });
    expect(UserResource.parse((await api.get(user._links.self.href)).body)).toEqual(updated);
  });

  it("accepts the user's own id and name repeated (a GET body sent back)", async ({ expect }) => {
    const { api, createUser } = await setup();
    const user = UserResource.parse(await createUser("jane"));
    const res = await api.call("PUT", user._links.self.href, { ...user, displayName: "J" });
    expectHal(expect, res);
    expect(UserResource.parse(res.body)).toEqual({ ...user, displayName: "J" });
  });

  it("resets an omitted displayName to the name and an omitted isGuest to false", async ({ expect }) => {
    const { api, urls } = await setup();
    const user = UserResource.parse((await api.post(urls.users, { name: "jane", displayName: "Jane", isGuest: true })).body);

    const onlyName = await api.call("PUT", user._links.self.href, { isGuest: true });
    expectHal(expect, onlyName);
    expect(UserResource.parse(onlyName.body)).toMatchObject({ displayName: "jane", isGuest: true });

    await api.call("PUT", user._links.self.href, { displayName: "Jane", isGuest: true });
    const empty = await api.call("PUT", user._links.self.href, {});
    expectHal(expect, empty);
    expect(UserResource.parse(empty.body)).toEqual({ ...user, displayName: "jane", isGuest: false });
    expect(UserResource.parse((await api.get(user._links.self.href)).body)).toEqual({ ...user, displayName: "jane", isGuest: false });
  });

  it("refuses a different name with 400 naming name, and changes nothing", async ({ expect }) => {
    const { api, createUser } = await setup();
    const user = UserResource.parse(await createUser("jane"));
    for (const name of ["renamed", "Jane", "jane ", ""]) {
      const err = expectInvalidField(expect, await api.call("PUT", user._links.self.href, { name, displayName: "X", isGuest: true }), "name");
      expect(err.message).toContain("name");
    }
    expect(UserResource.parse((await api.get(user._links.self.href)).body)).toEqual(user);
  });

  it("refuses a different id with 400 naming id, and changes nothing", async ({ expect }) => {
    const { api, createUser } = await setup();
    const user = UserResource.parse(await createUser("jane"));
    const other = UserResource.parse(await createUser("john"));
    for (const id of [user.id + 1, other.id, 0, -user.id]) {
      expectInvalidField(expect, await api.call("PUT", user._links.self.href, { id, displayName: "X" }), "id");
    }
    expectInvalidField(expect, await api.call("PUT", user._links.self.href, { id: String(user.id) }), "id");
    expect(UserResource.parse((await api.get(user._links.self.href)).body)).toEqual(user);
    expect(UserResource.parse((await api.get(other._links.self.href)).body)).toEqual(other);
  });

  it.for([
    ["displayName", ""],
    ["displayName", "   "],
    ["displayName", "d".repeat(256)],
    ["displayName", 42],
    ["displayName", null],
    ["isGuest", "yes"],
    ["isGuest", 0],
    ["isGuest", null],
    ["name", 7],
  ] as const)("refuses %s = %j with 400 naming it, and changes nothing", async ([field, value], { expect }) => {
    const { api, createUser } = await setup();
    const user = UserResource.parse(await createUser("jane"));
    for (const method of ["PUT", "PATCH"]) {
      expectInvalidField(expect, await api.call(method, user._links.self.href, { [field]: value }), field);
    }
    expect(UserResource.parse((await api.get(user._links.self.href)).body)).toEqual(user);
  });

  it.for(["[]", '"jane"', "null", "{"])("refuses the body %s with 400", async (body, { expect }) => {
    const { api, createUser } = await setup();
    const user = UserResource.parse(await createUser("jane"));
    for (const method of ["PUT", "PATCH"]) expectError(expect, await api.call(method, user._links.self.href, body), 400);
  });

  it("answers 404 for an unknown user, a deleted user and another application's user (PUT and PATCH)", async ({ expect }) => {
    const a = await setup();
    const b = await setup();
    const theirs = UserResource.parse(await b.createUser("theirs"));
    const gone = UserResource.parse(await a.createUser("gone"));
    await a.api.del(gone._links.self.href);
    for (const method of ["PUT", "PATCH"]) {
      for (const href of [`${a.urls.users}/${theirs.id}`, gone._links.self.href, `${a.urls.users}/abc`, `${a.urls.users}/0`]) {
        expectError(expect, await a.api.call(method, href, { displayName: "hijack" }), 404);
      }
      // through b's own path, with a's token
      expectError(expect, await a.api.call(method, theirs._links.self.href, { displayName: "hijack" }), 404);
    }
    expect(UserResource.parse((await b.api.get(theirs._links.self.href)).body)).toEqual(theirs);
  });
});

describe("PATCH /v1/applications/{id}/users/{userId}", () => {
  it("changes only displayName, keeping isGuest", async ({ expect }) => {
    const { api, urls } = await setup();
    const user = UserResource.parse((await api.post(urls.users, { name: "jane", isGuest: true })).body);
    const res = await api.call("PATCH", user._links.self.href, { displayName: "Jane D." });
    expectHal(expect, res);
    expect(UserResource.parse(res.body)).toEqual({ ...user, displayName: "Jane D.", isGuest: true });
  });

  it("changes only isGuest, keeping displayName", async ({ expect }) => {
    const { api, urls } = await setup();
    const user = UserResource.parse((await api.post(urls.users, { name: "jane", displayName: "Jane D." })).body);
    const res = await api.call("PATCH", user._links.self.href, { isGuest: true });
    expectHal(expect, res);
    expect(UserResource.parse(res.body)).toEqual({ ...user, displayName: "Jane D.", isGuest: true });
    const back = await api.call("PATCH", user._links.self.href, { isGuest: false });
    expect(UserResource.parse(back.body)).toEqual({ ...user, displayName: "Jane D.", isGuest: false });
    expect(UserResource.parse((await api.get(user._links.self.href)).body)).toEqual(UserResource.parse(back.body));
  });

  it("changes nothing for an empty body, or for the user's own id and name", async ({ expect }) => {
    const { api, urls } = await setup();
    const user = UserResource.parse((await api.post(urls.users, { name: "jane", displayName: "J", isGuest: true })).body);
    for (const body of [{}, { id: user.id }, { name: "jane" }, { id: user.id, name: "jane" }]) {
      const res = await api.call("PATCH", user._links.self.href, body);
      expectHal(expect, res);
      expect(UserResource.parse(res.body)).toEqual(user);
    }
  });

  it("refuses a different name or id with 400 naming it, changing nothing else in the same body", async ({ expect }) => {
    const { api, createUser } = await setup();
    const user = UserResource.parse(await createUser("jane"));
    expectInvalidField(expect, await api.call("PATCH", user._links.self.href, { name: "john", displayName: "X" }), "name");
    expectInvalidField(expect, await api.call("PATCH", user._links.self.href, { id: user.id + 1, isGuest: true }), "id");
    expect(UserResource.parse((await api.get(user._links.self.href)).body)).toEqual(user);
  });

  it("keeps the name unique and findable after updates", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    const user = UserResource.parse(await createUser("jane"));
    await api.call("PATCH", user._links.self.href, { displayName: "john" });
    expectError(expect, await api.post(urls.users, { name: "jane" }), 409, "DuplicateResourceError");
    expectHal(expect, await api.post(urls.users, { name: "john" }), 201);
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
