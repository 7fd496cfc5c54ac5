/**
 * Field rules shared by request schemas (contract §1): lengths count as `String.length` does,
 * values are stored exactly as sent, and a name that is empty or only whitespace is invalid.
 */
import { z } from "@hono/zod-openapi";
import { MAX_PROPERTY_FILTER_KEYS } from "../chat/queries/properties";
import { LIMITS } from "../config";
import type { JsonValue } from "../db/schema";
import { withFormFilename } from "../files/storage";

/** A required, non-empty string of at most `max` characters. @example nonEmptyString("body", 10_000) */
export const nonEmptyString = (field: string, max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be a string`) })
    .min(1, `${field} must not be empty`)
    // Not `.max()`: zod counts code points there, the contract counts UTF-16 units (an emoji is 2).
    .refine((s) => s.length <= max, `${field} must be at most ${max} characters`)
    // The refinement is invisible to the OpenAPI document: state the limits there.
    .openapi({ minLength: 1, maxLength: max });

/** As `nonEmptyString`, and not only whitespace (names). @example nonBlankString("name", 255) */
export const nonBlankString = (field: string, max: number) =>
  nonEmptyString(field, max)
    .refine((s) => s.trim().length > 0, `${field} must not be blank`)
    .openapi({ pattern: "\\S" });

/** A JSON object body; anything else (array, string, null) is refused with one clear message. */
export const jsonObject = <S extends z.ZodRawShape>(shape: S) => z.object(shape, { error: "The request body must be a JSON object" });

/** Custom data (`properties` of users, channels, messages, the application): a JSON object, kept exactly. */
export const jsonProperties = z
  .record(z.string(), z.unknown(), { error: "properties must be a JSON object" })
  .openapi({ type: "object", additionalProperties: true }) as z.ZodType<Record<string, JsonValue>>;

const MAX_PROPERTIES_FILTER_LENGTH = 4096;

/**
 * The `properties` filter of lists: a JSON object, as a query string value; only items whose
 * properties hold each of its keys with an equal value (chat/queries/properties.ts).
 * @example propertiesFilter("channels") // "?properties=%7B%22team%22%3A%22blue%22%7D" → { team: "blue" }
 */
export const propertiesFilter = (items: string) =>
  z
    .string()
    .max(MAX_PROPERTIES_FILTER_LENGTH, `properties must be at most ${MAX_PROPERTIES_FILTER_LENGTH} characters`)
    .transform((text, ctx) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = undefined;
      }
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        ctx.addIssue({ code: "custom", message: 'properties must be a JSON object, e.g. {"team":"blue"}' });
        return z.NEVER;
      }
      if (Object.keys(value).length > MAX_PROPERTY_FILTER_KEYS) {
        ctx.addIssue({ code: "custom", message: `properties may name at most ${MAX_PROPERTY_FILTER_KEYS} keys` });
        return z.NEVER;
      }
      return value as Record<string, JsonValue>;
    })
    .optional()
    .openapi({
      param: { name: "properties", in: "query" },
      description: `A JSON object: only ${items} whose properties hold each of its keys with an equal value`,
      example: '{"team":"blue"}',
    });

/** A multipart file part: present, one part with a filename, not empty, a name within the name length. */
export const uploadedFile = (description: string) =>
  z
    .custom<File>((v) => v instanceof File, {
      error: (issue) => (issue.input === undefined ? "file is required" : "file must be a single file part (with a filename)"),
    })
    .transform(withFormFilename)
    .refine((f) => f.size > 0, "file must not be empty")
    .refine((f) => f.name.length <= LIMITS.nameLength, `file name must be at most ${LIMITS.nameLength} characters`)
    .openapi({ type: "string", format: "binary", description });
