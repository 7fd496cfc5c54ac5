/**
 * The rule book: what each channel type allows, and the bounds of messages and files. Every
 * transport (the Platform API, chat sessions, uploads) and every query asks here; nothing else
 * spells these rules out.
 */
import type { ChannelType } from "../db/schema";
import { ChatError } from "./errors";

/** Channel types every user of the application may read and join without an invitation. */
export const OPEN_TO_ALL: readonly ChannelType[] = ["OPEN", "PUBLIC"];

/** OPEN and PUBLIC channels: readable (and joinable) by every user of the application. */
export const isOpenToAll = (type: ChannelType) => OPEN_TO_ALL.includes(type);

/** The channel type whose messages live in memory only (its room), never in D1. */
export const EPHEMERAL: ChannelType = "OPEN";
export const isEphemeral = (type: ChannelType) => type === EPHEMERAL;

/**
 * Channel types ChatKitty's current Platform API knows: its document has no OPEN, so the current
 * form's lists leave OPEN channels out (spec platform-api-current.md §6).
 */
export const LISTED_IN_CURRENT_FORM: readonly ChannelType[] = ["PUBLIC", "PRIVATE", "DIRECT"];

/** PUBLIC, PRIVATE and DIRECT channels have a members list; OPEN channels are open to all. */
export const hasMembersList = (type: ChannelType) => type !== EPHEMERAL;

/** A DIRECT channel's members are fixed when it is created. */
export const hasFixedMembers = (type: ChannelType) => type === "DIRECT";

/** A DIRECT channel has 2 to this many members, its creator included. */
export const MAX_DIRECT_MEMBERS = 10;

/** Initial members one create may name. */
export const MAX_INITIAL_MEMBERS = 100;

export const directMembersRule = `a DIRECT channel has 2 to ${MAX_DIRECT_MEMBERS} distinct members`;

/** Whether a set of distinct member ids makes a DIRECT channel. */
export const isValidDirectMemberCount = (distinctMembers: number) => distinctMembers >= 2 && distinctMembers <= MAX_DIRECT_MEMBERS;

/** Room for the multipart framing (boundaries, part headers, a group tag) around an uploaded file. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/** The one answer to a file over `MAX_FILE_BYTES`, whichever way it was sent. */
export const fileTooLarge = (maxFileBytes: number) =>
  new ChatError("PayloadTooLargeError", `Files are limited to ${maxFileBytes} bytes`, { file: `must be at most ${maxFileBytes} bytes` });
