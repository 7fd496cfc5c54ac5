/**
 * With `ACCESS_LOG=on`, one structured JSON line per request, carrying the same request id as the
 * `X-Request-Id` response header and any error log of that request. Off by default: Workers Logs
 * (`[observability]` in wrangler.toml) already records every invocation with its method, URL,
 * status and timing, and under `wrangler dev` a console line per request costs about a third of
 * the Worker's throughput (bench/README.md). Errors are always logged, with the request id.
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";

export const accessLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  await next();
  if (c.env.ACCESS_LOG !== "on") return;
  console.log(
    JSON.stringify({
      level: "info",
      event: "request",
      requestId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Date.now() - started,
      application: c.get("auth")?.applicationId,
    }),
  );
});
