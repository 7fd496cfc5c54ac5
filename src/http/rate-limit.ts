/**
 * Rate limits of the HTTP API: `POST /oauth/token` per client id attempted, `/v1` per
 * application. Over a limit the answer is 429 `TooManyRequestsError` (contract §5) with
 * `Retry-After`. (Chat sessions have their own per-connection budget: durable/frame-rate.ts.)
 *
 * Counting is the Workers Rate Limiting binding's (`[[ratelimits]]` in wrangler.toml, which sets
 * each limit and period): no extra object or storage write per request. Its counters are kept
 * per Cloudflare location and are eventually consistent, so a caller reaching several locations
 * gets a budget in each, and a burst may overshoot a little before the counter catches up. These
 * limits stop runaway clients; they are not a billing quota.
 *
 * The binding does not say when its window ends, so `Retry-After` is the longest period a binding
 * can have (60 s): by then the window that refused has ended, whatever the configured period.
 * Unauthenticated requests are not counted here: a `/v1` request is counted only once its token
 * verified (so nobody can spend another application's budget), and refusing a bad token costs as
 * little as counting it would. Floods per IP are for Cloudflare's WAF rate-limiting rules.
 * @example app.use("/v1/*", bearerAuth, apiRateLimit)
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "./errors";

export const RETRY_AFTER_SECONDS = 60;

// Keys are at most this long: client ids come from the caller, and one that long names no client.
const MAX_KEY_CHARS = 256;

type KeyOf = (c: Context<AppEnv>) => string | undefined | Promise<string | undefined>;

/**
 * Middleware counting each request against `limiter` under the key `keyOf` gives (none: not
 * counted). Without the binding (its block removed from wrangler.toml) nothing is limited, and
 * if the binding fails the request goes through: limits must never take the API down.
 */
const rateLimit = (limiter: (env: Env) => RateLimit | undefined, keyOf: KeyOf, what: string) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const binding = limiter(c.env);
    const key = binding ? await keyOf(c) : undefined;
    if (key === undefined) return next();
    const tooMany = () =>
      new ApiError(
        "TooManyRequestsError",
        `Too many requests ${what}; retry after ${RETRY_AFTER_SECONDS} seconds`,
        { retryAfterSeconds: RETRY_AFTER_SECONDS },
        { "Retry-After": String(RETRY_AFTER_SECONDS) },
      );
    const counted = allowed(binding, key, c);
    if (c.req.method === "GET" || c.req.method === "HEAD") {
      // A read changes nothing, so it is counted while it runs, and refused at the end when over
      // the limit: the limiter's round trip overlaps the request's own instead of preceding it.
      await next();
      if (!(await counted)) throw tooMany();
      return;
    }
    if (!(await counted)) throw tooMany();
    await next();
  });

/** Counts one request under `key`; a binding that is missing or fails lets it through. */
export const allowed = async (binding: RateLimit | undefined, key: string, c: Context<AppEnv>): Promise<boolean> => {
  if (!binding) return true;
  try {
    return (await binding.limit({ key: key.slice(0, MAX_KEY_CHARS) })).success;
  } catch (e) {
    console.error(
      JSON.stringify({
        level: "error",
        event: "rate_limit_failed",
        requestId: c.get("requestId"),
        error: e instanceof Error ? e.message : String(e),
      }),
    );
    return true;
  }
};

const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

/**
 * The client id a token request names, as `POST /oauth/token` reads it: the Basic credentials'
 * (form-decoded, RFC 6749 §2.3.1), else the form's `client_id`. Decoded the same way so that
 * spelling an id differently (`%61cme`) does not earn a fresh budget. Anything unreadable is not
 * counted: the token endpoint refuses it before any lookup.
 */
const attemptedClientId: KeyOf = async (c) => {
  const encoded = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(c.req.header("Authorization") ?? "")?.[1];
  if (encoded) {
    let decoded: string;
    try {
      decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
        Uint8Array.from(atob(encoded), (ch) => ch.charCodeAt(0)),
      );
    } catch {
      return undefined;
    }
    const colon = decoded.indexOf(":");
    if (colon < 0) return undefined;
    const id = decoded.slice(0, colon);
    try {
      return `client:${decodeURIComponent(id.replace(/\+/g, " "))}`;
    } catch {
      return `client:${id}`;
    }
  }
  if (!FORM_TYPES.test(c.req.header("Content-Type") ?? "")) return undefined;
  try {
    // Hono keeps the parsed form, so the token endpoint does not read the body twice.
    const id = (await c.req.parseBody()).client_id;
    return typeof id === "string" && id !== "" ? `client:${id}` : undefined;
  } catch {
    return undefined;
  }
};

/** `POST /oauth/token`: attempts per client id, right or wrong secret (`TOKEN_RATE_LIMITER`). */
export const tokenRateLimit = rateLimit((env) => env.TOKEN_RATE_LIMITER, attemptedClientId, "for this client id");

/** `/v1`: requests per application, after bearer auth (`API_RATE_LIMITER`). */
export const apiRateLimit = rateLimit(
  (env) => env.API_RATE_LIMITER,
  (c) => `app:${c.var.auth.applicationId}`,
  "for this application",
);
