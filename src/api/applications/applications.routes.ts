import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { hal, halContent } from "../../http/hal";
import { ApplicationParams, requireOwnApplication } from "../../http/params";
import { errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { loadApplication } from "./applications.operations";
import { toApplicationResource } from "./applications.present";
import { ApplicationResource } from "./applications.schemas";

const getCurrentApplicationRoute = createRoute({
  method: "get",
  path: "/applications/me",
  summary: "The application the access token belongs to",
  responses: {
    200: halContent(ApplicationResource, "The application"),
    401: errorResponses[401],
    404: { ...errorResponses[404], description: "The token's application was deleted" },
  },
});

const getApplicationRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}",
  summary: "An application (only the token's own)",
  request: { params: ApplicationParams },
  responses: {
    200: halContent(ApplicationResource, "The application"),
    401: errorResponses[401],
    404: { ...errorResponses[404], description: "Not the token's application, or deleted" },
  },
});

const respondWithApplication = async (c: Context<AppEnv>, applicationId: number) =>
  hal(c, toApplicationResource(await loadApplication(c, applicationId), c.var.links));

export const applicationRoutes = createRouter()
  .openapi(getCurrentApplicationRoute, (c) => respondWithApplication(c, c.var.auth.applicationId))
  .openapi(getApplicationRoute, (c) => respondWithApplication(c, requireOwnApplication(c.req.valid("param").applicationId, c.var.auth)));
