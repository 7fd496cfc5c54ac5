/**
 * What the Platform API does with users, once for both forms: `/v1/applications/{id}/users/…`
 * (2020) and `/v1/users/…` (current) differ only in how they read a request and which view of
 * the user they present, so each route translates its input, calls one of these, and presents the
 * result. Conditional writes (If-Match) are checked here against the user's one representation:
 * both forms' GETs send the same ETag.
 */
import type { Context } from "hono";
import { userDeleted } from "../../chat/live-access";
import { type ChannelSort, listUserChannelsPage, type UserChannelsScope } from "../../chat/queries/channels";
import {
  deleteUser,
  findUser,
  insertUser,
  listUsersPage,
  type UserChanges,
  type UserListOptions,
  type UserRow,
  updateUser,
} from "../../chat/queries/users";
import { isUniqueViolation } from "../../db/errors";
import type { AppEnv } from "../../env";
import { drainFileDeletions } from "../../files/deletions";
import { namesVersion, preconditionFailed, requireMatch } from "../../http/conditional";
import { ApiError } from "../../http/errors";
import { type PageQuery, pageMetadata, pageOffset } from "../../http/pagination";
import type { ApplicationRow } from "../../chat/queries/applications";
import type { JsonObject } from "../../db/schema";
import { viewChannels } from "../channels/channels.operations";
import { toUserResource } from "./users.present";

const userNotFound = (userId: number) => new ApiError("ResourceNotFoundError", `User ${userId} not found`);

export const loadUser = async (c: Context<AppEnv>, appId: number, userId: number): Promise<UserRow> => {
  const user = await findUser(c.var.db, appId, userId);
  if (!user) throw userNotFound(userId);
  return user;
};

export interface NewUser {
  name: string;
  displayName?: string | undefined;
  isGuest?: boolean | undefined;
  properties?: JsonObject | undefined;
}

/** Creates a user; 409 when the name is taken (the unique index decides races). */
export const createUser = async (c: Context<AppEnv>, appId: number, input: NewUser): Promise<UserRow> => {
  try {
    return await insertUser(c.var.db, appId, input);
  } catch (e) {
    if (isUniqueViolation(e)) {
      throw new ApiError("DuplicateResourceError", `A user named ${JSON.stringify(input.name)} already exists`, { name: input.name });
    }
    throw e;
  }
};

/** A numbered page of the application's users. */
export const listUsers = async (c: Context<AppEnv>, appId: number, query: PageQuery & UserListOptions) => {
  const { rows, total } = await listUsersPage(c.var.db, appId, pageOffset(query), query.size, query);
  return { rows, meta: pageMetadata(query, total) };
};

/**
 * `id` and `name` are read-only in both forms: a body may repeat them (a GET body sent back), and
 * a different value is a 400 that changes nothing.
 */
export const refuseReadOnlyChanges = (current: UserRow, body: { id?: number | undefined; name?: string | undefined }) => {
  if (body.id !== undefined && body.id !== current.id) {
    throw new ApiError("InvalidRequestError", "id cannot be changed", { id: "id cannot be changed" });
  }
  if (body.name !== undefined && body.name !== current.name) {
    throw new ApiError("InvalidRequestError", "name cannot be changed", { name: "name cannot be changed" });
  }
};

/**
 * Changes a user: `changesOf` turns the request into changes given the current user (and throws
 * the 400s of a bad request). With If-Match, the write only lands on the representation the
 * client saw: a concurrent change in between makes it miss, and the client hears 412 rather than
 * losing that change.
 */
export const changeUser = async (
  c: Context<AppEnv>,
  appId: number,
  userId: number,
  changesOf: (current: UserRow) => UserChanges,
): Promise<UserRow> => {
  const current = await loadUser(c, appId, userId);
  await requireMatch(c, () => toUserResource(appId, current, c.var.links));
  const changes = changesOf(current);
  const expected = namesVersion(c.req.header("If-Match")) ? current : undefined;
  const user = Object.keys(changes).length > 0 ? await updateUser(c.var.db, appId, userId, changes, expected) : current;
  if (!user) {
    if (expected && (await findUser(c.var.db, appId, userId))) throw preconditionFailed();
    throw userNotFound(userId);
  }
  return user;
};

/**
 * Deletes a user with their memberships and messages, tells their live sessions, and deletes
 * their files; answers the application (as both forms do). With If-Match naming a version, the
 * delete only lands on the user the client saw.
 */
export const removeUser = async (c: Context<AppEnv>, appId: number, userId: number): Promise<ApplicationRow> => {
  let expected: UserRow | undefined;
  if (namesVersion(c.req.header("If-Match"))) expected = await loadUser(c, appId, userId);
  await requireMatch(c, async () => toUserResource(appId, expected ?? (await loadUser(c, appId, userId)), c.var.links));
  const { deleted, app, fileDeletions } = await deleteUser(c.var.db, appId, userId, expected);
  if (!deleted || !app) {
    if (expected && (await findUser(c.var.db, appId, userId))) throw preconditionFailed();
    throw userNotFound(userId);
  }
  await Promise.all([userDeleted(c.env, appId, deleted), drainFileDeletions(c.env, fileDeletions)]);
  return app;
};

/** A page of a user's channels (404 for no such user), which `scope` picks (chat/queries/channels.ts). */
export const listChannelsOfUser = async (
  c: Context<AppEnv>,
  appId: number,
  userId: number,
  query: PageQuery,
  { scope, sort }: { scope: UserChannelsScope; sort?: ChannelSort | undefined },
) => {
  const [user, page] = await Promise.all([
    findUser(c.var.db, appId, userId),
    listUserChannelsPage(c.var.db, appId, userId, pageOffset(query), query.size, { scope, sort }),
  ]);
  if (!user) throw userNotFound(userId);
  return { views: await viewChannels(c, appId, page.rows), meta: pageMetadata(query, page.total) };
};
