import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { describe, it } from "vitest";
import { createDb, openSession } from "../../src/db/client";
import { clientCredentials } from "../../src/db/schema";
import { basicAuth, client, fetchWorker, newApplication, type TestApplication } from "../helpers/api";

const FORM = "application/x-www-form-urlencoded";
const ISSUER = "kitty-edge";
const AUDIENCE = "kitty-edge:platform-api";

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

const tokenRequest = (init: { headers?: Record<string, string>; body?: BodyInit; method?: string } = {}) =>
  fetchWorker("/oauth/token", { method: init.method ?? "POST", headers: init.headers, body: init.body });

/** Basic auth with a urlencoded body: the way most OAuth libraries ask. */
const basicRequest = (
  app: Pick<TestApplication, "clientId" | "clientSecret">,
  fields: Record<string, string> = { grant_type: "client_credentials" },
) => tokenRequest({ headers: { Authorization: basicAuth(app.clientId, app.clientSecret), "Content-Type": FORM }, body: form(fields) });

/** multipart/form-data as `curl --form` sends it (the content type and boundary come from FormData). */
const multipart = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.append(k, v);
  return data;
};

interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

const expectToken = async (expect: any, res: Response, app: TestApplication) => {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  expect(res.headers.get("Cache-Control")).toMatch(/\bno-store\b/);
  const body = JSON.parse(text) as TokenBody;
  expect(body).toEqual({ access_token: expect.any(String), token_type: "bearer", expires_in: 43_200, scope: "org:1:app" });
  expect(decodeJwt(body.access_token).application_id).toBe(app.id);
  // The token works on the API.
  const me = await client(body.access_token).get("/v1/applications/me");
  expect(me.status).toBe(200);
  expect(me.body.id).toBe(app.id);
  return body;
};

/** An RFC 6749 §5.2 error: exactly `{error, error_description}`. */
const expectOAuthError = async (expect: any, res: Response, status: number, error: string) => {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  const body = JSON.parse(text);
  expect(Object.keys(body).sort()).toEqual(["error", "error_description"]);
  expect(body.error).toBe(error);
  expect(typeof body.error_description).toBe("string");
  expect(body.error_description.length).toBeGreaterThan(0);
  expect(text).not.toContain("access_token");
  if (error === "invalid_client") expect(res.headers.get("WWW-Authenticate")).toMatch(/^Basic\b/i);
  return body;
};

describe("POST /oauth/token: client authentication", () => {
  it("issues a token for HTTP Basic credentials and a urlencoded body", async ({ expect }) => {
    const app = await newApplication();
    await expectToken(expect, await basicRequest(app), app);
  });

  it("issues a token for client_id and client_secret form fields", async ({ expect }) => {
    const app = await newApplication();
    const res = await tokenRequest({
      headers: { "Content-Type": FORM },
      body: form({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret }),
    });
    await expectToken(expect, res, app);
  });

  it("issues a token for a multipart/form-data body with Basic credentials (curl --form)", async ({ expect }) => {
    const app = await newApplication();
    const res = await tokenRequest({
      headers: { Authorization: basicAuth(app.clientId, app.clientSecret) },
      body: multipart({ grant_type: "client_credentials" }),
    });
    await expectToken(expect, res, app);
  });

  it("issues a token for a multipart/form-data body with client_id and client_secret fields", async ({ expect }) => {
    const app = await newApplication();
    const res = await tokenRequest({
      body: multipart({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret }),
    });
    await expectToken(expect, res, app);
  });

  it("accepts the seed's request: Basic, multipart, and matching username/password fields", async ({ expect }) => {
    const app = await newApplication();
    const res = await tokenRequest({
      headers: { Authorization: basicAuth(app.clientId, app.clientSecret) },
      body: multipart({ grant_type: "client_credentials", username: app.clientId, password: app.clientSecret }),
    });
    await expectToken(expect, res, app);
  });

  it("accepts matching username/password fields in a urlencoded body", async ({ expect }) => {
    const app = await newApplication();
    const res = await basicRequest(app, { grant_type: "client_credentials", username: app.clientId, password: app.clientSecret });
    await expectToken(expect, res, app);
  });

  it.for([
    ["username", (app: TestApplication) => ({ username: `${app.clientId}x`, password: app.clientSecret })],
    ["password", (app: TestApplication) => ({ username: app.clientId, password: "not-the-secret" })],
    ["username alone", (_app: TestApplication) => ({ username: "someone-else" })],
    ["password alone", (_app: TestApplication) => ({ password: "not-the-secret" })],
  ] as const)("refuses a mismatching %s with 401 invalid_client", async ([_name, extra], { expect }) => {
    const app = await newApplication();
    const res = await tokenRequest({
      headers: { Authorization: basicAuth(app.clientId, app.clientSecret) },
      body: multipart({ grant_type: "client_credentials", ...extra(app) }),
    });
    await expectOAuthError(expect, res, 401, "invalid_client");
  });

  it.for([
    ["a wrong secret (Basic)", (app: TestApplication) => basicRequest({ clientId: app.clientId, clientSecret: `${app.clientSecret}x` })],
    [
      "an unknown client (Basic)",
      (app: TestApplication) => basicRequest({ clientId: `unknown-${crypto.randomUUID()}`, clientSecret: app.clientSecret }),
    ],
    [
      "a wrong secret (form fields)",
      (app: TestApplication) =>
        tokenRequest({
          headers: { "Content-Type": FORM },
          body: form({ grant_type: "client_credentials", client_id: app.clientId, client_secret: "nope" }),
        }),
    ],
    [
      "an unknown client (form fields)",
      (app: TestApplication) =>
        tokenRequest({
          headers: { "Content-Type": FORM },
          body: form({ grant_type: "client_credentials", client_id: "nobody", client_secret: app.clientSecret }),
        }),
    ],
    [
      "a wrong secret (multipart)",
      (app: TestApplication) =>
        tokenRequest({ body: multipart({ grant_type: "client_credentials", client_id: app.clientId, client_secret: "nope" }) }),
    ],
    [
      "no credentials at all",
      (_app: TestApplication) => tokenRequest({ headers: { "Content-Type": FORM }, body: form({ grant_type: "client_credentials" }) }),
    ],
    [
      "a client_id without secret",
      (app: TestApplication) =>
        tokenRequest({ headers: { "Content-Type": FORM }, body: form({ grant_type: "client_credentials", client_id: app.clientId }) }),
    ],
    ["an empty secret", (app: TestApplication) => basicRequest({ clientId: app.clientId, clientSecret: "" })],
    ["the secret's hash as the secret", (app: TestApplication) => basicRequest({ clientId: app.clientId, clientSecret: "0".repeat(64) })],
    [
      "malformed Basic credentials",
      (_app: TestApplication) =>
        tokenRequest({ headers: { Authorization: "Basic !!!", "Content-Type": FORM }, body: form({ grant_type: "client_credentials" }) }),
    ],
    [
      "Basic and form credentials that disagree",
      (app: TestApplication) =>
        tokenRequest({
          headers: { Authorization: basicAuth(app.clientId, app.clientSecret), "Content-Type": FORM },
          body: form({ grant_type: "client_credentials", client_id: app.clientId, client_secret: "nope" }),
        }),
    ],
  ] as const)("refuses %s with 401 invalid_client and WWW-Authenticate: Basic", async ([_name, request], { expect }) => {
    const app = await newApplication();
    await expectOAuthError(expect, await request(app), 401, "invalid_client");
  });

  it("refuses another application's secret for this client id", async ({ expect }) => {
    const a = await newApplication();
    const b = await newApplication();
    await expectOAuthError(expect, await basicRequest({ clientId: a.clientId, clientSecret: b.clientSecret }), 401, "invalid_client");
  });

  it("refuses a revoked credential with 401 invalid_client", async ({ expect }) => {
    const app = await newApplication();
    await expectToken(expect, await basicRequest(app), app); // works before revocation
    await createDb(openSession(env.DB))
      .update(clientCredentials)
      .set({ revokedAt: new Date() })
      .where(eq(clientCredentials.clientId, app.clientId));
    await expectOAuthError(expect, await basicRequest(app), 401, "invalid_client");
  });
});

describe("POST /oauth/token: grant type", () => {
  it.for([
    ["missing", {}],
    ["empty", { grant_type: "" }],
  ] as const)("answers 400 invalid_request when grant_type is %s", async ([_name, fields], { expect }) => {
    const app = await newApplication();
    await expectOAuthError(expect, await basicRequest(app, fields), 400, "invalid_request");
  });

  it.for(["password", "authorization_code", "refresh_token", "CLIENT_CREDENTIALS", "client_credentials "])(
    "answers 400 unsupported_grant_type for grant_type=%s",
    async (grantType, { expect }) => {
      const app = await newApplication();
      await expectOAuthError(expect, await basicRequest(app, { grant_type: grantType }), 400, "unsupported_grant_type");
    },
  );

  it.for([
    ["an unsupported grant_type", { grant_type: "password" }],
    ["no grant_type", {}],
  ] as const)("checks client authentication before grant_type: bad credentials and %s is a 401", async ([_name, fields], { expect }) => {
    const app = await newApplication();
    const res = await basicRequest({ clientId: app.clientId, clientSecret: "wrong" }, fields);
    await expectOAuthError(expect, res, 401, "invalid_client");
  });
});

describe("POST /oauth/token: the token", () => {
  it("is an ES256 JWT with kid test-key carrying every contract claim", async ({ expect }) => {
    const app = await newApplication();
    const before = Math.floor(Date.now() / 1000);
    const { access_token } = await expectToken(expect, await basicRequest(app), app);
    expect(decodeProtectedHeader(access_token)).toMatchObject({ alg: "ES256", kid: "test-key" });
    const claims = decodeJwt(access_token);
    expect(claims).toMatchObject({ iss: ISSUER, sub: app.clientId, aud: AUDIENCE, scope: "org:1:app", application_id: app.id });
    expect(claims.iat).toBeGreaterThanOrEqual(before - 5);
    expect(claims.iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 5);
    expect(claims.exp! - claims.iat!).toBe(43_200);
    expect(claims.jti).toEqual(expect.any(String));
    expect((claims.jti as string).length).toBeGreaterThan(0);
  });

  it("is a fresh token with its own jti on every request", async ({ expect }) => {
    const app = await newApplication();
    const a = await expectToken(expect, await basicRequest(app), app);
    const b = await expectToken(expect, await basicRequest(app), app);
    expect(decodeJwt(a.access_token).jti).not.toBe(decodeJwt(b.access_token).jti);
  });

  it("is sent with Cache-Control: no-store", async ({ expect }) => {
    const app = await newApplication();
    const res = await basicRequest(app);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toMatch(/\bno-store\b/);
  });
});

describe("GET /.well-known/jwks.json", () => {
  it("publishes the public signing key (no private part) under the token's kid", async ({ expect }) => {
    const res = await fetchWorker("/.well-known/jwks.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    const jwks = (await res.json()) as JSONWebKeySet;
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      expect(key).not.toHaveProperty("d");
      expect(key).toMatchObject({ kty: "EC", crv: "P-256", kid: expect.any(String) });
    }
    const signing = JSON.parse(env.JWT_PRIVATE_KEY) as Record<string, string>;
    const published = jwks.keys.find((k) => k.kid === "test-key");
    expect(published).toMatchObject({ kid: "test-key", x: signing.x, y: signing.y });
  });

  it("verifies an issued token through createLocalJWKSet", async ({ expect }) => {
    const app = await newApplication();
    const { access_token } = await expectToken(expect, await basicRequest(app), app);
    const jwks = (await (await fetchWorker("/.well-known/jwks.json")).json()) as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(access_token, createLocalJWKSet(jwks), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["ES256"],
    });
    expect(protectedHeader.kid).toBe("test-key");
    expect(payload.application_id).toBe(app.id);
  });

  it("does not verify a token whose signature was changed (control for the JWKS test)", async ({ expect }) => {
    const app = await newApplication();
    const { access_token } = await expectToken(expect, await basicRequest(app), app);
    const [h, p, s] = access_token.split(".");
    const flipped = `${h}.${p}.${s!.startsWith("A") ? "B" : "A"}${s!.slice(1)}`;
    const jwks = (await (await fetchWorker("/.well-known/jwks.json")).json()) as JSONWebKeySet;
    await expect(jwtVerify(flipped, createLocalJWKSet(jwks), { issuer: ISSUER, audience: AUDIENCE })).rejects.toThrow();
  });
});

describe("POST /oauth/token: request format", () => {
  it.for([
    ["application/json", "application/json", JSON.stringify({ grant_type: "client_credentials" })],
    ["text/plain", "text/plain", "grant_type=client_credentials"],
    ["no content type", undefined, undefined],
  ] as const)("answers 400 invalid_request for %s", async ([_name, contentType, body], { expect }) => {
    const app = await newApplication();
    const res = await tokenRequest({
      headers: { Authorization: basicAuth(app.clientId, app.clientSecret), ...(contentType ? { "Content-Type": contentType } : {}) },
      body,
    });
    await expectOAuthError(expect, res, 400, "invalid_request");
  });

  it("answers 413 for a body over 1 MiB", async ({ expect }) => {
    const app = await newApplication();
    const body = form({ grant_type: "client_credentials", padding: "x".repeat(1024 * 1024 + 1) });
    const res = await tokenRequest({ headers: { Authorization: basicAuth(app.clientId, app.clientSecret), "Content-Type": FORM }, body });
    expect(res.status).toBe(413);
    expect(await res.text()).not.toContain("access_token");
  });

  it("answers 413 for a multipart body over 1 MiB", async ({ expect }) => {
    const app = await newApplication();
    const res = await tokenRequest({
      headers: { Authorization: basicAuth(app.clientId, app.clientSecret) },
      body: multipart({ grant_type: "client_credentials", padding: "x".repeat(1024 * 1024 + 1) }),
    });
    expect(res.status).toBe(413);
  });

  it("accepts a body just under the limit (control for the 413 test)", async ({ expect }) => {
    const app = await newApplication();
    const body = form({ grant_type: "client_credentials", padding: "x".repeat(1024 * 1024 - 200) });
    const res = await tokenRequest({ headers: { Authorization: basicAuth(app.clientId, app.clientSecret), "Content-Type": FORM }, body });
    expect(res.status).toBe(200);
  });

  it.for(["GET", "PUT", "DELETE"])("answers %s /oauth/token with 405 and Allow: POST", async (method, { expect }) => {
    const res = await tokenRequest({ method });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toMatch(/\bPOST\b/);
    expect(res.headers.get("Allow")).not.toMatch(new RegExp(`\\b${method}\\b`));
  });
});
