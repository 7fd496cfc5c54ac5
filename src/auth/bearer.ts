/**
 * `Authorization: Bearer` for every `/v1` request (contract §3), checked before routing so an
 * unknown `/v1` path without a token is a 401, not a 404. No database query: the token's signed
 * claims name the application.
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "../http/errors";
import { InvalidTokenError, signingKeys, verifyAccessToken } from "./tokens";

const REALM = "kitty-edge";

// RFC 6750 §3: quoted-string values; our descriptions are fixed texts without quotes or
// backslashes, and escaping anyway keeps a future message from breaking the header syntax.
const quote = (s: string) => `"${s.replace(/[\\"]/g, "\\$&")}"`;

const challenge = (error?: { code: string; description: string }) =>
  error
    ? `Bearer realm=${quote(REALM)}, error=${quote(error.code)}, error_description=${quote(error.description)}`
    : `Bearer realm=${quote(REALM)}`;

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
  const keys = await signingKeys(c.env.JWT_PRIVATE_KEY);
  try {
    c.set("auth", await verifyAccessToken(keys, token, { issuer: c.var.config.tokenIssuer }));
  } catch (e) {
    if (!(e instanceof InvalidTokenError)) throw e;
    throw new ApiError("UnauthorizedError", e.message, undefined, {
      "WWW-Authenticate": challenge({ code: "invalid_token", description: e.message }),
    });
  }
  await next();
});
