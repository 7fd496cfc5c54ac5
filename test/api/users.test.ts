/**
 * Users through the Platform API: create (names stored exactly, the 255-character bound, unique
 * per application, `displayName` and `isGuest`), get and delete. Listing and `find:users` are in
 * users-list.test.ts, PUT and PATCH in users-update.test.ts, a user's channels in
 * user-channels.test.ts.
 */
import { describe, it } from "vitest";
import { ApplicationResource } from "../../src/api/applications/applications.schemas";
import { UserPage, UserResource } from "../../src/api/users/users.schemas";
import { ORIGIN, setup } from "../helpers/api";
import { expectError, expectHal, expectInvalidField } from "../helpers/checks";
import { createUsers } from "../helpers/resources";

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
    // The contract's fields, at least: the one presenter also shows ChatKitty's current fields.
    expect(Object.keys(res.body)).toEqual(expect.arrayContaining(["_links", "displayName", "id", "isGuest", "name"]));
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

describe("displayName and isGuest on create", () => {
  it("returns displayName and isGuest as sent, on create, get, list and find", async ({ expect }) => {
    const { api, urls } = await setup();
    const res = await api.post(urls.users, { name: "jane", displayName: "Jane Doe 🐱", isGuest: true });
    expectHal(expect, res, 201);
    const user = UserResource.parse(res.body);
    expect(user).toMatchObject({ name: "jane", displayName: "Jane Doe 🐱", isGuest: true });
    // The contract's fields, at least: the one presenter also shows ChatKitty's current fields.
    expect(Object.keys(res.body)).toEqual(expect.arrayContaining(["_links", "displayName", "id", "isGuest", "name"]));

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
    expect(application).toMatchObject({
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
