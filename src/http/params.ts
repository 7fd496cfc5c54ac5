/**
 * Path parameters. Ids are positive integers; anything else cannot name a resource, so it is
 * answered like any unknown resource (404) rather than as a malformed request.
 */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ChatScope } from "../chat/messages";
import type { AppEnv } from "../env";
import { ApiError } from "./errors";

/** @example idParam("userId") // "/users/{userId}" → number */
export const idParam = (name: string) =>
  z
    .string()
    .regex(/^[1-9]\d{0,15}$/)
    .transform(Number)
    .refine(Number.isSafeInteger)
    .openapi({ param: { name, in: "path" }, example: "1" });

export const ApplicationParams = z.object({ applicationId: idParam("applicationId") });

/**
 * Every `/applications/{applicationId}/...` route passes through here: another application's id
 * answers exactly as a nonexistent one does, so ids leak nothing across tenants.
 */
export const requireOwnApplication = (applicationId: number, auth: { applicationId: number }): number => {
  if (applicationId !== auth.applicationId) {
    throw new ApiError("ResourceNotFoundError", `Application ${applicationId} not found`);
  }
  return applicationId;
};

/** What a chat operation needs from a request: bindings, database, and the (own) application. */
export const chatScope = (c: Context<AppEnv>, applicationId: number): ChatScope => ({ env: c.env, db: c.var.db, applicationId });
