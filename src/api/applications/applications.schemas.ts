import { z } from "@hono/zod-openapi";
import { jsonProperties } from "../../http/fields";
import { halLinks } from "../../http/hal";

/**
 * The application as both forms show it: ChatKitty's `ApplicationResource` (`id`, `key`,
 * `createdTime`, `properties`) with the 2020 form's fields and links.
 */
export const ApplicationResource = z
  .object({
    id: z.number().int().openapi({ example: 1 }),
    name: z.string().openapi({ example: "ChatKitty Application" }),
    key: z.string().openapi({ description: "Client-side API key", example: "107a326f-bfab-4d2c-9a5a-fa79bd896929" }),
    requireAuthenticatedSessions: z
      .boolean()
      .openapi({ description: "Chat sessions must present a user challenge token; no guest sessions" }),
    createdTime: z.string().openapi({ format: "date-time", example: "2020-10-02T20:29:25.316Z" }),
    properties: jsonProperties.openapi({ description: "Custom data kept with the application" }),
    _links: halLinks(["self", "users", "channels", "messages", "find:users", "find:channels"]),
  })
  .openapi("ApplicationResource");
export type ApplicationResource = z.infer<typeof ApplicationResource>;

const Toggle = z.enum(["ENABLED", "DISABLED"]).openapi("SettingToggle");

const settingsFields = {
  guestUsers: Toggle.openapi({ description: "Whether chat sessions may start for user names the back end never created" }),
  userCreatedChannels: Toggle.openapi({ description: "Whether chat sessions may create channels" }),
};

export const ApplicationSettingsResource = z
  .object({ ...settingsFields, _links: halLinks(["self", "application"]) })
  .openapi("ApplicationSettingsResource");
export type ApplicationSettingsResource = z.infer<typeof ApplicationSettingsResource>;

const toggle = (field: string) =>
  z.enum(["ENABLED", "DISABLED"], {
    error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be ENABLED or DISABLED`),
  });

export const ApplicationSettingsBody = z
  .object(
    { guestUsers: toggle("guestUsers"), userCreatedChannels: toggle("userCreatedChannels") },
    { error: "The request body must be a JSON object" },
  )
  .openapi("ApplicationSettingsProperties");
