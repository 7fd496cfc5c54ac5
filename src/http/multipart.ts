/**
 * Multipart requests without a `boundary` parameter. `chatkitty-platform-sdk@2.4.0` hard-codes
 * `Content-Type: multipart/form-data` on uploads (spec platform-api-current.md §7.1), so the
 * boundary only appears in the body, whose first line is `--<boundary>\r\n`. This restores the
 * parameter before any parser reads the body; the body itself is already held to the upload
 * limit by the app's body limit.
 */
import type { Context, Next } from "hono";
import type { AppEnv } from "../env";
import { ApiError } from "./errors";

const MULTIPART = /^\s*multipart\/form-data\s*(;|$)/i;
const HAS_BOUNDARY = /;\s*boundary=/i;

/** RFC 2046's boundary: 1 to 70 of these characters, not ending in a space. */
const FIRST_LINE = /^--([0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?])\r\n/;
const TOKEN = /^[0-9A-Za-z'+_\-.]+$/;

/** The boundary a multipart body opens with, if it opens with one. @example firstLineBoundary(bytesOf("--abc\r\n...")) // "abc" */
const firstLineBoundary = (body: Uint8Array): string | undefined => FIRST_LINE.exec(new TextDecoder().decode(body.subarray(0, 80)))?.[1];

export const boundaryFromBody = async (c: Context<AppEnv>, next: Next) => {
  const contentType = c.req.header("Content-Type") ?? "";
  if (!MULTIPART.test(contentType) || HAS_BOUNDARY.test(contentType)) return next();
  const body = new Uint8Array(await c.req.raw.arrayBuffer());
  const boundary = firstLineBoundary(body);
  if (boundary === undefined) {
    throw new ApiError("InvalidRequestError", "A multipart/form-data body without a boundary parameter must begin with --<boundary>", {
      "Content-Type": "multipart/form-data needs a boundary",
    });
  }
  const headers = new Headers(c.req.raw.headers);
  headers.set("Content-Type", `multipart/form-data; boundary=${TOKEN.test(boundary) ? boundary : `"${boundary}"`}`);
  c.req.raw = new Request(c.req.raw.url, { method: c.req.raw.method, headers, body });
  await next();
};
