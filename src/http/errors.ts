/**
 * One place that decides error bodies and statuses (contract §5):
 * `{error, message, timestamp, properties?}` as `application/json`.
 * Handlers throw `ApiError`; `onError` renders it. Unknown errors are logged with the request id
 * and answered with a bare 500, so no stack trace, SQL or internal detail ever reaches a client;
 * transient failures of D1, R2 or a Durable Object are a 503 with `Retry-After` instead.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { CHAT_ERROR_STATUS, ChatError } from "../chat/errors";
import { isForeignKeyViolation, isTransientError } from "../db/errors";

const STATUS = {
  InvalidRequestError: 400,
  UnauthorizedError: 401,
  ForbiddenError: 403,
  ResourceNotFoundError: 404,
  MethodNotAllowedError: 405,
  NotAcceptableError: 406,
  DuplicateResourceError: 409,
  PreconditionFailedError: 412,
  PayloadTooLargeError: 413,
  UnsupportedMediaTypeError: 415,
  TooManyRequestsError: 429,
  InternalServerError: 500,
  NotImplementedError: 501,
  ServiceUnavailableError: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorName = keyof typeof STATUS;

/** Every `error` value an error body may carry (the OpenAPI document's Error schema lists them). */
export const ERROR_NAMES = Object.keys(STATUS) as [ErrorName, ...ErrorName[]];

export interface ErrorBody {
  error: ErrorName;
  message: string;
  timestamp: string;
  properties?: Record<string, unknown>;
  error_description?: string;
}

/** @example throw new ApiError("ResourceNotFoundError", "User 7 not found") */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  constructor(
    readonly errorName: ErrorName,
    message: string,
    readonly properties?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.status = STATUS[errorName];
  }
}

/**
 * 401 and 403 also carry `error_description`: the current form documents them as OAuth 2.0 errors
 * `{error, error_description}`, the 2020 form as `{error, message, timestamp}`; all four satisfy both.
 */
const isAuthenticationStatus = (name: ErrorName) => STATUS[name] === 401 || STATUS[name] === 403;

const errorBody = (name: ErrorName, message: string, properties?: Record<string, unknown>): ErrorBody => ({
  error: name,
  message,
  timestamp: new Date().toISOString(),
  ...(properties ? { properties } : {}),
  ...(isAuthenticationStatus(name) ? { error_description: message } : {}),
});

/** Renders an error body; errors are plain JSON, never HAL. */
export const errorResponse = (c: Context, error: ApiError): Response =>
  c.json(errorBody(error.errorName, error.message, error.properties), error.status, error.headers);

/** The contract's name for each status (the first name listed with it). */
const NAME_OF_STATUS = new Map<number, ErrorName>();
for (const [name, status] of Object.entries(STATUS) as [ErrorName, number][])
  if (!NAME_OF_STATUS.has(status)) NAME_OF_STATUS.set(status, name);

/**
 * A chat operation's failure in the contract's terms: the contract names errors by status
 * (`ChannelNotFoundError` is a `ResourceNotFoundError`), the message and fields stay.
 */
export const fromChatError = (e: ChatError): ApiError =>
  new ApiError(NAME_OF_STATUS.get(CHAT_ERROR_STATUS[e.error]) ?? "InternalServerError", e.message, e.properties);

/** Maps Hono's own exceptions (malformed JSON, body limit) onto our names. */
const fromHttpException = (e: HTTPException): ApiError => {
  switch (e.status) {
    case 413:
      return new ApiError("PayloadTooLargeError", "The request body is larger than this server accepts");
    case 415:
      return new ApiError("UnsupportedMediaTypeError", "Send the request body as application/json");
    case 401:
      return new ApiError("UnauthorizedError", e.message || "Authentication required");
    default:
      return e.status >= 400 && e.status < 500
        ? new ApiError("InvalidRequestError", e.message || "The request is invalid")
        : new ApiError("InternalServerError", "Internal server error");
  }
};

/**
 * Seconds a client should wait after a transient failure: long enough for a reset object to
 * restart or a queue to drain, short enough that a person barely notices.
 */
const TRANSIENT_RETRY_AFTER_SECONDS = 5;

const serviceUnavailable = () =>
  new ApiError(
    "ServiceUnavailableError",
    `The service is briefly unavailable; retry after ${TRANSIENT_RETRY_AFTER_SECONDS} seconds`,
    { retryAfterSeconds: TRANSIENT_RETRY_AFTER_SECONDS },
    { "Retry-After": String(TRANSIENT_RETRY_AFTER_SECONDS) },
  );

const logFailure = (c: Context, level: "warn" | "error", err: unknown) => {
  console[level](
    JSON.stringify({
      level,
      requestId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err),
    }),
  );
};

export const onError: ErrorHandler = (err, c) => {
  if (err instanceof ApiError) return errorResponse(c, err);
  if (err instanceof ChatError) return errorResponse(c, fromChatError(err));
  if (err instanceof HTTPException) return errorResponse(c, fromHttpException(err));
  // A write that referenced a row deleted meanwhile (a channel or user deleted by a concurrent
  // request): the database refused it, nothing was written, and the resource is gone.
  if (isForeignKeyViolation(err)) {
    return errorResponse(c, new ApiError("ResourceNotFoundError", "A resource this request refers to was deleted meanwhile"));
  }
  // Logged too (as a warning): a run of them is an incident worth seeing.
  if (isTransientError(err)) {
    logFailure(c, "warn", err);
    return errorResponse(c, serviceUnavailable());
  }
  logFailure(c, "error", err);
  return errorResponse(c, new ApiError("InternalServerError", "Internal server error"));
};

export const notFound: NotFoundHandler = (c) => errorResponse(c, new ApiError("ResourceNotFoundError", `No resource at ${c.req.path}`));
