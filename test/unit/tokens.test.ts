import { SignJWT, decodeJwt, decodeProtectedHeader } from "jose";
import { describe, it } from "vitest";
import { generateClientSecret, hashSecret, verifySecret } from "../../src/auth/secrets";
import {
  InvalidTokenError,
  SigningKeyMissingError,
  TOKEN_AUDIENCE,
  signAccessToken,
  currentSigningKey,
  verifyAccessToken,
  type KeyResolver,
  type SigningKey,
} from "../../src/auth/tokens";

const ISSUER = "kitty-edge";
const CLAIMS = { applicationId: 42, organizationId: 1, clientId: "client-a" };

/** A fresh P-256 private JWK as the JWT_PRIVATE_KEY secret holds it. */
const newSecret = async (kid = `kid-${crypto.randomUUID()}`) => {
  const { privateKey } = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey("jwk", privateKey)) as JsonWebKey;
  return JSON.stringify({ ...jwk, kid });
};

const newKeys = async (kid?: string) => currentSigningKey(await newSecret(kid));

/** A resolver that knows one key, as a deployment that never rotated. */
const only =
  (keys: SigningKey): KeyResolver =>
  async (kid) =>
    kid === keys.kid ? keys.publicKey : undefined;

/** A token signed with `keys` whose claims the test chooses freely. */
const forge = (
  keys: SigningKey,
  build: (jwt: SignJWT) => SignJWT,
  payload: Record<string, unknown> = { scope: "org:1:app", application_id: 42 },
) =>
  build(
    new SignJWT(payload)
      .setProtectedHeader({ alg: "ES256", kid: keys.kid })
      .setIssuer(ISSUER)
      .setSubject("client-a")
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt()
      .setJti(crypto.randomUUID()),
  ).sign(keys.privateKey);

const refusal = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  return undefined;
};

describe("currentSigningKey", () => {
  it("imports a P-256 private JWK and publishes only its public half under the same kid", async ({ expect }) => {
    const keys = await newKeys("my-kid");
    expect(keys.kid).toBe("my-kid");
    expect(keys.publicJwk).toMatchObject({ kty: "EC", crv: "P-256", kid: "my-kid", alg: "ES256" });
    expect(keys.publicJwk).not.toHaveProperty("d");
  });

  it.for([
    ["unset", undefined],
    ["empty", ""],
  ] as const)("refuses a secret that is %s", async ([_name, secret], { expect }) => {
    await expect(currentSigningKey(secret)).rejects.toBeInstanceOf(SigningKeyMissingError);
  });

  it.for([
    ["a public key only", (jwk: Record<string, unknown>) => ({ ...jwk, d: undefined })],
    ["a key without kid", (jwk: Record<string, unknown>) => ({ ...jwk, kid: undefined })],
    ["another curve", (jwk: Record<string, unknown>) => ({ ...jwk, crv: "P-384" })],
  ] as const)("refuses %s", async ([_name, change], { expect }) => {
    const jwk = JSON.parse(await newSecret()) as Record<string, unknown>;
    await expect(currentSigningKey(JSON.stringify(change(jwk)))).rejects.toBeInstanceOf(SigningKeyMissingError);
  });
});

describe("signAccessToken / verifyAccessToken", () => {
  it("round-trips the application, organization and client", async ({ expect }) => {
    const keys = await newKeys();
    const issued = await signAccessToken(keys, CLAIMS, { issuer: ISSUER, ttlSeconds: 600 });
    expect(issued.expiresIn).toBe(600);
    expect(issued.scope).toBe("org:1:app");
    expect(await verifyAccessToken(only(keys), issued.accessToken, { issuer: ISSUER })).toEqual(CLAIMS);
  });

  it("names the organization in the scope", async ({ expect }) => {
    const keys = await newKeys();
    const issued = await signAccessToken(keys, { ...CLAIMS, organizationId: 17 }, { issuer: ISSUER, ttlSeconds: 600 });
    expect(issued.scope).toBe("org:17:app");
    expect((await verifyAccessToken(only(keys), issued.accessToken, { issuer: ISSUER })).organizationId).toBe(17);
  });

  it("signs ES256 with the kid and carries every contract claim", async ({ expect }) => {
    const keys = await newKeys("kid-claims");
    const before = Math.floor(Date.now() / 1000);
    const { accessToken } = await signAccessToken(keys, CLAIMS, { issuer: ISSUER, ttlSeconds: 43_200 });
    expect(decodeProtectedHeader(accessToken)).toMatchObject({ alg: "ES256", kid: "kid-claims" });
    const claims = decodeJwt(accessToken);
    expect(claims).toMatchObject({ iss: ISSUER, sub: "client-a", aud: TOKEN_AUDIENCE, scope: "org:1:app", application_id: 42 });
    expect(claims.iat).toBeGreaterThanOrEqual(before - 1);
    expect(claims.exp! - claims.iat!).toBe(43_200);
    expect(typeof claims.jti).toBe("string");
  });

  it("gives every token its own jti", async ({ expect }) => {
    const keys = await newKeys();
    const a = decodeJwt((await signAccessToken(keys, CLAIMS, { issuer: ISSUER, ttlSeconds: 60 })).accessToken);
    const b = decodeJwt((await signAccessToken(keys, CLAIMS, { issuer: ISSUER, ttlSeconds: 60 })).accessToken);
    expect(a.jti).not.toBe(b.jti);
  });

  it("refuses an expired token", async ({ expect }) => {
    const keys = await newKeys();
    const past = Math.floor(Date.now() / 1000) - 3600;
    const token = await forge(keys, (jwt) => jwt.setIssuedAt(past - 60).setExpirationTime(past));
    const e = await refusal(verifyAccessToken(only(keys), token, { issuer: ISSUER }));
    expect(e).toBeInstanceOf(InvalidTokenError);
    expect((e as Error).message).toMatch(/expired/i);
  });

  it("accepts the same claims when not yet expired (control for the expiry test)", async ({ expect }) => {
    const keys = await newKeys();
    const token = await forge(keys, (jwt) => jwt.setExpirationTime("1h"));
    expect(await verifyAccessToken(only(keys), token, { issuer: ISSUER })).toEqual({
      applicationId: 42,
      organizationId: 1,
      clientId: "client-a",
    });
  });

  it.for([
    ["another issuer", (jwt: SignJWT) => jwt.setExpirationTime("1h").setIssuer("someone-else")],
    ["another audience", (jwt: SignJWT) => jwt.setExpirationTime("1h").setAudience("another-api")],
    ["no exp", (jwt: SignJWT) => jwt],
    ["a future nbf", (jwt: SignJWT) => jwt.setExpirationTime("2h").setNotBefore("1h")],
  ] as const)("refuses a token with %s", async ([_name, build], { expect }) => {
    const keys = await newKeys();
    const token = await forge(keys, build);
    await expect(verifyAccessToken(only(keys), token, { issuer: ISSUER })).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it("refuses a token when the verifier expects another issuer", async ({ expect }) => {
    const keys = await newKeys();
    const { accessToken } = await signAccessToken(keys, CLAIMS, { issuer: ISSUER, ttlSeconds: 600 });
    await expect(verifyAccessToken(only(keys), accessToken, { issuer: "other-issuer" })).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it.for([
    ["no application_id", { scope: "org:1:app" }],
    ["a string application_id", { scope: "org:1:app", application_id: "42" }],
    ["a zero application_id", { scope: "org:1:app", application_id: 0 }],
    ["no scope", { application_id: 42 }],
    ["a foreign scope", { scope: "admin", application_id: 42 }],
  ] as const)("refuses a signed token with %s", async ([_name, payload], { expect }) => {
    const keys = await newKeys();
    const token = await forge(keys, (jwt) => jwt.setExpirationTime("1h"), payload);
    await expect(verifyAccessToken(only(keys), token, { issuer: ISSUER })).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it("refuses a token signed with another key, even under the same kid", async ({ expect }) => {
    const mine = await newKeys("shared-kid");
    const theirs = await newKeys("shared-kid");
    const { accessToken } = await signAccessToken(theirs, CLAIMS, { issuer: ISSUER, ttlSeconds: 600 });
    await expect(verifyAccessToken(only(mine), accessToken, { issuer: ISSUER })).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it("refuses an alg:none token", async ({ expect }) => {
    const keys = await newKeys();
    const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ alg: "none", typ: "JWT" })}.${b64({ iss: ISSUER, sub: "client-a", aud: TOKEN_AUDIENCE, iat: now, exp: now + 600, jti: "x", scope: "org:1:app", application_id: 42 })}.`;
    await expect(verifyAccessToken(only(keys), token, { issuer: ISSUER })).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it.for(["", "garbage", "a.b.c", "a.b"])("refuses the malformed token %j", async (token, { expect }) => {
    const keys = await newKeys();
    await expect(verifyAccessToken(only(keys), token, { issuer: ISSUER })).rejects.toBeInstanceOf(InvalidTokenError);
  });
});

describe("client secrets", () => {
  it("generates at least 128 bits of randomness, unique across 100 calls", async ({ expect }) => {
    const secrets = Array.from({ length: 100 }, generateClientSecret);
    expect(new Set(secrets).size).toBe(100);
    const decoded = secrets.map((s) => {
      expect(s).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, safe in a Basic header and a form
      return Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    });
    for (const bytes of decoded) expect(bytes.byteLength).toBeGreaterThanOrEqual(16);
    // Each of the first 128 bits is a coin toss: over 100 secrets it is set about half the time
    // (outside 20..80 has odds below 1e-9 per bit for a fair coin). A constant or counter fails.
    for (let bit = 0; bit < 128; bit++) {
      const ones = decoded.filter((bytes) => (bytes[bit >> 3]! >> (bit & 7)) & 1).length;
      expect(ones, `bit ${bit}`).toBeGreaterThanOrEqual(20);
      expect(ones, `bit ${bit}`).toBeLessThanOrEqual(80);
    }
  });

  it.for([
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    ["acmesecret", undefined],
  ] as const)("hashSecret(%j) is the lowercase hex SHA-256", async ([input, known], { expect }) => {
    const hash = await hashSecret(input);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const expected = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(input)))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    expect(hash).toBe(known ?? expected);
    expect(hash).toBe(expected);
  });

  it("verifies the right secret and refuses others", async ({ expect }) => {
    const secret = generateClientSecret();
    const stored = await hashSecret(secret);
    expect(await verifySecret(secret, stored)).toBe(true);
    expect(await verifySecret(generateClientSecret(), stored)).toBe(false);
    expect(await verifySecret(`${secret}x`, stored)).toBe(false);
    expect(await verifySecret("", stored)).toBe(false);
    // A stored value that is not a well-formed hash never matches.
    expect(await verifySecret(secret, stored.slice(0, 63))).toBe(false);
    expect(await verifySecret(secret, "0".repeat(64))).toBe(false);
    // The secret itself is not its hash.
    expect(await verifySecret(secret, secret)).toBe(false);
  });
});
