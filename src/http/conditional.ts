/**
 * Conditional requests (RFC 9110 §13). Every successful GET carries a strong `ETag`: a digest of
 * the exact bytes of its body, so a representation that changes in any way (a renamed user, a new
 * page entry, another host in the links) gets a new tag. `If-None-Match` with a current tag is
 * answered `304` with no body. Writes to a single resource honour `If-Match`: the handler
 * computes the tag of the representation it is about to change (`requireMatch`), the same bytes a
 * GET would send, and answers `412` when the client's copy is stale.
 * @example app.use(conditionalGet)
 * @example await requireMatch(c, () => channelResource(c, appId, channelId))
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "./errors";

/** The strong tag of a body: 128 bits of its SHA-256, base64url. */
const entityTag = async (body: string | ArrayBuffer): Promise<string> => {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)).slice(0, 16);
  return `"${btoa(String.fromCharCode(...digest))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "")}"`;
};

/** The tags of an `If-Match` / `If-None-Match` list; `*` stands for any current representation. */
const listedTags = (header: string): string[] => header.match(/\*|(?:W\/)?"[^"]*"/g) ?? [];

/** Headers a 304 keeps (RFC 9110 §15.4.5), plus ours that tie it to the request and its session. */
const KEPT_ON_304 = ["cache-control", "content-location", "date", "etag", "expires", "vary", "x-request-id", "x-d1-bookmark"];

export const conditionalGet = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if ((c.req.method !== "GET" && c.req.method !== "HEAD") || c.res.status !== 200) return;
  let tag = c.res.headers.get("ETag");
  if (!tag) {
    // Read once and put back: cheaper than teeing the body with clone().
    const body = await c.res.arrayBuffer();
    tag = await entityTag(body);
    c.res = new Response(body, c.res);
  }
  const ifNoneMatch = c.req.header("If-None-Match");
  // Weak comparison (§13.1.2): a W/ prefix on the client's copy does not matter for a GET.
  const fresh = ifNoneMatch !== undefined && listedTags(ifNoneMatch).some((t) => t === "*" || t.replace(/^W\//, "") === tag);
  if (!fresh) {
    c.res.headers.set("ETag", tag);
    return;
  }
  const headers = new Headers();
  for (const [name, value] of c.res.headers) if (KEPT_ON_304.includes(name)) headers.set(name, value);
  headers.set("ETag", tag);
  await c.res.body?.cancel();
  c.res = new Response(null, { status: 304, headers });
});

/**
 * Refuses a write whose `If-Match` names none of the current representation's tags (412). The
 * representation (what a GET of the resource answers; its loader throws the 404) is only built
 * when the header was sent. Strong comparison (§13.1.1): a weak tag never matches; `*` matches
 * any current representation.
 */
export const requireMatch = async (c: Context<AppEnv>, current: () => Promise<object> | object): Promise<void> => {
  const ifMatch = c.req.header("If-Match");
  if (ifMatch === undefined) return;
  const representation = await current();
  const listed = listedTags(ifMatch);
  if (listed.includes("*")) return;
  const tag = await entityTag(JSON.stringify(representation));
  if (!listed.includes(tag)) throw preconditionFailed(tag);
};

/** Whether an `If-Match` asks for one version in particular (not absent, not `*`). */
export const namesVersion = (ifMatch: string | undefined): boolean => ifMatch !== undefined && !listedTags(ifMatch).includes("*");

/** The 412 of a write whose version is no longer current; `tag`: the current one, when known. */
export const preconditionFailed = (tag?: string) =>
  new ApiError(
    "PreconditionFailedError",
    "The resource changed since it was read (If-Match names another version)",
    tag ? { "If-Match": `the current ETag is ${tag}` } : { "If-Match": "the resource changed while this request ran" },
  );
