/** Error responses every protected route may give, declared once for the OpenAPI document. */
import { z } from "@hono/zod-openapi";

export const ErrorResponseBody = z
  .object({
    error: z.string().openapi({ example: "ResourceNotFoundError" }),
    message: z.string(),
    timestamp: z.string().openapi({ format: "date-time" }),
    properties: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi("Error");

const errorContent = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorResponseBody } },
});

export const errorResponses = {
  400: errorContent("Invalid request: malformed JSON or an invalid field (named in properties)"),
  401: errorContent("Missing, malformed, expired or invalid access token"),
  404: errorContent("No such resource in this application"),
  406: errorContent("The Accept header rules out JSON"),
  413: errorContent("Request body over the size limit"),
  415: errorContent("Request body is not JSON"),
} as const;

/** Request body content: JSON, also accepted under the HAL media type. */
export const jsonBody = <S extends z.ZodType>(schema: S) => ({
  required: true,
  content: { "application/json": { schema }, "application/hal+json": { schema } },
});
