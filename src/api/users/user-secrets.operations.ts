/**
 * User secrets. A secret's name and size are bounded; its value leaves the server only as the
 * answer to its own GET (the PUT and DELETE answer the user, which carries no secrets).
 */
import type { Context } from "hono";
import type { UserRow } from "../../chat/queries/users";
import { deleteUserSecret, findUserSecret, putUserSecret } from "../../chat/queries/user-secrets";
import type { JsonObject } from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError } from "../../http/errors";
import { loadUser } from "./users.operations";

export const MAX_SECRET_BYTES = 8192;

const secretNotFound = (name: string) => new ApiError("ResourceNotFoundError", `No secret named ${JSON.stringify(name)} for this user`);

export const readSecret = async (c: Context<AppEnv>, appId: number, userId: number, name: string): Promise<JsonObject> => {
  const secret = await findUserSecret(c.var.db, appId, userId, name);
  if (secret !== undefined) return secret;
  await loadUser(c, appId, userId);
  throw secretNotFound(name);
};

export const writeSecret = async (
  c: Context<AppEnv>,
  appId: number,
  userId: number,
  name: string,
  secret: JsonObject,
): Promise<UserRow> => {
  const user = await loadUser(c, appId, userId);
  await putUserSecret(c.var.db, userId, name, secret);
  return user;
};

/** Deleting a secret the user does not have is a 404, as reading it is. */
export const removeSecret = async (c: Context<AppEnv>, appId: number, userId: number, name: string): Promise<UserRow> => {
  const user = await loadUser(c, appId, userId);
  const { meta } = await deleteUserSecret(c.var.db, appId, userId, name);
  if (meta.changes === 0) throw secretNotFound(name);
  return user;
};
