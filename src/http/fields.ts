/**
 * Field rules shared by request schemas (contract §1): lengths count as `String.length` does,
 * values are stored exactly as sent, and a name that is empty or only whitespace is invalid.
 */
import { z } from "@hono/zod-openapi";

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
