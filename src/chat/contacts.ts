/**
 * A user's contacts (spec §11.2): everyone who shares a channel with them. Listed for
 * `getUsers`/`getUsersCount`, and the audience of their presence changes (spec §11.1).
 */
import type { Db } from "../db/client";
import type { ChatScope } from "./messages";
import { type ContactFilter, contactIds, countContactsOf, findOnline, listContactsPage } from "./queries/contacts";
import type { UserRow } from "./queries/users";

/** A numbered page of the user's contacts matching the filter, by display name then id, each with `online`; and the total. */
export const listContacts = (
  { db, applicationId }: ChatScope,
  userId: number,
  filter: ContactFilter,
  offset: number,
  limit: number,
): Promise<{ rows: (UserRow & { online: boolean })[]; total: number }> =>
  listContactsPage(db, applicationId, userId, filter, offset, limit);

/** How many of the user's contacts match the filter. */
export const countContacts = ({ db, applicationId }: ChatScope, userId: number, filter: ContactFilter): Promise<number> =>
  countContactsOf(db, applicationId, userId, filter);

/** Which of these users are online (have a connection), for presenting their presence. */
export const onlineUserIds = (db: Db, applicationId: number, userIds: number[]): Promise<Set<number>> =>
  findOnline(db, applicationId, userIds);

/** Up to `limit` of the user's contacts: who hears about their presence changes (bounded, like every fan-out). */
export const contactIdsOf = (db: Db, applicationId: number, userId: number, limit: number): Promise<number[]> =>
  contactIds(db, applicationId, userId, limit);
