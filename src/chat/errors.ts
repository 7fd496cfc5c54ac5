/**
 * Failures of chat operations, named as ChatKitty names them. Operations throw `ChatError`; each
 * transport renders it in its own shape from one table: the Platform API maps it onto the
 * contract's error names and statuses (`http/errors.ts`), chat sessions send it on the errors
 * queue as it is, uploads answer it with the status given here.
 */

/** Every chat error name, with the HTTP status an HTTP transport answers it with. */
export const CHAT_ERROR_STATUS = {
  InvalidRequestError: 400,
  InvalidChannelNameError: 400,
  InvalidChannelTypeError: 400,
  InvalidChannelMembersError: 400,
  InvalidMessageError: 400,
  InvalidFileError: 400,
  InvalidEmojiError: 400,
  InvalidMuteStateError: 400,
  InvalidEventTypeError: 400,
  InvalidUserError: 400,
  UnauthorizedError: 401,
  NotAChannelMemberError: 403,
  AccessDeniedError: 403,
  ChannelNotPubliclyJoinableError: 403,
  ChannelCreationDisabledError: 403,
  ChannelNotFoundError: 404,
  UserNotFoundError: 404,
  MessageNotFoundError: 404,
  ThreadNotFoundError: 404,
  ReactionNotFoundError: 404,
  ResourceNotFoundError: 404,
  FileNotFoundError: 404,
  UnknownDestinationError: 404,
  DuplicateResourceError: 409,
  DuplicateReactionError: 409,
  PayloadTooLargeError: 413,
  UnsupportedMediaTypeError: 415,
  UnsupportedFrameError: 400,
  TooManyRequestsError: 429,
  TooManySubscriptionsError: 429,
  InternalServerError: 500,
  ServiceUnavailableError: 503,
} as const;

export type ChatErrorName = keyof typeof CHAT_ERROR_STATUS;

/** @example throw new ChatError("ChannelNotFoundError", "Channel 7 not found") */
export class ChatError extends Error {
  readonly error: ChatErrorName;
  /** Field → what is wrong with it (the Platform API's `properties`). */
  readonly properties: Record<string, string> | undefined;
  constructor(error: ChatErrorName, message: string, properties?: Record<string, string>) {
    super(message);
    this.error = error;
    this.properties = properties;
  }
}

export const channelNotFound = (channelId: number) => new ChatError("ChannelNotFoundError", `Channel ${channelId} not found`);
export const messageNotFound = (messageId: number) => new ChatError("MessageNotFoundError", `Message ${messageId} not found`);
export const userNotFound = (userId: number) => new ChatError("UserNotFoundError", `User ${userId} not found`);
export const sessionUserDeleted = () => new ChatError("UserNotFoundError", "This session's user was deleted");
