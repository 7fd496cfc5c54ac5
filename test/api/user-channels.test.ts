/**
 * A user's `channels` link: every OPEN and PUBLIC channel of the application, and the PRIVATE and
 * DIRECT ones the user is a member of, as numbered pages, never another application's.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { createDb, openSession } from "../../src/db/client";
import { channelMembers } from "../../src/db/schema";
import { ChannelPage, ChannelResource } from "../../src/api/channels/channels.schemas";
import { UserResource } from "../../src/api/users/users.schemas";
import { setup } from "../helpers/api";
import { expectError, expectHal, expectInvalidField } from "../helpers/checks";
import { channelIds, createDirect, hrefs, users } from "../helpers/resources";

describe("GET /v1/applications/{id}/users/{userId}/channels", () => {
  it("lists every OPEN and PUBLIC channel and the PRIVATE ones the user is a member of", async ({ expect }) => {
    const { api, app, createUser, createChannel } = await setup();
    const member = UserResource.parse(await createUser("member"));
    const outsider = UserResource.parse(await createUser("outsider"));
    const open = await createChannel("OPEN", "open");
    const pub = await createChannel("PUBLIC", "public");
    const privJoined = await createChannel("PRIVATE", "private-joined");
    const privOther = await createChannel("PRIVATE", "private-other");
    const db = createDb(openSession(env.DB));
    await db.insert(channelMembers).values([
      { channelId: privJoined.id, userId: member.id, applicationId: app.id },
      // a PUBLIC membership must not list the channel twice
      { channelId: pub.id, userId: member.id, applicationId: app.id },
    ]);

    const res = await api.get(member._links.channels.href);
    expectHal(expect, res);
    const page = ChannelPage.parse(res.body);
    expect(page._embedded.channels.map((c) => c.id)).toEqual([open.id, pub.id, privJoined.id]);
    expect(page.page).toEqual({ size: 20, totalElements: 3, totalPages: 1, number: 0 });
    expect(page._links.self.href).toBe(`${member._links.channels.href}?page=0&size=20`);

    const other = ChannelPage.parse((await api.get(outsider._links.channels.href)).body);
    expect(other._embedded.channels.map((c) => c.id)).toEqual([open.id, pub.id]);
    expect(other._embedded.channels.map((c) => c.id)).not.toContain(privOther.id);
  });

  it("pages a user's channels with links on the user's collection", async ({ expect }) => {
    const { api, createUser, createChannel } = await setup();
    const user = UserResource.parse(await createUser());
    for (let i = 0; i < 3; i++) await createChannel("PUBLIC", `c${i}`);
    const base = user._links.channels.href;
    const page = ChannelPage.parse((await api.get(`${base}?page=1&size=2`)).body);
    expect(page.page).toEqual({ size: 2, totalElements: 3, totalPages: 2, number: 1 });
    expect(page._embedded.channels).toHaveLength(1);
    expect(page._links.prev?.href).toBe(`${base}?page=0&size=2`);
    expect(page._links.next).toBeUndefined();
  });

  it("does not list another application's channels", async ({ expect }) => {
    const a = await setup();
    const b = await setup();
    await b.createChannel("OPEN", "b-open");
    await b.createChannel("PUBLIC", "b-public");
    const user = UserResource.parse(await a.createUser());
    const page = ChannelPage.parse((await a.api.get(user._links.channels.href)).body);
    expect(page._embedded.channels).toEqual([]);
    expect(page.page.totalElements).toBe(0);
  });

  it("answers 404 for an unknown user", async ({ expect }) => {
    const { api, urls, createUser } = await setup();
    const user = UserResource.parse(await createUser());
    await api.del(user._links.self.href);
    expectError(expect, await api.get(`${urls.users}/${user.id}/channels`), 404);
  });

  it("refuses invalid page parameters with 400", async ({ expect }) => {
    const { api, createUser } = await setup();
    const user = UserResource.parse(await createUser());
    expectInvalidField(expect, await api.get(`${user._links.channels.href}?size=0`), "size");
  });

  it("a user's channels: every OPEN and PUBLIC one, and the PRIVATE and DIRECT ones they belong to", async ({ expect }) => {
    const s = await setup();
    const [jane, john, carol] = await users(s, 3);
    const open = ChannelResource.parse(await s.createChannel("OPEN"));
    const pub = ChannelResource.parse(await s.createChannel("PUBLIC"));
    const priv = ChannelResource.parse(await s.createChannel("PRIVATE"));
    await s.api.post(priv._links.members!.href, { href: jane!._links.self.href });
    const janeJohn = ChannelResource.parse((await createDirect(s, hrefs([jane!, john!]))).body);
    const johnCarol = ChannelResource.parse((await createDirect(s, hrefs([john!, carol!]))).body);

    const janes = ChannelPage.parse((await s.api.get(jane!._links.channels.href)).body);
    expect(janes._embedded.channels.map((c) => c.id)).toEqual([open.id, pub.id, priv.id, janeJohn.id]);
    expect(janes.page.totalElements).toBe(4);
    expect(janes._embedded.channels.find((c) => c.id === janeJohn.id)).toEqual(janeJohn);
    expect(channelIds(await s.api.get(john!._links.channels.href))).toEqual([open.id, pub.id, janeJohn.id, johnCarol.id]);
    expect(channelIds(await s.api.get(carol!._links.channels.href))).toEqual([open.id, pub.id, johnCarol.id]);
  });
});
