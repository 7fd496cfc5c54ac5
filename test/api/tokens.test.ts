/**
 * User challenge tokens through the Platform API: `POST`/`GET …/users/{userId}/tokens` and
 * `DELETE …/tokens/{token}`. Each test makes its own application and users.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { UserResource } from "../../src/api/users/users.schemas";
import { TokenPage, TokenResource } from "../../src/api/tokens/tokens.schemas";
import { fetchWorker, ORIGIN, setup } from "../helpers/api";
import { expectError, expectHal, isIsoUtc, queryOf } from "../helpers/checks";

/** A new application with one user, and that user's `tokens` link. */
const withUser = async () => {
  const ctx = await setup();
  const user = UserResource.parse(await ctx.createUser());
  return { ...ctx, user, tokens: user._links.tokens.href };
};

/** Creates `n` tokens one after another (so they list in this order). */
const createTokens = async (api: Awaited<ReturnType<typeof setup>>["api"], href: string, n: number) => {
  const out: TokenResource[] = [];
  for (let i = 0; i < n; i++) {
    const res = await api.call("POST", href);
    if (res.status !== 201) throw new Error(`create token: ${res.status} ${JSON.stringify(res.body)}`);
    out.push(TokenResource.parse(res.body));
  }
  return out;
};

const storedTokens = async (userId: number) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM user_tokens WHERE user_id = ?").bind(userId).first<number>("n")) ?? -1;

describe("POST /v1/applications/{id}/users/{userId}/tokens", () => {
  it("the user resource links to its tokens", async ({ expect }) => {
    const { app, user, tokens } = await withUser();
    expect(tokens).toBe(`${ORIGIN}/v1/applications/${app.id}/users/${user.id}/tokens`);
  });

  it("creates a token without a body: 201, Location = self href, {token, createdTime, _links}", async ({ expect }) => {
    const { api, app, user, tokens } = await withUser();
    const res = await api.call("POST", tokens);
    expectHal(expect, res, 201);
    const token = TokenResource.parse(res.body);
    expect(Object.keys(res.body).sort()).toEqual(["_links", "createdTime", "token"]);
    // 256 random bits, base64url without padding.
    expect(token.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(isIsoUtc(token.createdTime), token.createdTime).toBe(true);
    expect(Math.abs(Date.parse(token.createdTime) - Date.now())).toBeLessThan(60_000);
    const self = `${tokens}/${token.token}`;
    expect(res.headers.get("Location")).toBe(self);
    expect(token._links).toEqual({
      self: { href: self },
      user: { href: `${ORIGIN}/v1/applications/${app.id}/users/${user.id}` },
    });
  });

  it.for<[string, RequestInit]>([
    ["{} as JSON", { body: "{}", headers: { "Content-Type": "application/json" } }],
    ["{} as HAL+JSON", { body: "{}", headers: { "Content-Type": "application/hal+json" } }],
    ["an empty body declared as JSON (curl with a JSON header, no data)", { headers: { "Content-Type": "application/json" } }],
    ["an empty string declared as JSON", { body: "", headers: { "Content-Type": "application/json; charset=utf-8" } }],
    ["nothing at all", {}],
  ])("accepts %s", async ([, init], { expect }) => {
    const { api, tokens } = await withUser();
    const res = await api.call("POST", tokens, init.body as string | undefined, init.headers as Record<string, string>);
    expectHal(expect, res, 201);
    TokenResource.parse(res.body);
  });

  it.for<[string, string, Record<string, string>, number]>([
    ["malformed JSON", "{", { "Content-Type": "application/json" }, 400],
    ["a JSON array", "[]", { "Content-Type": "application/json" }, 400],
    ["a JSON string", '"x"', { "Content-Type": "application/json" }, 400],
    ["a text/plain body", "hello", { "Content-Type": "text/plain" }, 415],
  ])("refuses %s and creates nothing", async ([, body, headers, status], { expect }) => {
    const { api, user, tokens } = await withUser();
    expectError(expect, await api.call("POST", tokens, body, headers), status);
    expect(await storedTokens(user.id)).toBe(0);
  });

  it("makes a different token every time", async ({ expect }) => {
    const { api, tokens } = await withUser();
    const made = await createTokens(api, tokens, 5);
    expect(new Set(made.map((t) => t.token)).size).toBe(5);
  });

  it("allows 10 tokens per user; the 11th is 409 DuplicateResourceError with a clear message", async ({ expect }) => {
    const { api, user, tokens } = await withUser();
    await createTokens(api, tokens, 10);
    const res = await api.call("POST", tokens);
    const err = expectError(expect, res, 409, "DuplicateResourceError");
    expect(err.message).toMatch(/10 tokens/);
    expect(err.message).toMatch(/revoke/i);
    expect(await storedTokens(user.id)).toBe(10);
  });

  it("the bound is per user: another user of the application still gets tokens", async ({ expect }) => {
    const { api, tokens, createUser } = await withUser();
    await createTokens(api, tokens, 10);
    const other = UserResource.parse(await createUser());
    expectHal(expect, await api.call("POST", other._links.tokens.href), 201);
  });

  it("20 concurrent creates leave exactly 10 tokens: ten 201 and ten 409", async ({ expect }) => {
    const { api, user, tokens } = await withUser();
    const results = await Promise.all(Array.from({ length: 20 }, () => api.call("POST", tokens)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(10).fill(201), ...Array(10).fill(409)]);
    expect(await storedTokens(user.id)).toBe(10);
    const page = TokenPage.parse((await api.get(tokens)).body);
    expect(page.page.totalElements).toBe(10);
  });

  it("after revoking one of 10, one more can be created", async ({ expect }) => {
    const { api, tokens } = await withUser();
    const [first] = await createTokens(api, tokens, 10);
    expectError(expect, await api.call("POST", tokens), 409);
    expectHal(expect, await api.del(first!._links.self.href));
    expectHal(expect, await api.call("POST", tokens), 201);
    expectError(expect, await api.call("POST", tokens), 409);
  });

  it("unknown user → 404 (and nothing is stored)", async ({ expect }) => {
    const { api, urls, user } = await withUser();
    expectHal(expect, await api.del(user._links.self.href));
    expectError(expect, await api.call("POST", `${urls.users}/${user.id}/tokens`), 404, "ResourceNotFoundError");
    expectError(expect, await api.call("POST", `${urls.users}/999999999/tokens`), 404, "ResourceNotFoundError");
    expect(await storedTokens(user.id)).toBe(0);
  });

  it("another application's user → 404, with either application's id in the path", async ({ expect }) => {
    const a = await withUser();
    const b = await withUser();
    // b's user through a's application id, and b's application id with a's token.
    expectError(expect, await a.api.call("POST", `${a.urls.users}/${b.user.id}/tokens`), 404);
    expectError(expect, await a.api.call("POST", b.tokens), 404);
    expect(await storedTokens(b.user.id)).toBe(0);
  });

  it("requires a bearer token", async ({ expect }) => {
    const { tokens } = await withUser();
    expect((await fetchWorker(tokens, { method: "POST" })).status).toBe(401);
  });
});

describe("GET /v1/applications/{id}/users/{userId}/tokens", () => {
  it("an empty numbered page for a user without tokens", async ({ expect }) => {
    const { api, tokens } = await withUser();
    const res = await api.get(tokens);
    expectHal(expect, res);
    const page = TokenPage.parse(res.body);
    expect(page._embedded.tokens).toEqual([]);
    expect(page.page).toEqual({ size: 20, totalElements: 0, totalPages: 0, number: 0 });
    expect(queryOf(page._links.first.href)).toEqual({ page: "0", size: "20" });
    expect(queryOf(page._links.last.href)).toEqual({ page: "0", size: "20" });
  });

  it("lists the user's tokens oldest first, each as POST returned it", async ({ expect }) => {
    const { api, tokens } = await withUser();
    const made = await createTokens(api, tokens, 3);
    const page = TokenPage.parse((await api.get(tokens)).body);
    expect(page._embedded.tokens).toEqual(made);
    expect(page.page).toEqual({ size: 20, totalElements: 3, totalPages: 1, number: 0 });
    expect(page._links.self.href.startsWith(`${tokens}?`)).toBe(true);
  });

  it("pages with page and size, with first/prev/next/last links", async ({ expect }) => {
    const { api, tokens } = await withUser();
    const made = await createTokens(api, tokens, 5);
    const page1 = TokenPage.parse((await api.get(`${tokens}?page=1&size=2`)).body);
    expect(page1._embedded.tokens.map((t) => t.token)).toEqual(made.slice(2, 4).map((t) => t.token));
    expect(page1.page).toEqual({ size: 2, totalElements: 5, totalPages: 3, number: 1 });
    expect(queryOf(page1._links.prev!.href)).toEqual({ page: "0", size: "2" });
    expect(queryOf(page1._links.next!.href)).toEqual({ page: "2", size: "2" });
    expect(queryOf(page1._links.last.href)).toEqual({ page: "2", size: "2" });
    const last = TokenPage.parse((await api.get(page1._links.next!.href)).body);
    expect(last._embedded.tokens.map((t) => t.token)).toEqual([made[4]!.token]);
    expect(last._links.next).toBeUndefined();
  });

  it("refuses an invalid page or size with 400", async ({ expect }) => {
    const { api, tokens } = await withUser();
    expectError(expect, await api.get(`${tokens}?page=-1`), 400);
    expectError(expect, await api.get(`${tokens}?size=0`), 400);
  });

  it("never shows another user's tokens", async ({ expect }) => {
    const { api, tokens, createUser } = await withUser();
    const mine = await createTokens(api, tokens, 2);
    const other = UserResource.parse(await createUser());
    const theirs = await createTokens(api, other._links.tokens.href, 3);
    const myPage = TokenPage.parse((await api.get(tokens)).body);
    const theirPage = TokenPage.parse((await api.get(other._links.tokens.href)).body);
    expect(myPage._embedded.tokens.map((t) => t.token)).toEqual(mine.map((t) => t.token));
    expect(theirPage._embedded.tokens.map((t) => t.token)).toEqual(theirs.map((t) => t.token));
  });

  it("unknown user → 404; another application's user → 404", async ({ expect }) => {
    const a = await withUser();
    const b = await withUser();
    await createTokens(b.api, b.tokens, 1);
    expectError(expect, await a.api.get(`${a.urls.users}/999999999/tokens`), 404);
    expectError(expect, await a.api.get(`${a.urls.users}/${b.user.id}/tokens`), 404);
    expectError(expect, await a.api.get(b.tokens), 404);
  });

  it("a deleted user's tokens go with them", async ({ expect }) => {
    const { api, user, tokens } = await withUser();
    await createTokens(api, tokens, 2);
    expectHal(expect, await api.del(user._links.self.href));
    expectError(expect, await api.get(tokens), 404);
    expect(await storedTokens(user.id)).toBe(0);
  });
});

describe("GET /v1/applications/{id}/users/{userId}/tokens/{token}", () => {
  it("the self link answers the token as POST returned it", async ({ expect }) => {
    const { api, tokens } = await withUser();
    const [token] = await createTokens(api, tokens, 1);
    const res = await api.get(token!._links.self.href);
    expectHal(expect, res);
    expect(TokenResource.parse(res.body)).toEqual(token);
  });

  it("unknown token, another user's token, another application's token, unknown user → 404", async ({ expect }) => {
    const a = await withUser();
    const b = await withUser();
    const other = UserResource.parse(await a.createUser());
    const [theirs] = await createTokens(a.api, other._links.tokens.href, 1);
    const [foreign] = await createTokens(b.api, b.tokens, 1);
    expectError(expect, await a.api.get(`${a.tokens}/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`), 404);
    expectError(expect, await a.api.get(`${a.tokens}/${theirs!.token}`), 404);
    expectError(expect, await a.api.get(`${a.tokens}/${foreign!.token}`), 404);
    expectError(expect, await a.api.get(foreign!._links.self.href), 404);
    expectError(expect, await a.api.get(`${a.urls.users}/999999999/tokens/${theirs!.token}`), 404);
  });
});

describe("DELETE /v1/applications/{id}/users/{userId}/tokens/{token}", () => {
  it("revokes the token: 200 with the user; afterwards it is not listed and deleting again is 404", async ({ expect }) => {
    const { api, user, tokens } = await withUser();
    const [keep, drop] = await createTokens(api, tokens, 2);
    const res = await api.del(drop!._links.self.href);
    expectHal(expect, res);
    expect(UserResource.parse(res.body)).toEqual(user);
    const page = TokenPage.parse((await api.get(tokens)).body);
    expect(page._embedded.tokens.map((t) => t.token)).toEqual([keep!.token]);
    expectError(expect, await api.del(drop!._links.self.href), 404, "ResourceNotFoundError");
  });

  it.for([
    ["an unknown token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ["a value no token can have", "not%20a%20token"],
    ["an overlong value", "a".repeat(200)],
  ])("%s → 404", async ([, token], { expect }) => {
    const { api, tokens } = await withUser();
    await createTokens(api, tokens, 1);
    expectError(expect, await api.del(`${tokens}/${token}`), 404, "ResourceNotFoundError");
    expect(TokenPage.parse((await api.get(tokens)).body).page.totalElements).toBe(1);
  });

  it("another user's token through this user's path → 404, and the token survives", async ({ expect }) => {
    const { api, tokens, createUser } = await withUser();
    const other = UserResource.parse(await createUser());
    const [theirs] = await createTokens(api, other._links.tokens.href, 1);
    expectError(expect, await api.del(`${tokens}/${theirs!.token}`), 404);
    expect(TokenPage.parse((await api.get(other._links.tokens.href)).body).page.totalElements).toBe(1);
  });

  it("another application's token → 404, and the token survives", async ({ expect }) => {
    const a = await withUser();
    const b = await withUser();
    const [theirs] = await createTokens(b.api, b.tokens, 1);
    expectError(expect, await a.api.del(theirs!._links.self.href), 404);
    expectError(expect, await a.api.del(`${a.tokens}/${theirs!.token}`), 404);
    expect(TokenPage.parse((await b.api.get(b.tokens)).body).page.totalElements).toBe(1);
  });

  it("PUT on a token's href is 405 with Allow: GET, DELETE", async ({ expect }) => {
    const { api, tokens } = await withUser();
    const [token] = await createTokens(api, tokens, 1);
    const res = await api.call("PUT", token!._links.self.href, {});
    expectError(expect, res, 405);
    expect(res.headers.get("Allow")).toMatch(/GET.*DELETE|DELETE.*GET/);
  });
});
