import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../http/router";
import { hal, halContent, halLinks } from "../../http/hal";
import { errorResponses } from "../../http/responses";

const ApiRoot = z.object({ _links: halLinks(["self", "application"]) }).openapi("ApiRoot");

const getRootRoute = createRoute({
  method: "get",
  path: "/v1",
  summary: "API root: links to the authenticated application",
  responses: { 200: halContent(ApiRoot, "The root of the application graph"), 401: errorResponses[401] },
});

export const rootRoutes = createRouter().openapi(getRootRoute, (c) =>
  hal(c, { _links: { self: { href: c.var.links.root() }, application: { href: c.var.links.currentApplication() } } }),
);
