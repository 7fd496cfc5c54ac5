/**
 * Channels through the Platform API: create OPEN, PUBLIC and PRIVATE channels (type and optional
 * name validated), get one, and delete one together with its messages, memberships and an OPEN
 * channel's in-memory messages. Listing and `find:channels` are in channels-list.test.ts, DIRECT
 * channels in channels-direct.test.ts, members in channel-members.test.ts.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, count, eq } from "drizzle-orm";
import { describe, it } from "vitest";
import { createDb, openSession } from "../../src/db/client";
import { channelMembers } from "../../src/db/schema";
import { channelRoomStub } from "../../src/chat/live";
import type { ChannelRoom } from "../../src/durable/channel-room";
import { ApplicationResource } from "../../src/api/applications/applications.schemas";
import { ChannelPage, ChannelResource } from "../../src/api/channels/channels.schemas";
import { MessagePage, MessageResource } from "../../src/api/messages/messages.schemas";
import { UserResource } from "../../src/api/users/users.schemas";
import { ORIGIN, setup } from "../helpers/api";
import { expectError, expectHal, expectInvalidField } from "../helpers/checks";
import { membershipRows as memberRows, messageRows } from "../helpers/rows";

const TYPES = ["OPEN", "PUBLIC", "PRIVATE"] as const;

describe("POST /v1/applications/{id}/channels", () => {
  it.for(TYPES)("creates a %s channel: 201, Location = self href, body and links", async (type, { expect }) => {
    const { api, urls, app } = await setup();
    const res = await api.post(urls.channels, { type, name: `${type} chat` });
    expectHal(expect, res, 201);
    const channel = ChannelResource.parse(res.body);
    expect(channel.type).toBe(type);
    expect(channel.name).toBe(`${type} chat`);
    expect(Number.isSafeInteger(channel.id) && channel.id > 0).toBe(true);
    const self = `${ORIGIN}/v1/applications/${app.id}/channels/${channel.id}`;
    expect(res.headers.get("Location")).toBe(self);
    expect(channel._links).toEqual({
      self: { href: self },
      messages: { href: `${self}/messages` },
      // PUBLIC and PRIVATE are group channels with a members list; OPEN ones have none
      ...(type === "OPEN" ? {} : { members: { href: `${self}/members` } }),
      application: { href: `${ORIGIN}/v1/applications/${app.id}` },
    });
    // The contract's fields, at least: the one presenter also shows ChatKitty's current fields.
    expect(Object.keys(res.body)).toEqual(expect.arrayContaining(["_links", "id", "name", "type"]));
  });

  it.for([
    ["missing", { name: "x" }],
    ["lowercase", { type: "open", name: "x" }],
    ["unknown", { type: "SECRET", name: "x" }],
    ["empty", { type: "", name: "x" }],
    ["a number", { type: 1, name: "x" }],
    ["null", { type: null, name: "x" }],
    ["an array", { type: ["OPEN"], name: "x" }],
  ] as const)("refuses a %s type with 400 naming type", async ([_label, body], { expect }) => {
    const { api, urls } = await setup();
    expectInvalidField(expect, await api.post(urls.channels, body), "type");
    expect(ChannelPage.parse((await api.get(urls.channels)).body).page.totalElements).toBe(0);
  });

  it("accepts a name of exactly 255 characters", async ({ expect }) => {
    const { api, urls } = await setup();
    const name = "c".repeat(255);
    const res = await api.post(urls.channels, { type: "PUBLIC", name });
    expectHal(expect, res, 201);
    expect(ChannelResource.parse(res.body).name).toBe(name);
  });

  it("refuses a name of 256 characters with 400 naming name", async ({ expect }) => {
    const { api, urls } = await setup();
    expectInvalidField(expect, await api.post(urls.channels, { type: "PUBLIC", name: "c".repeat(256) }), "name");
  });

  it("counts the name length as String.length (128 emoji = 256)", async ({ expect }) => {
    const { api, urls } = await setup();
    expectInvalidField(expect, await api.post(urls.channels, { type: "PUBLIC", name: "🐱".repeat(128) }), "name");
  });

  it.for(TYPES)("accepts a %s channel without a name: 201 and no name key", async (type, { expect }) => {
    const { api, urls } = await setup();
    const res = await api.post(urls.channels, { type });
    expectHal(expect, res, 201);
    const channel = ChannelResource.parse(res.body);
    expect(channel.type).toBe(type);
    expect(res.body).not.toHaveProperty("name");
    expect(Object.keys(res.body)).toEqual(expect.arrayContaining(["_links", "id", "type"]));
    expect(res.body).not.toHaveProperty("displayName");
    const fetched = await api.get(channel._links.self.href);
    expect(fetched.body).not.toHaveProperty("name");
    expect(ChannelResource.parse(fetched.body)).toEqual(channel);
  });

  it.for([
    ["empty", { type: "PUBLIC", name: "" }],
    ["blank", { type: "PUBLIC", name: " \t\n " }],
    ["a number", { type: "PUBLIC", name: 7 }],
    ["null", { type: "PUBLIC", name: null }],
    ["an object", { type: "PUBLIC", name: { x: 1 } }],
  ] as const)("refuses a %s name with 400 naming name", async ([_label, body], { expect }) => {
    const { api, urls } = await setup();
    expectInvalidField(expect, await api.post(urls.channels, body), "name");
  });

  it("names both fields when both are wrong", async ({ expect }) => {
    const { api, urls } = await setup();
    const err = expectInvalidField(expect, await api.post(urls.channels, { name: "" }), "type");
    expect(err.properties).toHaveProperty("name");
  });

  it.for(["Général 💬 채팅", "  spaced  ", "e\u0301"])("stores the name %j exactly", async (name, { expect }) => {
    const { api, urls } = await setup();
    const created = await api.post(urls.channels, { type: "PRIVATE", name });
    expectHal(expect, created, 201);
    const fetched = await api.get(created.body._links.self.href);
    expect(ChannelResource.parse(fetched.body).name).toBe(name);
  });
});

describe("GET and DELETE /v1/applications/{id}/channels/{channelId}", () => {
  it("gets a channel as created", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const created = ChannelResource.parse(await createChannel("PRIVATE", "secret"));
    const res = await api.get(created._links.self.href);
    expectHal(expect, res);
    expect(ChannelResource.parse(res.body)).toEqual(created);
  });

  it("answers 404 for unknown, non-numeric and other applications' channel ids", async ({ expect }) => {
    const a = await setup();
    const b = await setup();
    const theirs = await b.createChannel("PUBLIC");
    for (const id of [String(theirs.id), "abc", "0", "-3"]) {
      expectError(expect, await a.api.get(`${a.urls.channels}/${id}`), 404);
      expectError(expect, await a.api.del(`${a.urls.channels}/${id}`), 404);
    }
    expectHal(expect, await b.api.get(theirs._links.self.href));
  });

  it("deletes a channel: 200 with the application resource, then 404, and 404 again on a second delete", async ({ expect }) => {
    const { api, app, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const res = await api.del(channel._links.self.href);
    expectHal(expect, res);
    const application = ApplicationResource.parse(res.body);
    expect(application.id).toBe(app.id);
    expect(application.key).toBe(app.key);
    expect(application._links.self.href).toBe(`${ORIGIN}/v1/applications/${app.id}`);
    expectError(expect, await api.get(channel._links.self.href), 404);
    expectError(expect, await api.get(channel._links.messages.href), 404);
    expectError(expect, await api.post(channel._links.messages.href, { body: "late" }), 404);
    expectError(expect, await api.del(channel._links.self.href), 404);
  });

  it("deletes the channel's messages with it", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PRIVATE"));
    const keep = ChannelResource.parse(await createChannel("PUBLIC", "keep"));
    const posted: MessageResource[] = [];
    for (let i = 0; i < 3; i++) posted.push(MessageResource.parse((await api.post(channel._links.messages.href, { body: `m${i}` })).body));
    await api.post(keep._links.messages.href, { body: "stays" });
    expect(await messageRows(channel.id)).toBe(3);

    expectHal(expect, await api.del(channel._links.self.href));

    expect(await messageRows(channel.id)).toBe(0);
    for (const m of posted) expectError(expect, await api.get(m._links.self!.href), 404);
    expect(await messageRows(keep.id)).toBe(1);
  });

  it("deletes the channel's memberships with it", async ({ expect }) => {
    const { api, app, createChannel, createUser } = await setup();
    const channel = ChannelResource.parse(await createChannel("PRIVATE"));
    const other = ChannelResource.parse(await createChannel("PRIVATE", "other"));
    const u1 = UserResource.parse(await createUser());
    const u2 = UserResource.parse(await createUser());
    const db = createDb(openSession(env.DB));
    await db.insert(channelMembers).values([
      { channelId: channel.id, userId: u1.id, applicationId: app.id },
      { channelId: channel.id, userId: u2.id, applicationId: app.id },
      { channelId: other.id, userId: u1.id, applicationId: app.id },
    ]);
    expect(await memberRows(channel.id)).toBe(2);

    expectHal(expect, await api.del(channel._links.self.href));

    expect(await memberRows(channel.id)).toBe(0);
    expect(await memberRows(other.id)).toBe(1);
    // the users themselves stay
    expectHal(expect, await api.get(u1._links.self.href));
    const u1Channels = ChannelPage.parse((await api.get(u1._links.channels.href)).body);
    expect(u1Channels._embedded.channels.map((c) => c.id)).toEqual([other.id]);
    const stillMember = await db
      .select({ n: count() })
      .from(channelMembers)
      .where(and(eq(channelMembers.userId, u1.id), eq(channelMembers.channelId, other.id)))
      .get();
    expect(stillMember?.n).toBe(1);
  });

  it("clears an OPEN channel's in-memory messages when it is deleted", async ({ expect }) => {
    const { api, app, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("OPEN"));
    for (let i = 0; i < 3; i++) expectHal(expect, await api.post(channel._links.messages.href, { body: `hi ${i}` }), 201);
    const listed = MessagePage.parse((await api.get(channel._links.messages.href)).body);
    expect(listed._embedded.messages).toHaveLength(3);

    const stub = channelRoomStub(env, app.id, channel.id);
    expect(await stub.size()).toBe(3);

    expectHal(expect, await api.del(channel._links.self.href));

    expect(await stub.size()).toBe(0);
    const held = await runInDurableObject(stub, (instance: ChannelRoom) => instance.list(undefined, 100));
    expect(held).toEqual([]);
  });
});
