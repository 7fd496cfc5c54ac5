/**
 * `POST /v1/users/{id}/display-picture` in the current form (no 2020 twin), JSON only: the
 * picture is a file hosted elsewhere (ChatKitty's `CreateExternalFileProperties`). Uploads are
 * not taken: hosted files are served per channel (`<app>/<channel>/<uuid>`, removed with their
 * channel), and a user's picture has no channel to live under.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { hal, halContent } from "../../http/hal";
import { currentJsonBody, errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { externalFileFields } from "../messages/messages.schemas";
import { toUserResource } from "./users.present";
import { changeUser } from "./users.operations";
import { CurrentUserParams, UserResource } from "./users.schemas";

/** ChatKitty's `CreateExternalFileProperties`. */
const CreateExternalFileProperties = z.object(externalFileFields("")).openapi("CreateExternalFileProperties");

const { 400: badRequest, 401: unauthorized, 404: notFound, 415: unsupported } = errorResponses;

const setDisplayPictureRoute = createRoute({
  method: "post",
  path: "/users/{userId}/display-picture",
  summary: "Set a user's display picture to a file hosted elsewhere; answers the user with its new displayPictureUrl",
  request: { params: CurrentUserParams, body: currentJsonBody(CreateExternalFileProperties) },
  responses: {
    200: halContent(UserResource, "The user"),
    400: badRequest,
    401: unauthorized,
    404: notFound,
    415: { ...unsupported, description: "Not JSON: uploaded pictures (multipart) are not taken, link a hosted file instead" },
  },
});

export const currentDisplayPictureRoutes = createRouter().openapi(setDisplayPictureRoute, async (c) => {
  const appId = c.var.auth.applicationId;
  const { url } = c.req.valid("json");
  const user = await changeUser(c, appId, c.req.valid("param").userId, () => ({ displayPictureUrl: url }));
  return hal(c, toUserResource(appId, user, c.var.links));
});
