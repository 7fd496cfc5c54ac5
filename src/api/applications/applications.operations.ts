/**
 * What both forms of the Platform API do with the token's application (`/v1/applications/me`,
 * `/v1/applications/{id}` and the current form's `/v1/application`): one loader, one 404.
 */
import type { Context } from "hono";
import { type ApplicationRow, findApplication } from "../../chat/queries/applications";
import type { AppEnv } from "../../env";
import { ApiError } from "../../http/errors";

export const applicationNotFound = (applicationId: number) =>
  new ApiError("ResourceNotFoundError", `Application ${applicationId} not found`);

/** The application (404 when the token outlived it: deleted since). */
export const loadApplication = async (c: Context<AppEnv>, applicationId: number): Promise<ApplicationRow> => {
  const app = await findApplication(c.var.db, applicationId);
  if (!app) throw applicationNotFound(applicationId);
  return app;
};
