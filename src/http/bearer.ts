/**
 * `Authorization: Bearer` for every `/v1` request (contract §3), checked before routing so an
 * unknown `/v1` path without a token is a 401, not a 404. No database query per request: the
 * token's signed claims name the application, and its epoch is compared with the isolate's cached
 * epoch of that application (auth/epochs.ts, re-read at most once per TOKEN_EPOCH_TTL_SECONDS).
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "./errors";
import { isRevoked } from "../auth/epochs";
import { keyResolver } from "../auth/key-ring";
import { InvalidTokenError, tokenKid, verifyAccessToken, type VerifiedToken } from "../auth/tokens";

const REALM = "kitty-edge";

/**
 * Tokens already verified by this isolate, until they expire. An ECDSA verification is most of
 * what authenticating costs, and a back end sends the same token thousands of times. The key is
 * the whole token, signature included, so a cached entry can only ever match the exact token that
 * verified; bounded so memory stays flat. A hit still asks whether the token's signing key is
 * accepted (free for the current key): a key rotated out, or dropped, ends its cached tokens too.
 */
const verified = new Map<string, { token: VerifiedToken; kid: string | undefined; expiresAt: number }>();
const VERIFIED_CACHE_SIZE = 10_000;

const expiryOf = (jwt: string): number => {
  try {
    const payload = JSON.parse(atob(jwt.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as { exp?: number };
    return typeof payload.exp === "number" ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
};

// RFC 6750 §3: quoted-string values; our descriptions are fixed texts without quotes or
// backslashes, and escaping anyway keeps a future message from breaking the header syntax.
const quote = (s: string) => `"${s.replace(/[\\"]/g, "\\$&")}"`;

const challenge = (error?: { code: string; description: string }) =>
  error
    ? `Bearer realm=${quote(REALM)}, error=${quote(error.code)}, error_description=${quote(error.description)}`
    : `Bearer realm=${quote(REALM)}`;

const unauthorized = (description: string) =>
  new ApiError("UnauthorizedError", description, undefined, {
    "WWW-Authenticate": challenge({ code: "invalid_token", description }),
  });

export const bearerAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("Authorization");
  if (!header) {
    throw new ApiError("UnauthorizedError", "An access token is required: send Authorization: Bearer <token>", undefined, {
      "WWW-Authenticate": challenge(),
    });
  }
  const token = /^Bearer +(\S+) *$/i.exec(header)?.[1];
  if (!token) {
    throw new ApiError("UnauthorizedError", "The Authorization header must be: Bearer <token>", undefined, {
      "WWW-Authenticate": challenge(),
    });
  }
  let claims: VerifiedToken;
  const resolve = keyResolver(c.env.JWT_PRIVATE_KEY, c.var.db, c.var.config.tokenEpochTtlSeconds);
  const cached = verified.get(token);
  if (cached && cached.expiresAt > Date.now() && (await resolve(cached.kid))) {
    claims = cached.token;
  } else {
    try {
      claims = await verifyAccessToken(resolve, token, { issuer: c.var.config.tokenIssuer });
    } catch (e) {
      if (!(e instanceof InvalidTokenError)) throw e;
      throw unauthorized(e.message);
    }
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(token, { token: claims, kid: tokenKid(token), expiresAt: expiryOf(token) });
  }
  // After the signature, on the cached path too: a verified token stays verified, but its
  // application may have raised its epoch since. Only signed tokens get this far, so nobody can
  // make us read D1 for application ids of their choosing.
  if (await isRevoked(c.var.db, claims, c.var.config.tokenEpochTtlSeconds)) {
    throw unauthorized("The access token was revoked");
  }
  c.set("auth", claims);
  await next();
});
