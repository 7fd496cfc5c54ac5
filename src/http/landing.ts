/**
 * `GET /` from a browser lands on the API Explorer (`public/v1/explorer/`, served as static
 * assets). Only a request whose `Accept` names `text/html` (with a non-zero quality) is
 * redirected; API clients asking for JSON, or for anything (`*\/*`, no header), get the JSON 404
 * they always got. Registered with `app.all` so no `405`/`Allow` appears for other methods at `/`,
 * and before the Accept check, since a bare `Accept: text/html` would otherwise be a 406.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";

const EXPLORER_PATH = "/v1/explorer/";

/** True when some media range of the header is `text/html` with a non-zero quality. */
export const acceptsHtml = (accept: string | undefined): boolean =>
  (accept ?? "").split(",").some((range) => {
    const [type = "", ...params] = range.split(";").map((s) => s.trim());
    const q = params.find((p) => /^q=/i.test(p));
    return type.toLowerCase() === "text/html" && (!q || Number(q.slice(2)) > 0);
  });

export const browserLanding: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.header("Vary", "Accept");
  if ((c.req.method === "GET" || c.req.method === "HEAD") && acceptsHtml(c.req.header("Accept"))) {
    const base = c.var.config?.publicBaseUrl ?? "";
    return c.redirect(`${base}${EXPLORER_PATH}`, 302);
  }
  await next();
};
