/**
 * 406 for an `Accept` header that rules out JSON (contract §4). A missing header, `*\/*`,
 * `application/*` and any JSON type (`application/json`, `application/hal+json`,
 * `application/vnd.chatkitty+json`) are fine: both ChatKitty server SDKs' headers
 * (`application/json, text/plain, *\/*` and `application/vnd.chatkitty+json,*\/*;q=0.8`) pass.
 */
import { createMiddleware } from "hono/factory";
import { ApiError } from "./errors";

const JSONISH = /^(\*\/\*|application\/\*|application\/json|application\/hal\+json|application\/[\w.+-]*\+json)$/i;

/** True when some media range of the header accepts JSON with a non-zero quality. */
export const acceptsJson = (accept: string | undefined): boolean => {
  if (!accept?.trim()) return true;
  return accept.split(",").some((range) => {
    const [type = "", ...params] = range.split(";").map((s) => s.trim());
    const q = params.find((p) => /^q=/i.test(p));
    return JSONISH.test(type) && (!q || Number(q.slice(2)) > 0);
  });
};

export const requireJsonAccept = createMiddleware(async (c, next) => {
  if (!acceptsJson(c.req.header("Accept"))) {
    throw new ApiError("NotAcceptableError", "This API only produces application/hal+json and application/json");
  }
  await next();
});

/** `application/json+<anything>`: JSON with the suffix on the wrong side (the ChatKitty SDKs' merge patch type). */
const INVERTED_JSON = /^\s*application\/json\+([\w.-]+)\s*(;.*)?$/i;

/**
 * Both ChatKitty SDKs send merge patches as `application/json+merge-patch`, which no JSON
 * parser downstream (Hono's validator, zod-openapi's media-type gate) recognises, since the
 * structured suffix of RFC 6839 is `+json` at the end. Renaming it to the registered
 * `application/merge-patch+json` before routing lets every route treat it as the JSON it is.
 */
export const normalizeJsonContentType = createMiddleware(async (c, next) => {
  const match = INVERTED_JSON.exec(c.req.header("Content-Type") ?? "");
  if (match) {
    const headers = new Headers(c.req.raw.headers);
    headers.set("Content-Type", `application/${match[1]!.toLowerCase()}+json${match[2] ?? ""}`);
    c.req.raw = new Request(c.req.raw, { headers });
  }
  await next();
});
