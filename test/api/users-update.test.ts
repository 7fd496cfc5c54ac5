/**
 * Changing a user: PUT replaces `displayName` and `isGuest` (omitted ones reset), PATCH changes
 * only what it names; `id` and `name` are read-only (sending them back unchanged is fine).
 */
import { describe, it } from "vitest";
import { UserResource } from "../../src/api/users/users.schemas";
import { setup } from "../helpers/api";
import { expectError, expectHal, expectInvalidField } from "../helpers/checks";

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
      const err = expectInvalidField(
        expect,
        await api.call("PUT", user._links.self.href, { name, displayName: "X", isGuest: true }),
        "name",
      );
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
