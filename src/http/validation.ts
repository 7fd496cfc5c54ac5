/**
 * Turns a zod failure into the contract's 400 body. `properties` maps each offending field
 * (dotted path; "body" for the body as a whole) to what is wrong with it.
 */
import type { z } from "@hono/zod-openapi";
import { ApiError } from "./errors";
import { illFormedTextPath } from "./text";

const TARGET_NOUN: Record<string, string> = { json: "body", form: "form", query: "query parameter", param: "path parameter" };

/** The 400 for `issues` (dotted path → message, first message per path kept) of one validation target. */
const invalidFields = (issues: { path: string; message: string }[], target: string): ApiError => {
  const properties: Record<string, string> = {};
  for (const issue of issues) properties[issue.path || (target === "json" ? "body" : target)] ??= issue.message;
  const fields = Object.keys(properties);
  const noun = TARGET_NOUN[target] ?? target;
  const message =
    fields.length === 1 && fields[0] === "body"
      ? `Invalid request body: ${properties.body}`
      : `Invalid ${noun}${fields.length > 1 ? "s" : ""}: ${fields.map((f) => `${f} (${properties[f]})`).join(", ")}`;
  return new ApiError("InvalidRequestError", message, properties);
};

/** A zod failure as (dotted path, message) pairs: what every protocol reports of a bad input. */
export const fieldIssues = (error: z.ZodError) =>
  error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));

export const validationError = (error: z.ZodError, target: string): ApiError => invalidFields(fieldIssues(error), target);

/** The 400 for valid input that holds text D1 could not store exactly (see `text.ts`), if any. */
const illFormedTextError = (data: unknown, target: string): ApiError | undefined => {
  const path = illFormedTextPath(data);
  if (path === undefined) return undefined;
  const field = path || (target === "json" ? "body" : target);
  return invalidFields([{ path, message: `${field} must be well-formed Unicode text: no lone surrogates` }], target);
};

/**
 * The `defaultHook` of every router: validation failures become 400 error bodies, and so does
 * valid input with ill-formed text, so every JSON body is checked in this one place. On success it
 * returns nothing: a returned value would replace the route's answer.
 */
export const defaultHook = (result: { success: boolean; data?: unknown; error?: z.ZodError; target: string }) => {
  if (result.success) {
    const error = illFormedTextError(result.data, result.target);
    if (error) throw error;
    return;
  }
  if (!result.error) return;
  if (result.target === "param") throw new ApiError("ResourceNotFoundError", "No resource at this path");
  throw validationError(result.error, result.target);
};
