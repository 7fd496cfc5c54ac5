/**
 * `POST /v1/users/{id}/display-picture` in the current form (no 2020 twin): ChatKitty's
 * `CreateExternalFileProperties` as JSON (a picture hosted elsewhere), or multipart/form-data
 * with a `file` part this server stores (with or without a boundary parameter, as both SDKs send
 * it). Either way the user's `displayPictureUrl` becomes the picture's URL.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { PICTURE_TYPES } from "../../files/pictures";
import { ApiError } from "../../http/errors";
import { uploadedFile } from "../../http/fields";
import { hal, halContent } from "../../http/hal";
import { errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { multipartOnly } from "../messages/messages.create";
import { externalFileFields } from "../../http/urls";
import { setDisplayPicture, uploadDisplayPicture } from "./display-picture.operations";
import { toUserResource } from "./users.present";
import { CurrentUserParams, UserResource } from "./users.schemas";

/** ChatKitty's `CreateExternalFileProperties`. */
const CreateExternalFileProperties = z.object(externalFileFields("")).openapi("CreateExternalFileProperties");

const UploadDisplayPictureForm = z
  .object({ file: uploadedFile(`The picture (${PICTURE_TYPES.join(", ")}), at most MAX_FILE_BYTES`) })
  .openapi("UploadDisplayPictureForm");

const MULTIPART = /^multipart\/form-data\b/i;
const PICTURE_PATH = /^\/v1\/users\/[^/]+\/display-picture$/;

/**
 * A multipart POST of a display picture: the app's body limit lets it be as large as a file (plus
 * its framing). @example isPictureUpload("POST", "/v1/users/7/display-picture", "multipart/form-data")
 */
export const isPictureUpload = (method: string, path: string, contentType: string | undefined) =>
  method === "POST" && MULTIPART.test(contentType ?? "") && PICTURE_PATH.test(path);

const { 400: badRequest, 401: unauthorized, 404: notFound, 413: tooLarge, 415: unsupported } = errorResponses;

// Not `required`: with several media types, only the validator of the one sent runs.
const jsonContent = { schema: CreateExternalFileProperties };
const setDisplayPictureRoute = createRoute({
  method: "post",
  path: "/users/{userId}/display-picture",
  summary: "Set a user's display picture: a file hosted elsewhere (JSON) or an uploaded image stored here (multipart)",
  description:
    `An upload is one \`file\` part: ${PICTURE_TYPES.join(", ")} (its declared type, or its bytes when it declares none), ` +
    "at most MAX_FILE_BYTES. The hosted picture it replaces is deleted, as is a user's hosted picture when the user is deleted " +
    "(unless another user shows it).",
  middleware: [multipartOnly] as const,
  request: {
    params: CurrentUserParams,
    body: {
      required: false,
      content: {
        "application/json": jsonContent,
        "application/vnd.chatkitty+json": jsonContent,
        "multipart/form-data": { schema: UploadDisplayPictureForm },
      },
    },
  },
  responses: {
    200: halContent(UserResource, "The user, with its new displayPictureUrl"),
    400: { ...badRequest, description: "An invalid field, or an upload that is not an image of the types taken" },
    401: unauthorized,
    404: notFound,
    413: tooLarge,
    415: { ...unsupported, description: "Neither JSON nor multipart/form-data" },
  },
});

/** The picture's URL from a JSON body; a request without one is answered as an empty object would be. */
const jsonUrl = (c: Context<AppEnv>, validated: () => z.infer<typeof CreateExternalFileProperties>) => {
  if (c.req.header("Content-Type")) return validated().url;
  throw new ApiError("InvalidRequestError", "A request body is required: a file hosted elsewhere as JSON, or a multipart file part", {
    url: "url is required",
  });
};

export const currentDisplayPictureRoutes = createRouter().openapi(setDisplayPictureRoute, async (c) => {
  const appId = c.var.auth.applicationId;
  const { userId } = c.req.valid("param");
  const user = MULTIPART.test(c.req.header("Content-Type") ?? "")
    ? await uploadDisplayPicture(c, appId, userId, (c.req.valid("form") as z.infer<typeof UploadDisplayPictureForm>).file)
    : await setDisplayPicture(
        c,
        appId,
        userId,
        jsonUrl(c, () => c.req.valid("json") as z.infer<typeof CreateExternalFileProperties>),
      );
  return hal(c, toUserResource(appId, user, c.var.links));
});
