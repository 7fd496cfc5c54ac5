/**
 * One structured JSON line per request (Workers Logs indexes the fields), carrying the same
 * request id as the `X-Request-Id` response header and any error log of that request.
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";

export const accessLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  await next();
  if (c.env.ACCESS_LOG === "off") return;
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
