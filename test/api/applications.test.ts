/**
 * The application resource (`/v1/applications/me` and by id): its fields, including
 * `requireAuthenticatedSessions`, and its plain and templated links.
 */
import { describe, it } from "vitest";
import { ApplicationResource } from "../../src/api/applications/applications.schemas";
import { setup } from "../helpers/api";
import { expectHal } from "../helpers/checks";

describe("the application resource", () => {
  it("has requireAuthenticatedSessions and the messages, find:users and find:channels links", async ({ expect }) => {
    const { api, app, urls } = await setup();
    for (const href of ["/v1/applications/me", urls.app]) {
      const res = await api.get(href);
      expectHal(expect, res);
      // The contract's fields (the current form's createdTime and properties come along).
      expect(ApplicationResource.parse(res.body)).toMatchObject({
        id: app.id,
        name: app.name,
        key: app.key,
        requireAuthenticatedSessions: false,
        _links: {
          self: { href: urls.app },
          users: { href: urls.users },
          channels: { href: urls.channels },
          messages: { href: urls.messages },
          "find:users": { href: `${urls.users}{?page,size,name}`, templated: true },
          "find:channels": { href: `${urls.channels}{?page,size,direct,members}`, templated: true },
        },
      });
      // plain links say nothing about templating
      for (const rel of ["self", "users", "channels", "messages"]) expect(res.body._links[rel]).not.toHaveProperty("templated");
    }
  });
});
