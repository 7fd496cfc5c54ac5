/**
 * The current (token-scoped) form's application: `GET /v1/application` is the token's
 * application, as `/v1/applications/me` is in the 2020 form (same loader, same presenter), and
 * `/v1/application/settings` shows and switches what the application stores: guest users are the
 * sessions `requireAuthenticatedSessions` refuses, and `userCreatedChannels` its own switch.
 */
import { createRoute } from "@hono/zod-openapi";
import { updateApplicationSettings } from "../../chat/queries/applications";
import { namesVersion, preconditionFailed, requireMatch } from "../../http/conditional";
import { hal, halContent } from "../../http/hal";
import { currentJsonBody, errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { applicationNotFound, loadApplication } from "./applications.operations";
import { toApplicationSettingsResource, toApplicationResource } from "./applications.present";
import { ApplicationSettingsBody, ApplicationSettingsResource, ApplicationResource } from "./applications.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound, 415: unsupported } = errorResponses;
const gone = { ...notFound, description: "The token's application was deleted" };

const getApplicationRoute = createRoute({
  method: "get",
  path: "/application",
  summary: "The application the access token belongs to (current form of /v1/applications/me)",
  responses: { 200: halContent(ApplicationResource, "The application"), 401: unauthorized, 404: gone },
});

const getSettingsRoute = createRoute({
  method: "get",
  path: "/application/settings",
  summary: "The application's settings: guest users and user-created channels",
  responses: { 200: halContent(ApplicationSettingsResource, "The settings"), 401: unauthorized, 404: gone },
});

const putSettingsRoute = createRoute({
  method: "put",
  path: "/application/settings",
  summary: "Switch guest users (chat sessions for names the back end never created) and user-created channels",
  request: { body: currentJsonBody(ApplicationSettingsBody) },
  responses: {
    200: halContent(ApplicationSettingsResource, "The settings now in force"),
    400: badRequest,
    401: unauthorized,
    404: gone,
    415: unsupported,
  },
});

export const currentApplicationRoutes = createRouter()
  .openapi(getApplicationRoute, async (c) => hal(c, toApplicationResource(await loadApplication(c, c.var.auth.applicationId), c.var.links)))
  .openapi(getSettingsRoute, async (c) =>
    hal(c, toApplicationSettingsResource(await loadApplication(c, c.var.auth.applicationId), c.var.links)),
  )
  .openapi(putSettingsRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { guestUsers, userCreatedChannels } = c.req.valid("json");
    // With If-Match naming a version, the update only applies to the settings that version shows.
    const expected = namesVersion(c.req.header("If-Match")) ? await loadApplication(c, appId) : undefined;
    await requireMatch(c, async () => toApplicationSettingsResource(expected ?? (await loadApplication(c, appId)), c.var.links));
    const app = await updateApplicationSettings(
      c.var.db,
      appId,
      { requireAuthenticatedSessions: guestUsers === "DISABLED", userCreatedChannels: userCreatedChannels === "ENABLED" },
      expected,
    );
    if (!app) throw expected ? preconditionFailed() : applicationNotFound(appId);
    return hal(c, toApplicationSettingsResource(app, c.var.links));
  });
