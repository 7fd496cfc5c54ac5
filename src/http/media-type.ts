/**
 * 406 for an `Accept` header that rules out JSON (contract §4). A missing header, `*\/*`,
 * `application/*` and any JSON type (`application/json`, `application/hal+json`) are fine.
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
