/**
 * Text messages through the Platform API: posting SYSTEM_TEXT messages as JSON (`{body}` or
 * `{type: TEXT, body}`; bodies stored exactly, the 10,000-character bound), getting and deleting
 * one. OPEN channels' ephemeral messages are in messages-open.test.ts, pages in
 * messages-list.test.ts, file messages in the message-files*.test.ts files.
 */
import { describe, it } from "vitest";
import { ChannelResource } from "../../src/api/channels/channels.schemas";
import { MessagePage, MessageResource } from "../../src/api/messages/messages.schemas";
import { ORIGIN, setup } from "../helpers/api";
import { expectError, expectHal, expectInvalidField, isIsoUtc } from "../helpers/checks";
import { fileSetup } from "../helpers/files";
import { postAll } from "../helpers/messages";
import { messageRows } from "../helpers/rows";

describe("POST /v1/applications/{id}/channels/{channelId}/messages", () => {
  it.for(["PUBLIC", "PRIVATE"] as const)(
    "creates a persisted SYSTEM_TEXT message in a %s channel: 201, id, self link, Location, createdTime",
    async (type, { expect }) => {
      const { api, app, createChannel } = await setup();
      const channel = ChannelResource.parse(await createChannel(type));
      const before = Date.now();
      const res = await api.post(channel._links.messages.href, { body: "Hello world!" });
      expectHal(expect, res, 201);
      const message = MessageResource.parse(res.body);
      expect(message.type).toBe("SYSTEM_TEXT");
      expect(message.body).toBe("Hello world!");
      expect(Number.isSafeInteger(message.id) && message.id! > 0).toBe(true);
      const self = `${ORIGIN}/v1/applications/${app.id}/messages/${message.id}`;
      expect(res.headers.get("Location")).toBe(self);
      expect(message._links).toEqual({
        self: { href: self },
        channel: { href: channel._links.self.href },
        application: { href: `${ORIGIN}/v1/applications/${app.id}` },
      });
      expect(message._links.user).toBeUndefined();
      expect(isIsoUtc(message.createdTime), message.createdTime).toBe(true);
      const t = Date.parse(message.createdTime);
      expect(t).toBeGreaterThanOrEqual(before - 5_000);
      expect(t).toBeLessThanOrEqual(Date.now() + 5_000);
      expect(await messageRows(channel.id)).toBe(1);
    },
  );

  it.for([
    ["emoji and ZWJ sequences", "Hello 👋🏽 🐱‍👤 👨‍👩‍👧‍👦 🏳️‍🌈"],
    ["mixed scripts", "Здравствуй, мир — こんにちは — مرحبا بالعالم"],
    ["combining marks and control-ish whitespace", "e\u0301\u200b\u00a0 \n\ttabbed\r\n"],
    ["surrounding whitespace", "   spaced   "],
    ["JSON-looking text", `{"body": "nested"} \\ "quotes"`],
    ["10,000 ASCII characters", "x".repeat(10_000)],
    ["10,000 characters of emoji (5,000 surrogate pairs)", "😀".repeat(5_000)],
  ] as const)("stores a body of %s exactly", async ([_label, body], { expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const res = await api.post(channel._links.messages.href, { body });
    expectHal(expect, res, 201);
    expect(MessageResource.parse(res.body).body).toBe(body);
    const fetched = MessageResource.parse((await api.get(res.body._links.self.href)).body);
    expect(fetched.body).toBe(body);
    const listed = MessagePage.parse((await api.get(channel._links.messages.href)).body);
    expect(listed._embedded.messages[0]?.body).toBe(body);
  });

  it("refuses a body of 10,001 characters with 400 naming body", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    expectInvalidField(expect, await api.post(channel._links.messages.href, { body: "x".repeat(10_001) }), "body");
    expect(await messageRows(channel.id)).toBe(0);
  });

  it("counts the body length as String.length (5,001 emoji = 10,002)", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    expectInvalidField(expect, await api.post(channel._links.messages.href, { body: "😀".repeat(5_001) }), "body");
  });

  it.for([
    ["missing", {}],
    ["empty", { body: "" }],
    ["a number", { body: 5 }],
    ["null", { body: null }],
    ["an array", { body: ["hi"] }],
    ["an object", { body: { text: "hi" } }],
    ["the seed example's typo {name}", { name: "Hello world!" }],
  ] as const)("refuses a %s body with 400 naming body", async ([_label, json], { expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const err = expectInvalidField(expect, await api.post(channel._links.messages.href, json), "body");
    expect(err.message).toContain("body");
    expect(await messageRows(channel.id)).toBe(0);
  });

  it("refuses an invalid body in an OPEN channel too, holding nothing", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("OPEN"));
    expectInvalidField(expect, await api.post(channel._links.messages.href, { body: "" }), "body");
    const page = MessagePage.parse((await api.get(channel._links.messages.href)).body);
    expect(page._embedded.messages).toEqual([]);
  });

  it("answers 404 when posting to an unknown channel or another application's channel", async ({ expect }) => {
    const a = await setup();
    const b = await setup();
    const theirs = ChannelResource.parse(await b.createChannel("PUBLIC"));
    expectError(expect, await a.api.post(`${a.urls.channels}/${theirs.id}/messages`, { body: "x" }), 404);
    expectError(expect, await a.api.post(theirs._links.messages.href, { body: "x" }), 404);
    expect(await messageRows(theirs.id)).toBe(0);
  });
});

describe("POST {channel messages} JSON text", () => {
  it("accepts {type: TEXT, body} as a SYSTEM_TEXT message, like {body}", async ({ expect }) => {
    const { api, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const res = await api.post(channel._links.messages.href, { type: "TEXT", body: "typed 👋" });
    expectHal(expect, res, 201);
    const message = MessageResource.parse(res.body);
    expect(message.type).toBe("SYSTEM_TEXT");
    expect(message.body).toBe("typed 👋");
    expect(message).not.toHaveProperty("file");
    expect(message).not.toHaveProperty("groupTag");
  });

  it.for<[string, unknown, string]>([
    ["{type: TEXT} without body", { type: "TEXT" }, "body"],
    ["{type: FILE} with only a body", { type: "FILE", body: "x" }, "file"],
    ["an unknown type", { type: "IMAGE", body: "x" }, "type"],
    ["type null", { type: null, body: "x" }, "type"],
    ["a JSON array", [{ body: "x" }], "body"],
  ])("refuses %s with 400 naming the field", async ([_label, json, field], { expect }) => {
    const { api, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    expectInvalidField(expect, await api.post(channel._links.messages.href, json), field);
    expect(await messageRows(channel.id)).toBe(0);
  });

  it("refuses a request without a body with 400 naming body", async ({ expect }) => {
    const { send, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    expectInvalidField(expect, await send(channel._links.messages.href, {}), "body");
  });
});

describe("GET and DELETE /v1/applications/{id}/messages/{messageId}", () => {
  it("gets a persisted message as created", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const [created] = await postAll(api, channel, ["fetch me"]);
    const res = await api.get(created!._links.self!.href);
    expectHal(expect, res);
    expect(MessageResource.parse(res.body)).toEqual(created);
  });

  it("deletes a message: 200 with its channel resource, then 404, and 404 on a second delete", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PRIVATE", "the channel"));
    const [keep, gone] = await postAll(api, channel, ["keep", "gone"]);
    const res = await api.del(gone!._links.self!.href);
    expectHal(expect, res);
    expect(ChannelResource.parse(res.body)).toEqual(channel);
    expectError(expect, await api.get(gone!._links.self!.href), 404);
    expectError(expect, await api.del(gone!._links.self!.href), 404);
    const page = MessagePage.parse((await api.get(channel._links.messages.href)).body);
    expect(page._embedded.messages.map((m) => m.id)).toEqual([keep!.id]);
    expect(await messageRows(channel.id)).toBe(1);
  });

  it("answers 404 for another application's message under either application's ids", async ({ expect }) => {
    const a = await setup();
    const b = await setup();
    const channel = ChannelResource.parse(await a.createChannel("PUBLIC"));
    const [message] = await postAll(a.api, channel, ["only a sees this"]);
    // b's token with a's ids
    expectError(expect, await b.api.get(message!._links.self!.href), 404);
    expectError(expect, await b.api.del(message!._links.self!.href), 404);
    // b's ids with a's message id
    const res = await b.api.get(`${b.urls.messages}/${message!.id}`);
    expectError(expect, res, 404);
    expect(JSON.stringify(res.body)).not.toContain("only a sees this");
    expectError(expect, await b.api.del(`${b.urls.messages}/${message!.id}`), 404);
    // still there for a
    expectHal(expect, await a.api.get(message!._links.self!.href));
  });

  it.for(["abc", "0", "-1", "2.5"])("answers 404 for the non-id /messages/%s", async (id, { expect }) => {
    const { api, urls } = await setup();
    expectError(expect, await api.get(`${urls.messages}/${id}`), 404);
    expectError(expect, await api.del(`${urls.messages}/${id}`), 404);
  });
});
