/**
 * Credential lifecycle through the Worker: a revoked client gets no new tokens, tokens already
 * issued live until they expire unless the application's token epoch is raised, and a raised
 * epoch cuts them off (at once in the isolate that raised it, within TOKEN_EPOCH_TTL_SECONDS
 * everywhere else). Credentials and epochs are changed straight in D1, as the `app` CLI does.
 */
import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { decodeJwt } from "jose";
import { describe, it } from "vitest";
import { revokeIssuedTokens } from "../../src/auth/epochs";
import { generateClientSecret, hashSecret } from "../../src/auth/secrets";
import { signAccessToken, currentSigningKey } from "../../src/auth/tokens";
import { readConfig } from "../../src/config";
import { createDb, openSession } from "../../src/db/client";
import { applications, clientCredentials } from "../../src/db/schema";
import { basicAuth, fetchWorker, newApplication, tokenFor, type TestApplication } from "../helpers/api";

const db = createDb(openSession(env.DB));

const requestToken = (clientId: string, clientSecret: string) =>
  fetchWorker("/oauth/token", {
    method: "POST",
    headers: { Authorization: basicAuth(clientId, clientSecret), "Content-Type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials",
  });

const me = (token: string) => fetchWorker("/v1/applications/me", { headers: { Authorization: `Bearer ${token}` } });

/** A second credential for the application, as `npm run app -- credentials add` makes one. */
const addCredential = async (app: TestApplication) => {
  const clientId = `test_${crypto.randomUUID()}`;
  const clientSecret = generateClientSecret();
  await db.insert(clientCredentials).values({ applicationId: app.id, clientId, secretHash: await hashSecret(clientSecret) });
  return { ...app, clientId, clientSecret };
};

/** `npm run app -- credentials revoke`. */
const revokeCredential = (clientId: string) =>
  db.update(clientCredentials).set({ revokedAt: new Date() }).where(eq(clientCredentials.clientId, clientId));

/** `npm run app -- tokens revoke-all`, run outside this isolate: D1 changes, the cache does not hear of it. */
const raiseEpochInD1 = (applicationId: number) =>
  db
    .update(applications)
    .set({ tokenEpoch: sql`${applications.tokenEpoch} + 1` })
    .where(eq(applications.id, applicationId));

const expectAccepted = async (expect: any, res: Response, app: TestApplication) => {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(JSON.parse(text).id).toBe(app.id);
};

const expectRevoked = async (expect: any, res: Response) => {
  const text = await res.text();
  expect(res.status, text).toBe(401);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer .*error="invalid_token", error_description="The access token was revoked"/);
  expect(JSON.parse(text)).toMatchObject({ error: "UnauthorizedError", message: "The access token was revoked" });
};

describe("revoked client credentials", () => {
  it("get 401 invalid_client, while the application's other credentials still get tokens", async ({ expect }) => {
    const app = await newApplication();
    const second = await addCredential(app);
    await revokeCredential(app.clientId);

    const refused = await requestToken(app.clientId, app.clientSecret);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("WWW-Authenticate")).toMatch(/^Basic\b/);
    expect(await refused.json()).toMatchObject({ error: "invalid_client" });

    const res = await requestToken(second.clientId, second.clientSecret);
    expect(res.status).toBe(200);
    await expectAccepted(expect, await me(((await res.json()) as { access_token: string }).access_token), app);
  });

  it("leave the tokens already issued valid until the application's epoch is raised", async ({ expect }) => {
    const app = await newApplication();
    const token = await tokenFor(app);
    await revokeCredential(app.clientId);
    await expectAccepted(expect, await me(token), app); // documented: revocation stops new tokens only
    expect(await revokeIssuedTokens(db, app.id)).toBe(1);
    await expectRevoked(expect, await me(token));
  });
});

describe("token epochs", () => {
  it("issue every token with the application's current epoch", async ({ expect }) => {
    const app = await newApplication();
    expect(decodeJwt(await tokenFor(app)).epoch).toBe(0);
    await db.update(applications).set({ tokenEpoch: 4 }).where(eq(applications.id, app.id));
    const token = await tokenFor(app);
    expect(decodeJwt(token).epoch).toBe(4); // the token request reads the epoch with the credential
    await expectAccepted(expect, await me(token), app);
  });

  it("cut off earlier tokens at once in the isolate that raised the epoch, verified-token cache included", async ({ expect }) => {
    const app = await newApplication();
    const old = await tokenFor(app);
    await expectAccepted(expect, await me(old), app);
    await expectAccepted(expect, await me(old), app); // now served from the verified-token cache

    expect(await revokeIssuedTokens(db, app.id)).toBe(1);
    await expectRevoked(expect, await me(old));
    await expectRevoked(expect, await fetchWorker("/v1", { headers: { Authorization: `Bearer ${old}` } }));

    const fresh = await tokenFor(app);
    expect(decodeJwt(fresh).epoch).toBe(1);
    await expectAccepted(expect, await me(fresh), app);
  });

  it("cut off earlier tokens within TOKEN_EPOCH_TTL_SECONDS when raised elsewhere", async ({ expect }) => {
    const ttlSeconds = readConfig(env).tokenEpochTtlSeconds;
    expect(ttlSeconds, "test/vitest.config.ts sets a short TTL for this test").toBeLessThanOrEqual(2);
    const app = await newApplication();
    const old = await tokenFor(app);
    await expectAccepted(expect, await me(old), app);

    await raiseEpochInD1(app.id);
    await new Promise((resolve) => setTimeout(resolve, ttlSeconds * 1000 + 100));
    await expectRevoked(expect, await me(old));
    await expectAccepted(expect, await me(await tokenFor(app)), app);
  });

  it("count a token without an epoch claim (issued before epochs) as epoch 0", async ({ expect }) => {
    const app = await newApplication();
    const keys = await currentSigningKey(env.JWT_PRIVATE_KEY);
    const { accessToken: legacy } = await signAccessToken(
      keys,
      { applicationId: app.id, organizationId: 1, clientId: app.clientId },
      { issuer: readConfig(env).tokenIssuer, ttlSeconds: 600 },
    );
    expect(decodeJwt(legacy)).not.toHaveProperty("epoch");
    await expectAccepted(expect, await me(legacy), app);

    await revokeIssuedTokens(db, app.id);
    await expectRevoked(expect, await me(legacy));
  });

  it("belong to one application: raising another application's epoch changes nothing here", async ({ expect }) => {
    const mine = await newApplication();
    const other = await newApplication();
    const myToken = await tokenFor(mine);
    const otherToken = await tokenFor(other);

    await revokeIssuedTokens(db, other.id);
    await raiseEpochInD1(other.id);
    await expectRevoked(expect, await me(otherToken));
    await expectAccepted(expect, await me(myToken), mine);
  });
});
