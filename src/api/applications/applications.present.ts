import { link, templatedLink } from "../../http/hal";
import type { Links } from "../../http/links";
import type { ApplicationResource } from "./applications.schemas";

export const toApplicationResource = (
  app: { id: number; name: string; key: string; requireAuthenticatedSessions: boolean },
  links: Links,
): ApplicationResource => ({
  id: app.id,
  name: app.name,
  key: app.key,
  requireAuthenticatedSessions: app.requireAuthenticatedSessions,
  _links: {
    self: link(links.application(app.id)),
    users: link(links.users(app.id)),
    channels: link(links.channels(app.id)),
    messages: link(links.messages(app.id)),
    "find:users": templatedLink(links.findUsers(app.id)),
    "find:channels": templatedLink(links.findChannels(app.id)),
  },
});
