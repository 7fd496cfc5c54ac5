/**
 * Turns a zod failure into the contract's 400 body. `properties` maps each offending field
 * (dotted path; "body" for the body as a whole) to what is wrong with it.
 */
import type { z } from "@hono/zod-openapi";
import { ApiError } from "./errors";

const TARGET_NOUN: Record<string, string> = { json: "body", form: "form", query: "query parameter", param: "path parameter" };

export const validationError = (error: z.ZodError, target: string): ApiError => {
  const properties: Record<string, string> = {};
  for (const issue of error.issues) {
    const path = issue.path.map(String).join(".") || (target === "json" ? "body" : target);
    properties[path] ??= issue.message;
  }
  const fields = Object.keys(properties);
  const noun = TARGET_NOUN[target] ?? target;
  const message =
    fields.length === 1 && fields[0] === "body"
      ? `Invalid request body: ${properties.body}`
      : `Invalid ${noun}${fields.length > 1 ? "s" : ""}: ${fields.map((f) => `${f} (${properties[f]})`).join(", ")}`;
  return new ApiError("InvalidRequestError", message, properties);
};

/** The `defaultHook` of every router: validation failures become 400 error bodies. */
export const defaultHook = (result: { success: boolean; error?: z.ZodError; target: string }) => {
  if (result.success || !result.error) return;
  if (result.target === "param") throw new ApiError("ResourceNotFoundError", "No resource at this path");
  throw validationError(result.error, result.target);
};
