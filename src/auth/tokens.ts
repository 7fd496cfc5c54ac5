/**
 * Access tokens: ES256 JWTs signed with the private JWK in the `JWT_PRIVATE_KEY` secret. This is
 * the only module that imports jose. Verification is pinned to ES256 and to our issuer and
 * audience, so `alg: none`, HMAC-confusion and tokens minted for other services are all refused,
 * and checking a token needs no database: the application id travels inside the signed claims.
 * The verifying key is the one the token's `kid` names (auth/key-ring.ts: the signing key, or a
 * previous one still accepted after a rotation).
 */
import { SignJWT, decodeProtectedHeader, errors, exportJWK, importJWK, jwtVerify, type JWK, type JWTVerifyGetKey } from "jose";

const TOKEN_ALGORITHM = "ES256";
export const TOKEN_AUDIENCE = "kitty-edge:platform-api";

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export interface AccessTokenClaims {
  applicationId: number;
  organizationId: number;
  clientId: string;
  /** The application's token epoch when the token was issued (auth/epochs.ts); omitted: none. */
  epoch?: number;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
}

export class SigningKeyMissingError extends Error {}

// Keys are imported once per isolate and per secret value: importing costs far more than a
// signature, and the promise (not the result) is cached so concurrent requests share one import.
const keyCache = new Map<string, Promise<SigningKey>>();

const importKeys = async (secret: string): Promise<SigningKey> => {
  const jwk = JSON.parse(secret) as JWK;
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.d || !jwk.kid) {
    throw new SigningKeyMissingError("JWT_PRIVATE_KEY must be a P-256 private JWK with a kid");
  }
  const { d: _private, key_ops: _ops, ...publicFields } = jwk;
  const privateKey = (await importJWK({ ...jwk, alg: TOKEN_ALGORITHM }, TOKEN_ALGORITHM)) as CryptoKey;
  const publicKey = await importPublicKey(publicFields);
  const exported = await exportJWK(publicKey);
  return {
    kid: jwk.kid,
    privateKey,
    publicKey,
    publicJwk: { ...exported, kid: jwk.kid, alg: TOKEN_ALGORITHM, use: "sig" },
  };
};

/** A public P-256 JWK as a verification key. @example await importPublicKey({ kty: "EC", crv: "P-256", x, y }) */
export const importPublicKey = async (jwk: JWK): Promise<CryptoKey> =>
  (await importJWK({ ...jwk, alg: TOKEN_ALGORITHM }, TOKEN_ALGORITHM)) as CryptoKey;

/**
 * The key a token's `kid` names, if it may verify tokens; undefined: refuse the token.
 * @example const resolve: KeyResolver = async (kid) => (kid === key.kid ? key.publicKey : undefined)
 */
export type KeyResolver = (kid: string | undefined) => Promise<CryptoKey | undefined>;

/** The key this deployment signs with. @example const { kid } = await currentSigningKey(env.JWT_PRIVATE_KEY) */
export const currentSigningKey = (secret: string | undefined): Promise<SigningKey> => {
  if (!secret) return Promise.reject(new SigningKeyMissingError("JWT_PRIVATE_KEY is not set"));
  let keys = keyCache.get(secret);
  if (!keys) {
    keys = importKeys(secret);
    keyCache.set(secret, keys);
    keys.catch(() => keyCache.delete(secret));
  }
  return keys;
};

const tokenScope = (organizationId: number) => `org:${organizationId}:app`;

export const signAccessToken = async (
  keys: SigningKey,
  claims: AccessTokenClaims,
  options: { issuer: string; ttlSeconds: number },
): Promise<IssuedToken> => {
  const scope = tokenScope(claims.organizationId);
  const accessToken = await new SignJWT({
    scope,
    application_id: claims.applicationId,
    client_id: claims.clientId,
    ...(claims.epoch !== undefined ? { epoch: claims.epoch } : {}),
  })
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: keys.kid, typ: "at+jwt" })
    .setIssuer(options.issuer)
    .setSubject(claims.clientId)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds}s`)
    .setJti(crypto.randomUUID())
    .sign(keys.privateKey);
  return { accessToken, expiresIn: options.ttlSeconds, scope };
};

export interface VerifiedToken {
  applicationId: number;
  organizationId: number;
  clientId: string;
  /**
   * The `epoch` claim: the application's token epoch at issuance. Absent on tokens issued before
   * epochs existed, which count as epoch 0 (see auth/epochs.ts).
   */
  epoch?: number;
}

/** Why a token was refused, in words safe to show its holder. */
export class InvalidTokenError extends Error {}

/** jose's key lookup over a resolver: an unknown or retired `kid` fails like a bad signature. */
const keyLookup =
  (resolve: KeyResolver): JWTVerifyGetKey =>
  async ({ kid }) => {
    const key = await resolve(kid);
    if (!key) throw new errors.JWKSNoMatchingKey();
    return key;
  };

/** The token's `kid` header, unverified (only to pick its key). @example tokenKid(jwt) // "a1b2c3d4e5f60718" */
export const tokenKid = (token: string): string | undefined => {
  try {
    const header = decodeProtectedHeader(token);
    return typeof header.kid === "string" ? header.kid : undefined;
  } catch {
    return undefined;
  }
};

export const verifyAccessToken = async (resolve: KeyResolver, token: string, options: { issuer: string }): Promise<VerifiedToken> => {
  try {
    const { payload } = await jwtVerify(token, keyLookup(resolve), {
      algorithms: [TOKEN_ALGORITHM],
      issuer: options.issuer,
      audience: TOKEN_AUDIENCE,
      requiredClaims: ["exp", "iat", "sub", "jti"],
    });
    const applicationId = payload.application_id;
    const match = typeof payload.scope === "string" ? /^org:(\d{1,15}):app$/.exec(payload.scope) : null;
    if (typeof applicationId !== "number" || !Number.isSafeInteger(applicationId) || applicationId < 1 || !match) {
      throw new InvalidTokenError("The access token is missing its application");
    }
    const epoch = payload.epoch;
    if (epoch !== undefined && (typeof epoch !== "number" || !Number.isSafeInteger(epoch) || epoch < 0)) {
      throw new InvalidTokenError("The access token is invalid");
    }
    return { applicationId, organizationId: Number(match[1]), clientId: String(payload.sub), ...(epoch !== undefined ? { epoch } : {}) };
  } catch (e) {
    if (e instanceof InvalidTokenError) throw e;
    if (e instanceof errors.JWTExpired) throw new InvalidTokenError("The access token expired");
    if (e instanceof errors.JOSEError) throw new InvalidTokenError("The access token is invalid");
    throw e;
  }
};

/** File access grants handed to chat sessions (read: download files; write: upload them). */
export type GrantPurpose = "file:read" | "file:write";
const GRANT_AUDIENCE = "kitty-edge:file-grant";

export interface Grant {
  applicationId: number;
  userId: number;
  purpose: GrantPurpose;
  /**
   * The challenge token that admitted the session (applications that require authenticated
   * sessions): a grant stops working when that token is revoked, as the session does.
   */
  tokenId?: number;
}

/**
 * A grant is a short ES256 JWT signed with the token key. It lives as long as an access token:
 * the SDK caches it for the whole session and never asks again, so what it allows is checked
 * again on every use (the user, their membership, the token it was issued under).
 */
export const signGrant = (keys: SigningKey, grant: Grant, options: { issuer: string; ttlSeconds: number }) =>
  new SignJWT({
    application_id: grant.applicationId,
    purpose: grant.purpose,
    ...(grant.tokenId !== undefined ? { token_id: grant.tokenId } : {}),
  })
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: keys.kid })
    .setIssuer(options.issuer)
    .setSubject(String(grant.userId))
    .setAudience(GRANT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds}s`)
    .sign(keys.privateKey);

/** The grant's holder, or undefined for anything forged, expired or of another purpose. */
export const verifyGrant = async (
  resolve: KeyResolver,
  token: string,
  purpose: GrantPurpose,
  options: { issuer: string },
): Promise<Grant | undefined> => {
  try {
    const { payload } = await jwtVerify(token, keyLookup(resolve), {
      algorithms: [TOKEN_ALGORITHM],
      issuer: options.issuer,
      audience: GRANT_AUDIENCE,
    });
    const applicationId = payload.application_id;
    const userId = Number(payload.sub);
    const tokenId = payload.token_id;
    if (payload.purpose !== purpose || typeof applicationId !== "number" || !Number.isSafeInteger(userId)) return undefined;
    if (tokenId !== undefined && typeof tokenId !== "number") return undefined;
    return { applicationId, userId, purpose, ...(tokenId !== undefined ? { tokenId } : {}) };
  } catch (e) {
    if (e instanceof errors.JOSEError) return undefined;
    throw e;
  }
};
