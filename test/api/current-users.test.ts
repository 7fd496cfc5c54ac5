/**
 * Users in the current (token-scoped) form, `/v1/users/…`: the same operations as the 2020
 * `/v1/applications/{id}/users/…` (one user, seen through both), ChatKitty's `ChatUserResource`
 * (type, displayPictureUrl, presence, properties) with 2020 links, numbered pages of 25 by
 * default, `HEAD ?name=` existence, RFC 7396 merge patches under both merge-patch media types,
 * and a user's channels as ChatKitty lists them (created or joined, never OPEN). Every JSON body
 * validates against ChatKitty's schema for its operation.
 */
import { describe, type ExpectStatic, it } from "vitest";
import { UserResource } from "../../src/api/users/users.schemas";
import { fetchWorker, setup, type Setup } from "../helpers/api";
import { expectError, expectHal, expectInvalidField, queryOf } from "../helpers/checks";
import { chatKittyErrors } from "../helpers/chatkitty-document";
import { chatKittyClient, chatKittyOperation, expectChatKitty } from "../helpers/chatkitty-schema";

/** A fresh application whose client checks every current-form JSON answer against ChatKitty's schema. */
const checkedSetup = async (expect: ExpectStatic): Promise<Setup> => {
  const s = await setup();
  return { ...s, api: chatKittyClient(expect, s.api) };
};

const MERGE_PATCH_TYPES = ["application/json+merge-patch", "application/merge-patch+json", "application/json"];

/** Creates a user through the current form; insists on 201 and ChatKitty's schema. */
const create = async (s: Setup, body: Record<string, unknown>) => {
  const res = await s.api.post("/v1/users", body);
  const errors = chatKittyErrors("POST /v1/users", res.status, res.body);
  if (res.status !== 201 || errors.length > 0) throw new Error(`create: ${res.status} ${errors} ${JSON.stringify(res.body)}`);
  return res.body;
};

const patch = (s: Setup, id: number, body: unknown, contentType = "application/json+merge-patch", headers: Record<string, string> = {}) =>
  s.api.call("PATCH", `/v1/users/${id}`, body, { "Content-Type": contentType, ...headers });

describe("the ChatKitty schema check itself", () => {
  it("refuses what ChatKitty's document refuses (so passing it means something)", ({ expect }) => {
    expect(chatKittyErrors("GET /v1/users/{id}", 200, { id: 1, name: "x" })).not.toEqual([]);
    const channel = { id: 1, type: "PUBLIC", createdTime: "2021-01-01T00:00:00Z", properties: {} };
    // A PUBLIC channel needs its name and displayName (the discriminator picks PublicChannelResource).
    expect(chatKittyErrors("GET /v1/channels/{id}", 200, channel)).not.toEqual([]);
    expect(chatKittyErrors("GET /v1/channels/{id}", 200, { ...channel, name: "a", displayName: "A" })).toEqual([]);
    expect(chatKittyErrors("GET /v1/channels/{id}", 200, { ...channel, type: "DIRECT" })).not.toEqual([]);
    // The checked client finds the operation of every current-form path, and none for 2020 paths.
    expect(chatKittyOperation("GET", "http://example.test/v1/users/5?size=2")).toBe("GET /v1/users/{id}");
    expect(chatKittyOperation("HEAD", "/v1/users?name=x")).toBe("HEAD /v1/users");
    expect(chatKittyOperation("GET", "/v1/users/5/channels")).toBe("GET /v1/users/{id}/channels");
    expect(chatKittyOperation("GET", "/v1/applications/1/users/5")).toBeUndefined();
  });
});

describe("POST /v1/users", () => {
  it.for(["application/json", "application/vnd.chatkitty+json"])(
    "creates a user sent as %s: 201, Location, ChatKitty's fields with their defaults",
    async (contentType, { expect }) => {
      const s = await checkedSetup(expect);
      const res = await s.api.call("POST", "/v1/users", { name: "jane@example.com" }, { "Content-Type": contentType });
      expectHal(expect, res, 201);
      const user = expectChatKitty(expect, res, "POST /v1/users");
      expect(user).toMatchObject({
        type: "PERSON",
        name: "jane@example.com",
        displayName: "jane@example.com",
        isGuest: false,
        presence: { status: "UNAVAILABLE", online: false },
        properties: {},
      });
      expect(user.displayPictureUrl).toMatch(/^data:image\/svg\+xml,/);
      // Links keep their 2020 form, as ChatKitty's own do.
      const self = `${s.urls.users}/${user.id}`;
      expect(user._links.self.href).toBe(self);
      expect(res.headers.get("Location")).toBe(self);
    },
  );

  it("keeps displayName, isGuest and properties exactly, and both forms show the same user", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const properties = { favoriteNumber: 42, nested: { list: [1, "two", null, true] }, emoji: "🐱", ключ: "значение" };
    const user = await create(s, { name: "Zoë 🐱", displayName: "Zoë the 🐱", isGuest: true, properties });
    expect(user).toMatchObject({ name: "Zoë 🐱", displayName: "Zoë the 🐱", isGuest: true, properties });
    const current = await s.api.get(`/v1/users/${user.id}`);
    expectHal(expect, current);
    expect(expectChatKitty(expect, current, "GET /v1/users/{id}")).toEqual(user);
    // one presenter: the 2020 form shows the very same user
    expect(UserResource.parse((await s.api.get(user._links.self.href)).body)).toEqual(user);
  });

  it("accepts names of up to 255 characters and refuses longer, empty and blank ones", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const longest = await create(s, { name: "n".repeat(255), displayName: "d".repeat(255) });
    expect(longest.name).toHaveLength(255);
    for (const name of ["n".repeat(256), "", "   ", 7, null]) {
      const res = await s.api.post("/v1/users", { name });
      expectInvalidField(expect, res, "name");
      expectChatKitty(expect, res, "POST /v1/users");
    }
    expectInvalidField(expect, await s.api.post("/v1/users", { name: "x", displayName: "d".repeat(256) }), "displayName");
    expectInvalidField(expect, await s.api.post("/v1/users", { name: "x", properties: [1] }), "properties");
    expectInvalidField(expect, await s.api.post("/v1/users", {}), "name");
  });

  it("answers 409 for a name taken in this application, not for one taken in another", async ({ expect }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    await create(a, { name: "jane" });
    expectError(expect, await a.api.post("/v1/users", { name: "jane" }), 409, "DuplicateResourceError");
    // the 2020 form sees the same taken name
    expectError(expect, await a.api.post(a.urls.users, { name: "jane" }), 409);
    expect((await b.api.post("/v1/users", { name: "jane" })).status).toBe(201);
  });

  it("refuses a body that is not JSON with 415, and malformed JSON with 400", async ({ expect }) => {
    const s = await checkedSetup(expect);
    expectError(expect, await s.api.call("POST", "/v1/users", '{"name":"x"}', { "Content-Type": "text/plain" }), 415);
    expectError(expect, await s.api.call("POST", "/v1/users", "name=x", { "Content-Type": "application/x-www-form-urlencoded" }), 415);
    expectError(expect, await s.api.call("POST", "/v1/users", "{", { "Content-Type": "application/vnd.chatkitty+json" }), 400);
  });
});

describe("GET /v1/users", () => {
  it("pages 25 users by default (an empty application gives an empty page), capped at 100", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const empty = await s.api.get("/v1/users");
    expectHal(expect, empty);
    expectChatKitty(expect, empty, "GET /v1/users");
    expect(empty.body._embedded.users).toEqual([]);
    expect(empty.body.page).toEqual({ size: 25, totalElements: 0, totalPages: 0, number: 0 });

    for (let i = 0; i < 27; i++) await create(s, { name: `user-${String(i).padStart(2, "0")}` });
    const first = await s.api.get("/v1/users");
    expectChatKitty(expect, first, "GET /v1/users");
    expect(first.body._embedded.users).toHaveLength(25);
    expect(first.body.page).toEqual({ size: 25, totalElements: 27, totalPages: 2, number: 0 });
    // Page links walk the collection the request was made on.
    expect(first.body._links.next.href).toMatch(/\/v1\/users\?page=1&size=25$/);
    const second = await s.api.get(first.body._links.next.href);
    expect(second.body._embedded.users.map((u: { name: string }) => u.name)).toEqual(["user-25", "user-26"]);

    const capped = await s.api.get("/v1/users?size=5000");
    expect(capped.body.page.size).toBe(100);
    expect(capped.body._embedded.users).toHaveLength(27);
    // the 2020 form keeps its own default of 20
    expect((await s.api.get(s.urls.users)).body.page.size).toBe(20);

    for (const query of ["size=0", "size=-1", "page=x", "size=1.5"]) {
      const res = await s.api.get(`/v1/users?${query}`);
      expectError(expect, res, 400);
      expectChatKitty(expect, res, "GET /v1/users");
    }
  });

  it("filters by exact name and by properties, and sorts", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await create(s, { name: "jane", properties: { team: "blue", level: 3, admin: true } });
    const john = await create(s, { name: "john", properties: { team: "blue", level: 1 } });
    const zoe = await create(s, { name: "Zoë", properties: { team: "red", admin: 1 } });
    const names = async (query: string) => {
      const res = await s.api.get(`/v1/users?${query}`);
      expectHal(expect, res);
      expectChatKitty(expect, res, "GET /v1/users");
      return res.body._embedded.users.map((u: { name: string }) => u.name);
    };
    expect(await names("name=jane")).toEqual(["jane"]);
    expect(await names("name=Jane")).toEqual([]);
    expect(await names(`name=${encodeURIComponent("Zoë")}`)).toEqual(["Zoë"]);
    expect(await names(`properties=${encodeURIComponent('{"team":"blue"}')}`)).toEqual(["jane", "john"]);
    expect(await names(`properties=${encodeURIComponent('{"team":"blue","level":3}')}`)).toEqual(["jane"]);
    // true is not 1
    expect(await names(`properties=${encodeURIComponent('{"admin":true}')}`)).toEqual(["jane"]);
    expect(await names(`properties=${encodeURIComponent("{}")}`)).toEqual(["jane", "john", "Zoë"]);
    expect(await names("sort=name,desc")).toEqual(["john", "jane", "Zoë"]);
    expect(await names("sort=id,desc")).toEqual(["Zoë", "john", "jane"]);
    expect(await names("sort=createdTime,asc&sort=id,desc")).toHaveLength(3);
    const filtered = await s.api.get(`/v1/users?properties=${encodeURIComponent('{"team":"blue"}')}&size=1`);
    expect(filtered.body.page).toEqual({ size: 1, totalElements: 2, totalPages: 2, number: 0 });
    expect(queryOf(filtered.body._links.next.href)).toMatchObject({ properties: '{"team":"blue"}', page: "1", size: "1" });
    expect([jane.id, john.id, zoe.id]).toHaveLength(3);

    for (const [query, field] of [
      ["sort=password,asc", "sort"],
      ["sort=name,sideways", "sort"],
      ["properties=nope", "properties"],
      [`properties=${encodeURIComponent("[1]")}`, "properties"],
      [`name=${"n".repeat(256)}`, "name"],
    ]) {
      expectInvalidField(expect, await s.api.get(`/v1/users?${query}`), field!);
    }
  });

  it("never lists another application's users", async ({ expect }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    await create(b, { name: "theirs" });
    expect((await a.api.get("/v1/users?name=theirs")).body._embedded.users).toEqual([]);
    expect((await a.api.get("/v1/users")).body.page.totalElements).toBe(0);
  });
});

describe("HEAD /v1/users?name=", () => {
  it("answers 200 when a user has exactly that name and 404 when none does, never with a body", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const other = await checkedSetup(expect);
    await create(s, { name: "jane 🐱" });
    await create(other, { name: "john" });
    const call = (name: string) => s.api.call("HEAD", `/v1/users?name=${encodeURIComponent(name)}`);
    const found = await call("jane 🐱");
    expect(found.status).toBe(200);
    expect(found.body).toBeUndefined();
    for (const name of ["jane", "JANE 🐱", "john", ""]) {
      const missing = await call(name);
      expect(missing.status, name).toBe(404);
      expect(missing.body).toBeUndefined();
    }
    expect((await fetchWorker("/v1/users?name=jane", { method: "HEAD" })).status).toBe(401);
  });
});

describe("GET /v1/users/{id}", () => {
  it("answers 404 for an unknown id, a malformed one, and another application's user", async ({ expect }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    const theirs = await create(b, { name: "theirs" });
    for (const path of [`/v1/users/${theirs.id}`, "/v1/users/0", "/v1/users/abc", "/v1/users/99999999999"]) {
      const res = await a.api.get(path);
      expectError(expect, res, 404);
      expectChatKitty(expect, res, "GET /v1/users/{id}");
    }
  });

  it("carries an ETag: 304 for If-None-Match with it", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const user = await create(s, { name: "jane" });
    const first = await s.api.get(`/v1/users/${user.id}`);
    const tag = first.headers.get("ETag")!;
    expect((await s.api.call("GET", `/v1/users/${user.id}`, undefined, { "If-None-Match": tag })).status).toBe(304);
  });
});

describe("PATCH /v1/users/{id} (JSON merge patch)", () => {
  it.for(MERGE_PATCH_TYPES)("applies a patch sent as %s", async (contentType, { expect }) => {
    const s = await checkedSetup(expect);
    const user = await create(s, { name: "jane", properties: { a: 1 } });
    const res = await patch(s, user.id, { displayName: "Jane ☃", isGuest: true, properties: { b: 2 } }, contentType);
    expectHal(expect, res);
    const patched = expectChatKitty(expect, res, "PATCH /v1/users/{id}");
    expect(patched).toEqual({
      ...user,
      displayName: "Jane ☃",
      isGuest: true,
      properties: { a: 1, b: 2 },
      displayPictureUrl: patched.displayPictureUrl,
    });
    expect((await s.api.get(`/v1/users/${user.id}`)).body).toEqual(patched);
  });

  it("removes with null: displayName returns to the name, isGuest to false, a property goes, properties: null empties", async ({
    expect,
  }) => {
    const s = await checkedSetup(expect);
    const user = await create(s, {
      name: "jane",
      displayName: "Jane",
      isGuest: true,
      properties: { keep: "x", drop: "y", deep: { a: 1, b: 2 } },
    });
    const res = await patch(s, user.id, { displayName: null, isGuest: null, properties: { drop: null, deep: { a: null }, added: [1] } });
    expectHal(expect, res);
    expect(expectChatKitty(expect, res, "PATCH /v1/users/{id}")).toMatchObject({
      displayName: "jane",
      isGuest: false,
      properties: { keep: "x", deep: { b: 2 }, added: [1] },
    });
    expect(res.body.properties).not.toHaveProperty("drop");
    const emptied = await patch(s, user.id, { properties: null });
    expect(emptied.body.properties).toEqual({});
  });

  it("changes nothing for an empty patch, a repeated name or id, or presence (live state, not stored)", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const user = await create(s, { name: "jane", properties: { a: 1 } });
    for (const body of [{}, { name: "jane" }, { id: user.id }, { presence: { status: "AVAILABLE" } }]) {
      const res = await patch(s, user.id, body);
      expectHal(expect, res);
      expect(expectChatKitty(expect, res, "PATCH /v1/users/{id}")).toEqual(user);
    }
  });

  it("refuses a different name with 400 naming name, and changes nothing else in the patch", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const user = await create(s, { name: "jane" });
    for (const name of ["john", "Jane", ""]) {
      const res = await patch(s, user.id, { name, displayName: "X", properties: { a: 1 } });
      expectInvalidField(expect, res, "name");
      expectChatKitty(expect, res, "PATCH /v1/users/{id}");
    }
    expect((await s.api.get(`/v1/users/${user.id}`)).body).toEqual(user);
  });

  it.for([
    ["displayName", ""],
    ["displayName", "   "],
    ["displayName", "d".repeat(256)],
    ["isGuest", "yes"],
    ["properties", [1]],
    ["properties", "x"],
    ["presence", 3],
  ] as const)("refuses %s = %j with 400 naming it", async ([field, value], { expect }) => {
    const s = await checkedSetup(expect);
    const user = await create(s, { name: "jane" });
    expectInvalidField(expect, await patch(s, user.id, { [field]: value }), field);
    expect((await s.api.get(`/v1/users/${user.id}`)).body).toEqual(user);
  });

  it("refuses a body that is not a JSON object with 400, and one that is not JSON with 415", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const user = await create(s, { name: "jane" });
    for (const body of ["[]", "null", '"x"', "{"]) expectError(expect, await patch(s, user.id, body), 400);
    expectError(expect, await patch(s, user.id, '{"displayName":"x"}', "text/plain"), 415);
    expectError(expect, await patch(s, user.id, '{"displayName":"x"}', "application/xml"), 415);
  });

  it("honours If-Match: a stale tag is 412 and changes nothing, the current one lets the patch through", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const user = await create(s, { name: "jane" });
    const tag = (await s.api.get(`/v1/users/${user.id}`)).headers.get("ETag")!;
    expectHal(expect, await patch(s, user.id, { displayName: "first" }, undefined, { "If-Match": tag }));
    expectError(expect, await patch(s, user.id, { displayName: "second" }, undefined, { "If-Match": tag }), 412);
    expect((await s.api.get(`/v1/users/${user.id}`)).body.displayName).toBe("first");
    // one representation, one tag: the 2020 form's GET names the same version
    const sameTag = (await s.api.get(user._links.self.href)).headers.get("ETag")!;
    expect(sameTag).toBe((await s.api.get(`/v1/users/${user.id}`)).headers.get("ETag"));
    expectHal(expect, await patch(s, user.id, { displayName: "third" }, undefined, { "If-Match": sameTag }));
  });

  it("answers 404 for another application's user, through either form", async ({ expect }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    const theirs = await create(b, { name: "theirs" });
    expectError(expect, await patch(a, theirs.id, { displayName: "hijack" }), 404);
    expectError(expect, await a.api.call("PATCH", theirs._links.self.href, { displayName: "hijack" }), 404);
    expect((await b.api.get(`/v1/users/${theirs.id}`)).body).toEqual(theirs);
  });
});

describe("DELETE /v1/users/{id}", () => {
  it("deletes the user and answers the application; another application's user is 404 and stays", async ({ expect }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    const user = await create(a, { name: "jane" });
    const theirs = await create(b, { name: "theirs" });
    expectError(expect, await a.api.del(`/v1/users/${theirs.id}`), 404);
    const res = await a.api.del(`/v1/users/${user.id}`);
    expectHal(expect, res);
    expect(expectChatKitty(expect, res, "DELETE /v1/users/{id}")).toMatchObject({ id: a.app.id, key: a.app.key });
    expectError(expect, await a.api.get(`/v1/users/${user.id}`), 404);
    expectError(expect, await a.api.del(`/v1/users/${user.id}`), 404);
    expect((await a.api.call("HEAD", "/v1/users?name=jane")).status).toBe(404);
    expect((await b.api.get(`/v1/users/${theirs.id}`)).status).toBe(200);
  });
});

describe("GET /v1/users/{id}/channels", () => {
  it("lists the PUBLIC, PRIVATE and DIRECT channels the user belongs to, never OPEN ones or others'", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await create(s, { name: "jane" });
    const john = await create(s, { name: "john", properties: { x: 1 } });
    const channel = async (type: string, name?: string, members = [jane, john]) => {
      const res = await s.api.post(s.urls.channels, { type, ...(name ? { name } : {}), members: members.map((u) => u._links.self.href) });
      if (res.status !== 201) throw new Error(`channel: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    await channel("OPEN", "open");
    const pub = await channel("PUBLIC", "public 🐱");
    const priv = await channel("PRIVATE", "private");
    await channel("PRIVATE", "not hers", [john]);
    await channel("PUBLIC", "public, not joined", [john]);
    const direct = await channel("DIRECT");

    const res = await s.api.get(`/v1/users/${jane.id}/channels`);
    expectHal(expect, res);
    const page = expectChatKitty(expect, res, "GET /v1/users/{id}/channels");
    expect(page._embedded.channels.map((c: { id: number }) => c.id)).toEqual([pub.id, priv.id, direct.id]);
    expect(page.page).toEqual({ size: 25, totalElements: 3, totalPages: 1, number: 0 });
    const [p, , d] = page._embedded.channels;
    expect(p).toMatchObject({ type: "PUBLIC", name: "public 🐱", displayName: "public 🐱", properties: {} });
    expect(d.members.map((m: { name: string }) => m.name)).toEqual(["jane", "john"]);
    expect(d.members[1]).toMatchObject({ properties: { x: 1 }, presence: { online: false } });
    expect(page._links.self.href).toMatch(new RegExp(`/v1/users/${jane.id}/channels\\?page=0&size=25$`));

    const newestFirst = await s.api.get(`/v1/users/${jane.id}/channels?sort=createdTime,desc&size=2`);
    expectChatKitty(expect, newestFirst, "GET /v1/users/{id}/channels");
    expect(newestFirst.body._embedded.channels.map((c: { id: number }) => c.id)).toEqual([direct.id, priv.id]);
    expectInvalidField(expect, await s.api.get(`/v1/users/${jane.id}/channels?sort=name`), "sort");
  });

  it("gives an empty page for a user in no channel, 404 for another application's user", async ({ expect }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    const loner = await create(a, { name: "loner" });
    const theirs = await create(b, { name: "theirs" });
    const res = await a.api.get(`/v1/users/${loner.id}/channels`);
    expectChatKitty(expect, res, "GET /v1/users/{id}/channels");
    expect(res.body._embedded.channels).toEqual([]);
    expectError(expect, await a.api.get(`/v1/users/${theirs.id}/channels`), 404);
  });
});
