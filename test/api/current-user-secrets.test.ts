/**
 * A user's secrets: `GET/PUT/DELETE /v1/users/{id}/secrets/{name}`. A secret is a bounded JSON
 * object under a bounded name; it is answered only by its own GET (never in the user, its lists or
 * another application's requests), and goes with its user. Every JSON body validates against
 * ChatKitty's schema.
 */
import { describe, type ExpectStatic, it } from "vitest";
import { expectError, expectHal, expectInvalidField } from "../helpers/checks";
import { chatKittyClient, expectChatKitty } from "../helpers/chatkitty-schema";
import { fileSetup } from "../helpers/files";

const checkedSetup = async (expect: ExpectStatic) => {
  const s = await fileSetup();
  return { ...s, api: chatKittyClient(expect, s.api) };
};
type Checked = Awaited<ReturnType<typeof checkedSetup>>;

const userOf = async (s: Checked) => (await s.api.post("/v1/users", { name: `jane-${crypto.randomUUID()}` })).body;
const put = (s: Checked, path: string, body: unknown) =>
  s.api.call("PUT", path, JSON.stringify(body), { "Content-Type": "application/json" });

const secret = { token: "s3cr3t-✓-🔑", nested: { scopes: ["read", "write"], n: 1 } };

describe("/v1/users/{id}/secrets/{name}", () => {
  it("sets, reads, replaces and deletes a secret; the user never shows it", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await userOf(s);
    const path = `/v1/users/${jane.id}/secrets/crm-token`;
    const set = await put(s, path, { secret });
    expectHal(expect, set);
    expect(expectChatKitty(expect, set, "PUT /v1/users/{id}/secrets/{name}")).toEqual(jane);
    const read = await s.api.get(path);
    expectHal(expect, read);
    expect(expectChatKitty(expect, read, "GET /v1/users/{id}/secrets/{name}")).toMatchObject({ secret });
    expect(read.body._links.user.href).toMatch(new RegExp(`/users/${jane.id}$`));
    expect(await put(s, path, { secret: {} })).toMatchObject({ status: 200 });
    expect((await s.api.get(path)).body.secret).toEqual({});
    const everywhere = JSON.stringify([(await s.api.get(`/v1/users/${jane.id}`)).body, (await s.api.get("/v1/users")).body]);
    expect(everywhere).not.toContain("s3cr3t");
    const removed = await s.api.del(path);
    expect(expectChatKitty(expect, removed, "DELETE /v1/users/{id}/secrets/{name}")).toEqual(jane);
    expectError(expect, await s.api.get(path), 404, "ResourceNotFoundError");
    expectError(expect, await s.api.del(path), 404, "ResourceNotFoundError");
  });

  it("bounds the value and the name, refusing with 4xx and writing nothing", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await userOf(s);
    const path = `/v1/users/${jane.id}/secrets/k`;
    const atMost = { v: "x".repeat(8192 - '{"v":""}'.length) };
    expect((await put(s, path, { secret: atMost })).status).toBe(200);
    expect((await s.api.get(path)).body.secret).toEqual(atMost);
    expectInvalidField(expect, await put(s, path, { secret: { v: `${atMost.v}x` } }), "secret");
    for (const bad of ["text", ["a"], null, 1]) expectInvalidField(expect, await put(s, path, { secret: bad }), "secret");
    expectError(expect, await put(s, path, {}), 400);
    expectError(expect, await s.api.call("PUT", path, "{", { "Content-Type": "application/json" }), 400);
    expectError(expect, await s.api.call("PUT", path, "x", { "Content-Type": "text/plain" }), 415);
    expect((await s.api.get(path)).body.secret).toEqual(atMost);
    for (const name of ["a".repeat(101), "sp%20ace", "%F0%9F%94%91"]) {
      expectError(expect, await put(s, `/v1/users/${jane.id}/secrets/${name}`, { secret }), 404);
    }
    expect((await put(s, `/v1/users/${jane.id}/secrets/${"a".repeat(100)}`, { secret })).status).toBe(200);
  });

  it("keeps users and applications apart, and goes with the user", async ({ expect }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    const jane = await userOf(a);
    const joe = await userOf(a);
    const theirs = await userOf(b);
    await put(a, `/v1/users/${jane.id}/secrets/k`, { secret });
    await put(b, `/v1/users/${theirs.id}/secrets/k`, { secret: { b: true } });
    expectError(expect, await a.api.get(`/v1/users/${joe.id}/secrets/k`), 404);
    for (const call of [
      a.api.get(`/v1/users/${theirs.id}/secrets/k`),
      put(a, `/v1/users/${theirs.id}/secrets/k`, { secret }),
      a.api.del(`/v1/users/${theirs.id}/secrets/k`),
      a.api.get("/v1/users/999999999/secrets/k"),
    ]) {
      const body = expectError(expect, await call, 404);
      expect(body.message).not.toContain("s3cr3t");
    }
    expect((await b.api.get(`/v1/users/${theirs.id}/secrets/k`)).body.secret).toEqual({ b: true });
    expect((await a.api.del(`/v1/users/${jane.id}`)).status).toBe(200);
    expectError(expect, await a.api.get(`/v1/users/${jane.id}/secrets/k`), 404);
  });
});
