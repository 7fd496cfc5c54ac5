import { link, templatedLink } from "../../http/hal";
import type { Links } from "../../http/links";
import type { ApplicationRow } from "../../chat/queries/applications";
import type { ApplicationResource, ApplicationSettingsResource } from "./applications.schemas";

/** The application with every field either form shows (ChatKitty's `ApplicationResource`, plus the 2020 ones). */
export const toApplicationResource = (app: ApplicationRow, links: Links): ApplicationResource => ({
  id: app.id,
  name: app.name,
  key: app.key,
  requireAuthenticatedSessions: app.requireAuthenticatedSessions,
  createdTime: app.createdAt.toISOString(),
  properties: app.properties,
  _links: {
    self: link(links.application(app.id)),
    users: link(links.users(app.id)),
    channels: link(links.channels(app.id)),
    messages: link(links.messages(app.id)),
    "find:users": templatedLink(links.findUsers(app.id)),
    "find:channels": templatedLink(links.findChannels(app.id)),
  },
});

const toggle = (on: boolean) => (on ? "ENABLED" : "DISABLED");

/** Guest users are the sessions an application that requires authenticated sessions refuses. */
export const toApplicationSettingsResource = (app: ApplicationRow, links: Links): ApplicationSettingsResource => ({
  guestUsers: toggle(!app.requireAuthenticatedSessions),
  userCreatedChannels: toggle(app.userCreatedChannels),
  _links: { self: link(links.applicationSettings()), application: link(links.application(app.id)) },
});
