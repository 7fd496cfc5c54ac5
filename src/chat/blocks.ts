/**
 * Blocking (spec §12.6): a user stops seeing another user's messages (history, live events,
 * notifications, counts) until they unblock them. The caller publishes `user.user.blocked` /
 * `user.user.unblocked` with the user returned.
 */
import type { Db } from "../db/client";
import { ChatError, userNotFound } from "./errors";
import type { ChatScope } from "./messages";
import { deleteBlock, findAllBlockersOf, insertBlock, listBlocksPage } from "./queries/blocks";
import { findUser, type UserRow } from "./queries/users";

/** Blocks a user of the application; blocking them again changes nothing and answers the same. */
export const blockUser = async ({ db, applicationId }: ChatScope, userId: number, blockedId: number): Promise<UserRow> => {
  if (blockedId === userId) throw new ChatError("InvalidUserError", "A user cannot block themselves", { user: "cannot be yourself" });
  const blocked = await findUser(db, applicationId, blockedId);
  if (!blocked) throw userNotFound(blockedId);
  await insertBlock(db, applicationId, userId, blockedId);
  return blocked;
};

/** Ends a block; the user who was blocked. */
export const unblockUser = async ({ db, applicationId }: ChatScope, userId: number, blockedId: number): Promise<UserRow> => {
  const unblocked = await deleteBlock(db, applicationId, userId, blockedId);
  if (!unblocked) throw new ChatError("ResourceNotFoundError", `User ${blockedId} is not blocked`);
  return unblocked;
};

/** A numbered page of the user's block list (spec §15.12 UserBlockListItem), newest first, with the total. */
export const listBlocks = (
  { db, applicationId }: ChatScope,
  userId: number,
  offset: number,
  limit: number,
): Promise<{ rows: { user: UserRow; createdAt: Date }[]; total: number }> => listBlocksPage(db, applicationId, userId, offset, limit);

const MAX_LIVE_BLOCKERS = 1000;

/**
 * Users who blocked the sender (at most `MAX_LIVE_BLOCKERS`): a room leaves them out of the live
 * deliveries of the sender's messages.
 */
export const allBlockersOf = (db: Db, applicationId: number, senderId: number): Promise<number[]> =>
  findAllBlockersOf(db, applicationId, senderId, MAX_LIVE_BLOCKERS);
