/**
 * Responses routes declare, for the OpenAPI document: error bodies with their statuses and
 * headers, and created resources with their `Location`. What app-wide middleware can answer to
 * any operation (406, 413, 429) `openapi.ts` adds to every operation it applies to.
 */
import { z } from "@hono/zod-openapi";
import { ERROR_NAMES } from "./errors";
import { halContent } from "./hal";

export const ErrorResponseBody = z
  .object({
    // A string to zod (tests parse the chat transport's error bodies with this schema too, and
    // those have names of their own); the Platform API's names, listed for the document.
    error: z.string().openapi({ enum: ERROR_NAMES, example: "ResourceNotFoundError" }),
    message: z.string().openapi({ example: "User 7 not found" }),
    timestamp: z.string().openapi({ format: "date-time" }),
    properties: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: "What is wrong with which field (dotted path), or other details of the error" }),
    error_description: z
      .string()
      .optional()
      .openapi({ description: "401 and 403 only: the message again, under the OAuth 2.0 name the current form's clients read" }),
  })
  .openapi("Error");

type HeaderObject = { description: string; required?: boolean; schema: { type: "string" } };

const errorContent = (description: string, headers?: Record<string, HeaderObject>) => ({
  description,
  content: { "application/json": { schema: ErrorResponseBody } },
  ...(headers ? { headers } : {}),
});

const stringHeader = (description: string): HeaderObject => ({ description, required: true, schema: { type: "string" } });

export const errorResponses = {
  400: errorContent("Invalid request: malformed JSON or an invalid field (named in properties)"),
  401: errorContent("Missing, malformed, expired, revoked or invalid access token", {
    "WWW-Authenticate": stringHeader('Bearer challenge (RFC 6750), with error="invalid_token" when a token was sent'),
  }),
  403: errorContent("Valid token, but the operation is not allowed"),
  404: errorContent("No such resource in this application"),
  406: errorContent("The Accept header rules out JSON"),
  409: errorContent("Conflicts with an existing resource"),
  413: errorContent("Request body over the size limit"),
  415: errorContent("Request body is not JSON"),
  501: errorContent("An operation this server does not offer; the message says what to use instead"),
} as const;

/** Request body content: JSON, also accepted under the HAL media type. */
export const jsonBody = <S extends z.ZodType>(schema: S) => ({
  required: true,
  content: { "application/json": { schema }, "application/hal+json": { schema } },
});

/**
 * Request body content of the current form: what `chatkitty@2.106.8` sends (its vendor type)
 * besides plain JSON. Any other `+json` type passes too (zod-openapi's gate matches the suffix).
 */
export const currentJsonBody = <S extends z.ZodType>(schema: S) => ({
  required: true,
  content: { "application/json": { schema }, "application/vnd.chatkitty+json": { schema } },
});

/**
 * A JSON merge patch (RFC 7396) body: the standard type, the one both ChatKitty SDKs send
 * (`application/json+merge-patch`, which http/media-type.ts renames to the standard one before
 * validation), and plain JSON.
 */
export const mergePatchBody = <S extends z.ZodType>(schema: S) => ({
  required: true,
  content: { "application/merge-patch+json": { schema }, "application/json+merge-patch": { schema }, "application/json": { schema } },
});

/**
 * A 201 with the new resource and its address in `Location` (`locationRequired: false` when some
 * new resources have no address, as an OPEN channel's messages).
 */
export const createdContent = <S extends z.ZodType>(schema: S, description: string, { locationRequired = true } = {}) => ({
  ...halContent(schema, description),
  headers: {
    Location: { description: "The new resource's self href", required: locationRequired, schema: { type: "string" as const } },
  },
});
