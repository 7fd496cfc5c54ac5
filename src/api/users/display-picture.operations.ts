/**
 * Setting a user's display picture, to a file hosted elsewhere or to an upload stored here
 * (files/pictures.ts). With If-Match it is a conditional write, as a PATCH of the user. The
 * hosted picture it replaces is deleted once the new one is set, unless another user shows it.
 */
import type { Context } from "hono";
import type { UserRow } from "../../chat/queries/users";
import { fileTooLarge } from "../../chat/rules";
import type { AppEnv } from "../../env";
import { drainFileDeletions, queueReplacedPicture } from "../../files/deletions";
import { PICTURE_TYPES, pictureType, putPicture } from "../../files/pictures";
import { deleteFiles } from "../../files/storage";
import { ApiError } from "../../http/errors";
import { changeUser, loadUser } from "./users.operations";

/** Sets the picture's URL; answers the user and the URL it replaced. */
const replacePicture = async (c: Context<AppEnv>, appId: number, userId: number, url: string) => {
  const before: { url?: string | null } = {};
  const user = await changeUser(c, appId, userId, (current) => {
    before.url = current.displayPictureUrl;
    return { displayPictureUrl: url };
  });
  return { user, replaced: before.url };
};

/**
 * Deletes the hosted picture a user stopped showing, unless another user shows it. The new
 * picture is already set: a failure here leaves an unused object behind (logged), never an error.
 */
const deleteReplaced = async (c: Context<AppEnv>, appId: number, userId: number, replaced: string) => {
  try {
    await drainFileDeletions(c.env, await queueReplacedPicture(c.var.db, appId, userId, replaced));
  } catch (e) {
    console.error(
      JSON.stringify({ level: "error", event: "picture_deletion_failed", userId, error: e instanceof Error ? e.message : String(e) }),
    );
  }
};

/** Sets a user's picture to `url`; then deletes the hosted picture it replaced, if nobody shows that any more. */
const setPicture = async (c: Context<AppEnv>, appId: number, userId: number, url: string, onFailure?: () => Promise<void>) => {
  let result: Awaited<ReturnType<typeof replacePicture>>;
  try {
    result = await replacePicture(c, appId, userId, url);
  } catch (e) {
    await onFailure?.();
    throw e;
  }
  if (result.replaced && result.replaced !== url) await deleteReplaced(c, appId, userId, result.replaced);
  return result.user;
};

/** Sets a user's picture to a file hosted elsewhere. */
export const setDisplayPicture = (c: Context<AppEnv>, appId: number, userId: number, url: string): Promise<UserRow> =>
  setPicture(c, appId, userId, url);

const notAPicture = () =>
  new ApiError("InvalidRequestError", `A display picture must be an image: ${PICTURE_TYPES.join(", ")}`, {
    file: `must be one of ${PICTURE_TYPES.join(", ")}`,
  });

/** Stores an uploaded picture (an image of at most MAX_FILE_BYTES) and sets it; the stored file goes again if that fails. */
export const uploadDisplayPicture = async (c: Context<AppEnv>, appId: number, userId: number, file: File): Promise<UserRow> => {
  const { maxFileBytes } = c.var.config;
  if (file.size > maxFileBytes) throw fileTooLarge(maxFileBytes);
  const type = await pictureType(file);
  if (!type) throw notAPicture();
  // Nothing is stored for a user who does not exist.
  await loadUser(c, appId, userId);
  const stored = await putPicture(c.env.FILES, c.var.links.base, appId, file, type);
  return setPicture(c, appId, userId, stored.url, () => deleteFiles(c.env.FILES, [stored]));
};
