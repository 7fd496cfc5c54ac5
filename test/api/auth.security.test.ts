/**
 * One table of protected routes, each run through every way a request can fail to authenticate
 * (contract §3), and through a valid token of another application (tenant isolation).
 */
import { env } from "cloudflare:workers";
import { SignJWT, decodeJwt, importJWK, type JWK } from "jose";
import { describe, it } from "vitest";
import { ErrorResponseBody } from "../../src/http/responses";
import { fetchWorker, setup, tokenFor, newApplication } from "../helpers/api";

const ISSUER = "kitty-edge";
const AUDIENCE = "kitty-edge:platform-api";

/** Application A with one of every resource, named with strings that must never leak. */
const fixture = async () => {
  const a = await setup();
  const marker = crypto.randomUUID();
  const user = await a.createUser(`secret-user-${marker}`);
  const channel = await a.createChannel("PUBLIC", `secret-channel-${marker}`);
  const message = await a.api.post(`${a.urls.channels}/${channel.id}/messages`, { body: `secret-message-${marker}` });
  if (message.status !== 201) throw new Error(`fixture message: ${message.status} ${JSON.stringify(message.body)}`);
  return {
    a,
    appId: a.app.id,
    userId: user.id as number,
    channelId: channel.id as number,
    messageId: message.body.id as number,
    /** Every piece of A's data that another application must never see. */
    secrets: [a.app.key, user.name as string, channel.name as string, message.body.body as string],
  };
};
type Fixture = Awaited<ReturnType<typeof fixture>>;

interface Route {
  name: string;
  method: "GET" | "POST" | "DELETE";
  path: (f: Pick<Fixture, "appId" | "userId" | "channelId" | "messageId">) => string;
  body?: unknown;
  /** What A's own valid token gets: proves the path is real, so a 401 or 404 means something. */
  ownStatus: number;
  /** Addresses one application's resources (so another application's token must get 404). */
  tenant: boolean;
}

const app = (f: { appId: number }) => `/v1/applications/${f.appId}`;

const ROUTES: Route[] = [
  { name: "GET /v1", method: "GET", path: () => "/v1", ownStatus: 200, tenant: false },
  { name: "GET /v1/applications/me", method: "GET", path: () => "/v1/applications/me", ownStatus: 200, tenant: false },
  { name: "GET application", method: "GET", path: (f) => app(f), ownStatus: 200, tenant: true },
  { name: "GET users", method: "GET", path: (f) => `${app(f)}/users`, ownStatus: 200, tenant: true },
  { name: "POST users", method: "POST", path: (f) => `${app(f)}/users`, body: { name: "intruder" }, ownStatus: 201, tenant: true },
  { name: "GET user", method: "GET", path: (f) => `${app(f)}/users/${f.userId}`, ownStatus: 200, tenant: true },
  { name: "DELETE user", method: "DELETE", path: (f) => `${app(f)}/users/${f.userId}`, ownStatus: 200, tenant: true },
  { name: "GET user channels", method: "GET", path: (f) => `${app(f)}/users/${f.userId}/channels`, ownStatus: 200, tenant: true },
  { name: "GET channels", method: "GET", path: (f) => `${app(f)}/channels`, ownStatus: 200, tenant: true },
  {
    name: "POST channels",
    method: "POST",
    path: (f) => `${app(f)}/channels`,
    body: { type: "PUBLIC", name: "intruder" },
    ownStatus: 201,
    tenant: true,
  },
  { name: "GET channel", method: "GET", path: (f) => `${app(f)}/channels/${f.channelId}`, ownStatus: 200, tenant: true },
  { name: "DELETE channel", method: "DELETE", path: (f) => `${app(f)}/channels/${f.channelId}`, ownStatus: 200, tenant: true },
  { name: "GET channel messages", method: "GET", path: (f) => `${app(f)}/channels/${f.channelId}/messages`, ownStatus: 200, tenant: true },
  {
    name: "POST channel messages",
    method: "POST",
    path: (f) => `${app(f)}/channels/${f.channelId}/messages`,
    body: { body: "intruder" },
    ownStatus: 201,
    tenant: true,
  },
  { name: "GET message", method: "GET", path: (f) => `${app(f)}/messages/${f.messageId}`, ownStatus: 200, tenant: true },
  { name: "DELETE message", method: "DELETE", path: (f) => `${app(f)}/messages/${f.messageId}`, ownStatus: 200, tenant: true },
  { name: "GET /v1/nope", method: "GET", path: () => "/v1/nope", ownStatus: 404, tenant: false },
];

const send = (route: Route, f: Parameters<Route["path"]>[0], authorization?: string) =>
  fetchWorker(route.path(f), {
    method: route.method,
    headers: {
      ...(authorization !== undefined ? { Authorization: authorization } : {}),
      ...(route.body !== undefined ? { "Content-Type": "application/json" } : {}),
    },
    body: route.body === undefined ? undefined : JSON.stringify(route.body),
  });

/** The contract's error body (§5), as `application/json`. */
const expectErrorBody = async (expect: any, res: Response, status: number) => {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  const body = ErrorResponseBody.parse(JSON.parse(text));
  expect(body.error.length).toBeGreaterThan(0);
  expect(body.message.length).toBeGreaterThan(0);
  expect(body.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
  expect(text).not.toMatch(/_links|_embedded/);
  return text;
};

/** A's resources are all still there, and nothing was added. */
const expectIntact = async (expect: any, f: Fixture) => {
  const { api, urls, app: a } = f.a;
  const application = await api.get(urls.app);
  expect(application.status).toBe(200);
  expect(application.body.key).toBe(a.key);
  expect((await api.get(`${urls.users}/${f.userId}`)).status).toBe(200);
  expect((await api.get(`${urls.channels}/${f.channelId}`)).status).toBe(200);
  expect((await api.get(`${urls.messages}/${f.messageId}`)).status).toBe(200);
  expect((await api.get(urls.users)).body.page.totalElements).toBe(1);
  expect((await api.get(urls.channels)).body.page.totalElements).toBe(1);
  const messages = await api.get(`${urls.channels}/${f.channelId}/messages`);
  expect(messages.body._embedded.messages.map((m: { id: number }) => m.id)).toEqual([f.messageId]);
};

// ---- Tokens that must be refused ----------------------------------------------------------------

const b64url = (value: string | Uint8Array) => {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
};

const now = () => Math.floor(Date.now() / 1000);

const claimsFor = (appId: number, exp: number) => ({
  scope: "org:1:app",
  application_id: appId,
  client_id: "forged",
  iss: ISSUER,
  sub: "forged",
  aud: AUDIENCE,
  iat: exp - 3600,
  exp,
  jti: crypto.randomUUID(),
});

/** Signs claims with a private JWK from a binding (the real test key, or the foreign one). */
const signWith = async (jwkJson: string, claims: Record<string, unknown>) => {
  const jwk = JSON.parse(jwkJson) as JWK;
  const key = await importJWK({ ...jwk, alg: "ES256" }, "ES256");
  return new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "test-key", typ: "at+jwt" }).sign(key);
};

const publicJwkJson = () => {
  const { d: _d, ...pub } = JSON.parse(env.JWT_PRIVATE_KEY) as JWK;
  return JSON.stringify(pub);
};

type Mode = { name: string; header: (f: Fixture) => Promise<string | undefined>; tokenSent: boolean };

const MODES: Mode[] = [
  { name: "no Authorization header", header: async () => undefined, tokenSent: false },
  { name: 'Authorization "Bearer" (no token)', header: async () => "Bearer", tokenSent: false },
  { name: 'Authorization "Basic x"', header: async () => "Basic x", tokenSent: false },
  {
    name: "Basic credentials of the application",
    header: async (f) => `Basic ${btoa(`${f.a.app.clientId}:${f.a.app.clientSecret}`)}`,
    tokenSent: false,
  },
  { name: 'Authorization "Bearer a.b"', header: async () => "Bearer a.b", tokenSent: true },
  { name: "a garbage token", header: async () => "Bearer not-a-jwt-at-all", tokenSent: true },
  {
    name: "an expired token signed with the real key",
    header: async (f) => `Bearer ${await signWith(env.JWT_PRIVATE_KEY, claimsFor(f.appId, now() - 60))}`,
    tokenSent: true,
  },
  {
    name: "an alg:none token",
    header: async (f) =>
      `Bearer ${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${b64url(JSON.stringify(claimsFor(f.appId, now() + 3600)))}.`,
    tokenSent: true,
  },
  {
    name: "an alg:none token keeping a real signature",
    header: async (f) => {
      const [, payload, signature] = (await signWith(env.JWT_PRIVATE_KEY, claimsFor(f.appId, now() + 3600))).split(".");
      return `Bearer ${b64url(JSON.stringify({ alg: "none", kid: "test-key" }))}.${payload}.${signature}`;
    },
    tokenSent: true,
  },
  {
    name: "another application's real token with application_id changed",
    header: async (f) => {
      const token = await tokenFor(await newApplication());
      const [header, payload, signature] = token.split(".");
      const claims = { ...decodeJwt(token), application_id: f.appId };
      assertChanged(payload !== b64url(JSON.stringify(claims)));
      return `Bearer ${header}.${b64url(JSON.stringify(claims))}.${signature}`;
    },
    tokenSent: true,
  },
  {
    name: "a token signed with a foreign key under kid test-key",
    header: async (f) => `Bearer ${await signWith(env.TEST_FOREIGN_KEY, claimsFor(f.appId, now() + 3600))}`,
    tokenSent: true,
  },
  {
    name: "an HS256 token keyed with the public key JSON",
    header: async (f) => {
      const secret = new TextEncoder().encode(publicJwkJson());
      const token = await new SignJWT(claimsFor(f.appId, now() + 3600)).setProtectedHeader({ alg: "HS256", kid: "test-key" }).sign(secret);
      return `Bearer ${token}`;
    },
    tokenSent: true,
  },
];

/** Guards the forging code itself: a broken forgery would pass the test for the wrong reason. */
function assertChanged(condition: boolean): asserts condition {
  if (!condition) throw new Error("test forgery did not change anything");
}

describe("control: the table's routes and forged tokens are real", () => {
  it.for(ROUTES.map((r) => [r.name, r] as const))("A's own token gets %s through", async ([, route], { expect }) => {
    const f = await fixture();
    const token = await tokenFor(f.a.app);
    const res = await send(route, f, `Bearer ${token}`);
    expect(res.status, await res.clone().text()).toBe(route.ownStatus);
  });

  it("accepts a token forged with the real test key and a future exp (so the expired case fails on expiry alone)", async ({ expect }) => {
    const f = await fixture();
    const res = await fetchWorker("/v1/applications/me", {
      headers: { Authorization: `Bearer ${await signWith(env.JWT_PRIVATE_KEY, claimsFor(f.appId, now() + 3600))}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { id: number }).id).toBe(f.appId);
  });

  it("publishes the same public key the HS256 forgery uses", async ({ expect }) => {
    const jwks = (await (await fetchWorker("/.well-known/jwks.json")).json()) as { keys: JWK[] };
    const pub = JSON.parse(publicJwkJson()) as JWK;
    expect(jwks.keys.find((k) => k.kid === "test-key")).toMatchObject({ x: pub.x, y: pub.y });
  });
});

describe.each(ROUTES)("$name", (route) => {
  it.for(MODES.map((m) => [m.name, m] as const))("refuses %s with 401", async ([, mode], { expect }) => {
    const f = await fixture();
    const res = await send(route, f, await mode.header(f));
    const challenge = res.headers.get("WWW-Authenticate");
    const text = await expectErrorBody(expect, res, 401);
    expect(challenge).toMatch(/^Bearer realm="[^"]+"/);
    if (mode.tokenSent) expect(challenge).toMatch(/\berror="invalid_token"/);
    else expect(challenge).not.toMatch(/\berror=/);
    for (const secret of f.secrets) expect(text).not.toContain(secret);
    await expectIntact(expect, f);
  });
});

describe("tenant isolation: a valid token of application B", () => {
  const tenantRoutes = ROUTES.filter((r) => r.tenant).map((r) => [r.name, r] as const);

  it.for(tenantRoutes)("gets 404 for %s of application A, sees none of A's data, and changes nothing", async ([, route], { expect }) => {
    const f = await fixture();
    const b = await setup();
    const res = await b.api.call(route.method, `${route.path(f)}`, route.body);
    const text = JSON.stringify(res.body);
    expect(res.status, text).toBe(404);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    ErrorResponseBody.parse(res.body);
    for (const secret of f.secrets) expect(text).not.toContain(secret);
    await expectIntact(expect, f);
  });

  it.for(tenantRoutes.filter(([name]) => !["GET application", "GET users", "POST users", "GET channels", "POST channels"].includes(name)))(
    "gets 404 for %s under its own application path with A's ids",
    async ([, route], { expect }) => {
      const f = await fixture();
      const b = await setup();
      const res = await b.api.call(route.method, route.path({ ...f, appId: b.app.id }), route.body);
      const text = JSON.stringify(res.body);
      expect(res.status, text).toBe(404);
      ErrorResponseBody.parse(res.body);
      for (const secret of f.secrets) expect(text).not.toContain(secret);
      await expectIntact(expect, f);
    },
  );

  it("sees only its own application at /v1/applications/me", async ({ expect }) => {
    const f = await fixture();
    const b = await setup();
    const me = await b.api.get("/v1/applications/me");
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(b.app.id);
    expect(me.body.id).not.toBe(f.appId);
    for (const secret of f.secrets) expect(JSON.stringify(me.body)).not.toContain(secret);
  });
});

describe("unknown /v1 paths", () => {
  it.for([["/v1/nope"], ["/v1/nope/deeper"], ["/v1/applications/me/nope"]] as const)(
    "answers %s with a valid token as 404 with the JSON error body",
    async ([path], { expect }) => {
      const { api } = await setup();
      const res = await api.get(path);
      expect(res.status).toBe(404);
      expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
      const body = ErrorResponseBody.parse(res.body);
      expect(body.timestamp).toMatch(/Z$/);
    },
  );

  it("answers an unknown path under the application as 404", async ({ expect }) => {
    const { api, urls } = await setup();
    const res = await api.get(`${urls.app}/widgets`);
    expect(res.status).toBe(404);
    ErrorResponseBody.parse(res.body);
  });

  it("answers an unknown /v1 path without a token as 401, not 404", async ({ expect }) => {
    const res = await fetchWorker("/v1/nope/deeper");
    await expectErrorBody(expect, res, 401);
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer realm="[^"]+"$/);
  });
});
