/**
 * Signing-key rotation through the Worker and real D1. A rotation is simulated as `npm run keys --
 * rotate` performs it: the next key's public half is inserted (accepted_until null) before the
 * secret changes, and the replaced key is retired with accepted_until = now + token lifetime +
 * margin (`--revoke-previous`: accepted_until = now). The Worker keeps signing with
 * JWT_PRIVATE_KEY ("test-key"); "previous" and "pending" keys are generated here, each with its
 * own kid, and sign tokens for real applications.
 *
 * The isolate's copy of `signing_keys` is re-read at most once per TOKEN_EPOCH_TTL_SECONDS (1 s in
 * test/vitest.config.ts), so a test that changes the table waits that long before it looks.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { decodeProtectedHeader, type JWK } from "jose";
import { beforeEach, describe, it, vi } from "vitest";
import { ROTATION_MARGIN_MS } from "../../src/auth/signing-keys.queries";
import { currentSigningKey, signAccessToken, signGrant, type SigningKey } from "../../src/auth/tokens";
import { readConfig } from "../../src/config";
import { createDb, openSession } from "../../src/db/client";
import { signingKeys } from "../../src/db/schema";
import worker from "../../src/index";
import { fetchWorker, ORIGIN, setup, newApplication, tokenFor, type TestApplication } from "../helpers/api";

const db = createDb(openSession(env.DB));
const config = readConfig(env);
const CURRENT_KID = "test-key";

/** A fresh P-256 key as JWT_PRIVATE_KEY would hold it, imported. */
const newSigningKey = async (name: string): Promise<SigningKey> => {
  const { privateKey } = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey("jwk", privateKey)) as JsonWebKey;
  return currentSigningKey(JSON.stringify({ ...jwk, kid: `${name}-${crypto.randomUUID()}` }));
};

/**
 * A `signing_keys` row for the key's public half. D1 binds NaN as NULL, and a NULL accepted_until
 * means "accepted for ever": a miscomputed time must fail the test, not quietly widen the window.
 */
const publish = (key: SigningKey, window: { retiredAt?: number; acceptedUntil?: number; createdAt?: number } = {}) => {
  for (const [name, time] of Object.entries(window)) if (!Number.isFinite(time)) throw new Error(`publish: ${name} is ${time}`);
  return db.insert(signingKeys).values({
    kid: key.kid,
    publicJwk: JSON.stringify(key.publicJwk),
    ...(window.createdAt !== undefined ? { createdAt: new Date(window.createdAt) } : {}),
    ...(window.retiredAt !== undefined ? { retiredAt: new Date(window.retiredAt) } : {}),
    ...(window.acceptedUntil !== undefined ? { acceptedUntil: new Date(window.acceptedUntil) } : {}),
  });
};

/** What `keys rotate` leaves for the key it replaced: retired now, accepted for a token's lifetime more. */
const publishRetired = (key: SigningKey, acceptedUntil = Date.now() + config.tokenTtlSeconds * 1000 + ROTATION_MARGIN_MS) =>
  publish(key, { retiredAt: Date.now(), acceptedUntil });

const setAcceptedUntil = (kid: string, acceptedUntil: number) => {
  if (!Number.isFinite(acceptedUntil)) throw new Error(`setAcceptedUntil: ${acceptedUntil}`);
  return db
    .update(signingKeys)
    .set({ acceptedUntil: new Date(acceptedUntil) })
    .where(eq(signingKeys.kid, kid));
};

/** Long enough for this isolate to re-read the table. */
const waitForReread = () => new Promise((resolve) => setTimeout(resolve, config.tokenEpochTtlSeconds * 1000 + 100));

/** An access token for the application, signed by `key` (as an isolate with that secret issues it). */
const tokenSignedBy = async (key: SigningKey, app: TestApplication) =>
  (
    await signAccessToken(
      key,
      { applicationId: app.id, organizationId: 1, clientId: app.clientId, epoch: 0 },
      { issuer: config.tokenIssuer, ttlSeconds: config.tokenTtlSeconds },
    )
  ).accessToken;

const me = (token: string) => fetchWorker("/v1/applications/me", { headers: { Authorization: `Bearer ${token}` } });

const expectAccepted = async (expect: any, res: Response, app: TestApplication) => {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(JSON.parse(text).id).toBe(app.id);
};

const expectRefused = async (expect: any, res: Response) => {
  const text = await res.text();
  expect(res.status, text).toBe(401);
  expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer .*error="invalid_token", error_description="The access token is invalid"/);
  expect(JSON.parse(text)).toMatchObject({ error: "UnauthorizedError", message: "The access token is invalid" });
};

const jwks = async () => {
  const res = await fetchWorker("/.well-known/jwks.json");
  const text = await res.text();
  return { res, text, keys: (JSON.parse(text) as { keys: JWK[] }).keys };
};

const rows = async () => Object.fromEntries((await db.select().from(signingKeys)).map((row) => [row.kid, row]));

beforeEach(async () => {
  await db.delete(signingKeys);
});

describe("tokens across a key rotation", () => {
  it("are verified with the signing key alone when the table is empty (no rotation ever)", async ({ expect }) => {
    const app = await newApplication();
    await waitForReread(); // whatever an earlier test left in this isolate's copy is gone
    const token = await tokenFor(app);
    expect(decodeProtectedHeader(token).kid).toBe(CURRENT_KID);
    await expectAccepted(expect, await me(token), app);
    await expectAccepted(expect, await me(token), app);
    await expectAccepted(expect, await me(await tokenSignedBy(await currentSigningKey(env.JWT_PRIVATE_KEY), app)), app);
  });

  it("signed by the previous key are accepted while its window is open, and so are a pending key's", async ({ expect }) => {
    const app = await newApplication();
    const previous = await newSigningKey("previous");
    const pending = await newSigningKey("pending");
    await publishRetired(previous);
    await publish(pending); // inserted by `keys rotate` before the secret changes: old isolates accept the new key
    await waitForReread();

    await expectAccepted(expect, await me(await tokenSignedBy(previous, app)), app);
    await expectAccepted(expect, await me(await tokenSignedBy(pending, app)), app);
    await expectAccepted(expect, await me(await tokenFor(app)), app);
  });

  it("signed by the previous key are refused once its window has passed, though this isolate had verified them", async ({ expect }) => {
    const app = await newApplication();
    const previous = await newSigningKey("previous");
    const until = Date.now() + 3_000; // a window that closes during the test, with no further write
    await publishRetired(previous, until);
    await waitForReread();
    const token = await tokenSignedBy(previous, app);
    await expectAccepted(expect, await me(token), app);
    await expectAccepted(expect, await me(token), app); // now from the verified-token cache

    await new Promise((resolve) => setTimeout(resolve, until - Date.now() + 50));
    await expectRefused(expect, await me(token));
    await expectAccepted(expect, await me(await tokenFor(app)), app); // the signing key's tokens are untouched
  });

  it("signed by a revoked previous key (--revoke-previous) are cut off within the TTL, cached or not", async ({ expect }) => {
    const app = await newApplication();
    const previous = await newSigningKey("previous");
    await publishRetired(previous);
    await waitForReread();
    const cached = await tokenSignedBy(previous, app);
    await expectAccepted(expect, await me(cached), app);
    await expectAccepted(expect, await me(cached), app);

    await setAcceptedUntil(previous.kid, Date.now()); // written elsewhere: this isolate still has the old window
    await waitForReread();
    await expectRefused(expect, await me(cached));
    await expectRefused(expect, await me(await tokenSignedBy(previous, app)));
  });

  it("are refused when their kid is unknown, or names an accepted key but the signature is another key's", async ({ expect }) => {
    const app = await newApplication();
    const previous = await newSigningKey("previous");
    const stranger = await newSigningKey("stranger");
    await publishRetired(previous);
    await waitForReread();

    await expectRefused(expect, await me(await tokenSignedBy(stranger, app)));
    const impostor: SigningKey = { ...stranger, kid: previous.kid };
    const forged = await tokenSignedBy(impostor, app);
    expect(decodeProtectedHeader(forged).kid).toBe(previous.kid);
    await expectRefused(expect, await me(forged));
    const foreignCurrent = await currentSigningKey(env.TEST_FOREIGN_KEY); // kid "test-key", another key
    await expectRefused(expect, await me(await tokenSignedBy(foreignCurrent, app)));
    await expectAccepted(expect, await me(await tokenSignedBy(previous, app)), app);
  });
});

describe("GET /.well-known/jwks.json across a rotation", () => {
  it("publishes the signing key first, then the other accepted keys, never a closed one nor a private part", async ({ expect }) => {
    const current = await currentSigningKey(env.JWT_PRIVATE_KEY);
    const previous = await newSigningKey("previous");
    const pending = await newSigningKey("pending");
    const expired = await newSigningKey("expired");
    await publish(current); // the sweep's row for the signing key: published once, not twice
    await publishRetired(previous);
    await publish(pending);
    await publish(expired, { retiredAt: Date.now() - 60_000, acceptedUntil: Date.now() - 1 });
    await waitForReread();

    const { res, text, keys } = await jwks();
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toMatch(/\bmax-age=\d+/);
    expect(keys.map((key) => key.kid)[0]).toBe(CURRENT_KID);
    expect(keys[0]).toEqual(current.publicJwk);
    expect(keys.slice(1).map((key) => key.kid)).toEqual(expect.arrayContaining([previous.kid, pending.kid]));
    expect(keys).toHaveLength(3);
    for (const [key, published] of [
      [previous, keys.find((k) => k.kid === previous.kid)],
      [pending, keys.find((k) => k.kid === pending.kid)],
    ] as const) {
      expect(published).toMatchObject({ kty: "EC", crv: "P-256", x: key.publicJwk.x, y: key.publicJwk.y, alg: "ES256", use: "sig" });
    }
    expect(text).not.toMatch(/"d"\s*:/);

    await setAcceptedUntil(previous.kid, Date.now());
    await waitForReread();
    expect((await jwks()).keys.map((key) => key.kid)).toEqual([CURRENT_KID, pending.kid]);
  });

  it("publishes only the public half of a row stored with its private part, and survives a row that is not a key", async ({ expect }) => {
    const app = await newApplication();
    const { privateKey } = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    const secret = { ...((await crypto.subtle.exportKey("jwk", privateKey)) as JsonWebKey), kid: `careless-${crypto.randomUUID()}` };
    const careless = await currentSigningKey(JSON.stringify(secret));
    await db.insert(signingKeys).values({ kid: careless.kid, publicJwk: JSON.stringify(secret) }); // `d` included by mistake
    await db.insert(signingKeys).values({ kid: "not-a-key", publicJwk: "{not json" });
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      await waitForReread();
      const { res, text, keys } = await jwks();
      expect(res.status).toBe(200);
      expect(keys.map((key) => key.kid)).toEqual([CURRENT_KID, careless.kid]);
      expect(text).not.toContain(secret.d);
      expect(text).not.toMatch(/"d"\s*:/);
      await expectAccepted(expect, await me(await tokenSignedBy(careless, app)), app);
      await expectRefused(expect, await me(await tokenSignedBy({ ...careless, kid: "not-a-key" }, app))); // 401, not 500
    } finally {
      errors.mockRestore();
    }
  });

  it("publishes only the signing key when the table is empty", async ({ expect }) => {
    await waitForReread();
    const { keys } = await jwks();
    expect(keys.map((key) => key.kid)).toEqual([CURRENT_KID]);
  });
});

describe("upload grants across a key rotation", () => {
  it("signed by the previous key still authorise uploads while its window is open, and not after", async ({ expect }) => {
    const w = await setup();
    const user = await w.createUser();
    const channel = await w.createChannel("PUBLIC", "uploads");
    const joined = await w.api.post(`${w.urls.channels}/${channel.id}/members`, {
      href: `${ORIGIN}/v1/applications/${w.app.id}/users/${user.id}`,
    });
    expect(joined.status).toBe(200);
    const previous = await newSigningKey("previous");
    const stranger = await newSigningKey("stranger");
    await publishRetired(previous);
    await waitForReread();

    const grantBy = (key: SigningKey) =>
      signGrant(key, { applicationId: w.app.id, userId: user.id, purpose: "file:write" }, { issuer: config.tokenIssuer, ttlSeconds: 600 });
    const upload = (grant: string) => {
      const form = new FormData();
      form.append("file", new File([new Uint8Array([1, 2, 3])], "a.bin", { type: "application/octet-stream" }));
      return fetchWorker(`/stompx/v1/channels/${channel.id}/messages`, { method: "POST", headers: { Grant: grant }, body: form });
    };

    const grant = await grantBy(previous);
    const accepted = await upload(grant);
    expect(accepted.status, await accepted.clone().text()).toBe(200);
    expect(await accepted.json()).toMatchObject({ type: "FILE" });
    const forged = await upload(await grantBy(stranger));
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: "UnauthorizedError" });

    await setAcceptedUntil(previous.kid, Date.now());
    await waitForReread();
    const refused = await upload(grant);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: "UnauthorizedError" });
  });
});

describe("the scheduled sweep of signing_keys", () => {
  const sweep = async (scheduledTime: number) => {
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ scheduledTime, cron: "*/5 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
  };

  it("records the signing key, retires a stale replaced key, keeps a pending one and forgets closed ones", async ({ expect }) => {
    const now = Date.now();
    const stale = await newSigningKey("stale"); // replaced by a secret put by hand, never retired
    const pending = await newSigningKey("pending"); // `keys rotate` published it, the secret is not in place yet
    const previous = await newSigningKey("previous");
    const expired = await newSigningKey("expired");
    const closingNow = await newSigningKey("closing-now");
    await publish(stale, { createdAt: now - ROTATION_MARGIN_MS - 60_000 });
    await publish(pending, { createdAt: now - 1_000 });
    const previousUntil = now + 3_600_000;
    await publish(previous, { createdAt: now - 86_400_000, retiredAt: now - 60_000, acceptedUntil: previousUntil });
    await publish(expired, { createdAt: now - 86_400_000, retiredAt: now - 86_000_000, acceptedUntil: now - 1 });
    await publish(closingNow, { createdAt: now - 86_400_000, retiredAt: now - 86_000_000, acceptedUntil: now });

    await sweep(now);

    const after = await rows();
    expect(Object.keys(after).sort()).toEqual([CURRENT_KID, pending.kid, previous.kid, stale.kid].sort());
    const current = await currentSigningKey(env.JWT_PRIVATE_KEY);
    expect(JSON.parse(after[CURRENT_KID]!.publicJwk)).toEqual(current.publicJwk);
    expect(after[CURRENT_KID]!.publicJwk).not.toMatch(/"d"\s*:/);
    expect(after[CURRENT_KID]).toMatchObject({ retiredAt: null, acceptedUntil: null });
    expect(after[stale.kid]).toMatchObject({
      retiredAt: new Date(now),
      acceptedUntil: new Date(now + config.tokenTtlSeconds * 1000 + ROTATION_MARGIN_MS),
    });
    expect(after[pending.kid]).toMatchObject({ retiredAt: null, acceptedUntil: null });
    expect(after[previous.kid]).toMatchObject({ retiredAt: new Date(now - 60_000), acceptedUntil: new Date(previousUntil) });
  });

  it("never retires the signing key, and leaves the table as it is when run again", async ({ expect }) => {
    const now = Date.now();
    const current = await currentSigningKey(env.JWT_PRIVATE_KEY);
    await publish(current, { createdAt: now - 86_400_000 }); // recorded by a sweep long ago
    await sweep(now);
    const once = await rows();
    expect(Object.keys(once)).toEqual([CURRENT_KID]);
    expect(once[CURRENT_KID]).toMatchObject({ createdAt: new Date(now - 86_400_000), retiredAt: null, acceptedUntil: null });
    await sweep(now + 60_000);
    expect(await rows()).toEqual(once);
  });

  it("retires a stale key with a window in which its tokens are still accepted", async ({ expect }) => {
    const app = await newApplication();
    const stale = await newSigningKey("stale");
    await publish(stale, { createdAt: Date.now() - ROTATION_MARGIN_MS - 60_000 });
    await sweep(Date.now());
    expect((await rows())[stale.kid]!.acceptedUntil!.getTime()).toBeGreaterThan(Date.now());
    await waitForReread();
    await expectAccepted(expect, await me(await tokenSignedBy(stale, app)), app);
  });
});
