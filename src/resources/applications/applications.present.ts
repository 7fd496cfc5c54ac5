import { link } from "../../http/hal";
import type { Links } from "../../http/links";
import type { ApplicationResource } from "./applications.schemas";

export const toApplicationResource = (
  app: { id: number; name: string; key: string },
  links: Links,
): ApplicationResource => ({
  id: app.id,
  name: app.name,
  key: app.key,
  _links: {
    self: link(links.application(app.id)),
    users: link(links.users(app.id)),
    channels: link(links.channels(app.id)),
  },
});
