/**
 * HTTP rate limits (src/http/rate-limit.ts). wrangler.toml's limits are backstops far above what
 * any test sends, so these tests hand the Worker a limiter of 3 requests a minute
 * (TEST_TINY_RATE_LIMITER, test/vitest.config.ts) in place of TOKEN_RATE_LIMITER or
 * API_RATE_LIMITER: the real middleware and the real binding, with a small number.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it, type ExpectStatic } from "vitest";
import worker from "../../src/index";
import { basicAuth, newApplication, ORIGIN, tokenFor, type ApiResponse, type TestApplication } from "../helpers/api";
import { expectError } from "../helpers/checks";

const LIMIT = 3;
const TIMEOUT = { timeout: 20_000 };

type Limiter = "TOKEN_RATE_LIMITER" | "API_RATE_LIMITER";

/** A request through the Worker's fetch handler with the tiny limiter bound as `limiter`. */
const fetchLimited = async (limiter: Limiter, url: string, init: RequestInit = {}): Promise<ApiResponse> => {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${ORIGIN}${url}`, init), { ...env, [limiter]: env.TEST_TINY_RATE_LIMITER }, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
};

/**
 * Local rate limiters count in windows aligned to the clock (a minute here): a run of requests
 * that straddled a boundary would start over halfway. Start each run well inside a window.
 */
const startOfWindow = async () => {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 5_000) await new Promise((r) => setTimeout(r, left + 100));
};

const expectTooManyRequests = (expect: ExpectStatic, res: ApiResponse) => {
  const body = expectError(expect, res, 429, "TooManyRequestsError");
  expect(res.headers.get("Retry-After")).toBe("60");
  expect(body.message).toMatch(/retry after 60 seconds/);
  return body;
};

describe("/v1 rate limit (per application)", () => {
  const get = (token: string | undefined, url: string) =>
    fetchLimited("API_RATE_LIMITER", url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

  it("lets the request at the bound through and answers the next with 429, Retry-After and the error body", TIMEOUT, async ({ expect }) => {
    const app = await newApplication();
    const token = await tokenFor(app);
    await startOfWindow();
    for (let i = 1; i <= LIMIT; i++) expect((await get(token, `/v1/applications/${app.id}`)).status, `request ${i}`).toBe(200);
    const refused = await get(token, `/v1/applications/${app.id}`);
    expectTooManyRequests(expect, refused);
    // Every /v1 route counts against the same budget, unknown ones too.
    expectTooManyRequests(expect, await get(token, "/v1/applications/me"));
    expectTooManyRequests(expect, await get(token, "/v1/nope"));
  });

  it("counts each request once, the API root included", TIMEOUT, async ({ expect }) => {
    const app = await newApplication();
    const token = await tokenFor(app);
    await startOfWindow();
    for (let i = 1; i <= LIMIT; i++) expect((await get(token, "/v1")).status, `request ${i}`).toBe(200);
    expectTooManyRequests(expect, await get(token, "/v1"));
  });

  it("leaves other applications their own budget", TIMEOUT, async ({ expect }) => {
    const [a, b] = [await newApplication(), await newApplication()];
    const [tokenA, tokenB] = [await tokenFor(a), await tokenFor(b)];
    await startOfWindow();
    for (let i = 0; i < LIMIT; i++) await get(tokenA, "/v1/applications/me");
    expectTooManyRequests(expect, await get(tokenA, "/v1/applications/me"));
    for (let i = 1; i <= LIMIT; i++) expect((await get(tokenB, "/v1/applications/me")).status, `request ${i} of b`).toBe(200);
  });

  it("counts only authenticated requests: a flood without a valid token spends nobody's budget", TIMEOUT, async ({ expect }) => {
    const app = await newApplication();
    const token = await tokenFor(app);
    await startOfWindow();
    for (let i = 0; i < LIMIT + 2; i++) {
      expectError(expect, await get(undefined, `/v1/applications/${app.id}`), 401);
      expectError(expect, await get(`${token.slice(0, -4)}AAAA`, `/v1/applications/${app.id}`), 401);
    }
    for (let i = 1; i <= LIMIT; i++) expect((await get(token, `/v1/applications/${app.id}`)).status, `request ${i}`).toBe(200);
    expectTooManyRequests(expect, await get(token, `/v1/applications/${app.id}`));
  });
});

describe("POST /oauth/token rate limit (per client id)", () => {
  const requestToken = (clientId: string, secret: string) =>
    fetchLimited("TOKEN_RATE_LIMITER", "/oauth/token", {
      method: "POST",
      headers: { Authorization: basicAuth(clientId, secret), "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
  const requestTokenByForm = (app: TestApplication) =>
    fetchLimited("TOKEN_RATE_LIMITER", "/oauth/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret }).toString(),
    });

  it("lets the attempt at the bound through and answers the next with 429, Retry-After and the error body", TIMEOUT, async ({ expect }) => {
    const app = await newApplication();
    await startOfWindow();
    for (let i = 1; i <= LIMIT; i++) expect((await requestToken(app.clientId, app.clientSecret)).status, `request ${i}`).toBe(200);
    const refused = await requestToken(app.clientId, app.clientSecret);
    expectTooManyRequests(expect, refused);
    expect(refused.body).not.toHaveProperty("access_token");
  });

  it("counts wrong secrets, form credentials and re-spelled ids against the same client id", TIMEOUT, async ({ expect }) => {
    const app = await newApplication();
    await startOfWindow();
    expect((await requestToken(app.clientId, "wrong secret")).status).toBe(401);
    expect((await requestTokenByForm(app)).status).toBe(200);
    // "t" written as %74 inside the Basic credentials is the same client id (RFC 6749 §2.3.1).
    expect((await requestToken(`%74${app.clientId.slice(1)}`, app.clientSecret)).status).toBe(200);
    expectTooManyRequests(expect, await requestToken(app.clientId, app.clientSecret));
    expectTooManyRequests(expect, await requestTokenByForm(app));
  });

  it("leaves other clients their own budget", TIMEOUT, async ({ expect }) => {
    const [a, b] = [await newApplication(), await newApplication()];
    await startOfWindow();
    for (let i = 0; i < LIMIT; i++) await requestToken(a.clientId, a.clientSecret);
    expectTooManyRequests(expect, await requestToken(a.clientId, a.clientSecret));
    for (let i = 1; i <= LIMIT; i++) expect((await requestToken(b.clientId, b.clientSecret)).status, `request ${i} of b`).toBe(200);
  });
});
