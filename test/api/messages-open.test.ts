/**
 * Messages in OPEN channels are ephemeral: answered 201 without an id or self link, never written
 * to D1, held by the channel's Durable Object (the newest OPEN_CHANNEL_MESSAGE_LIMIT, 5 in the
 * tests) and listed from there; uploaded files stay in R2 until the channel goes.
 */
import { describe, it } from "vitest";
import { ChannelResource } from "../../src/api/channels/channels.schemas";
import { MessagePage, MessageResource } from "../../src/api/messages/messages.schemas";
import { ORIGIN, setup } from "../helpers/api";
import { expectHal, isIsoUtc } from "../helpers/checks";
import { binary, expectStoredFile, fileSetup, keyOf, objectsUnder } from "../helpers/files";
import { bodiesOf, postAll, walk } from "../helpers/messages";
import { messageRows } from "../helpers/rows";

describe("messages in an OPEN channel (ephemeral)", () => {
  it("answers 201 without id or self link and writes nothing to D1", async ({ expect }) => {
    const { api, app, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("OPEN"));
    const res = await api.post(channel._links.messages.href, { body: "fleeting 🌬️" });
    expectHal(expect, res, 201);
    const message = MessageResource.parse(res.body);
    expect(message).not.toHaveProperty("id");
    expect(message._links).not.toHaveProperty("self");
    expect(message._links).not.toHaveProperty("user");
    expect(message.type).toBe("SYSTEM_TEXT");
    expect(message.body).toBe("fleeting 🌬️");
    expect(isIsoUtc(message.createdTime)).toBe(true);
    expect(message._links.channel.href).toBe(channel._links.self.href);
    expect(message._links.application.href).toBe(`${ORIGIN}/v1/applications/${app.id}`);
    expect(await messageRows(channel.id)).toBe(0);
  });

  it("lists what the channel's object holds, newest first, in the same shape", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("OPEN"));
    await postAll(api, channel, ["one", "two", "three"]);
    const res = await api.get(channel._links.messages.href);
    expectHal(expect, res);
    const page = MessagePage.parse(res.body);
    expect(page._embedded.messages.map((m) => m.body)).toEqual(["three", "two", "one"]);
    expect(page.page).toEqual({ size: 3 });
    expect(page._links.next).toBeUndefined();
    for (const m of page._embedded.messages) {
      expect(m).not.toHaveProperty("id");
      expect(m._links).not.toHaveProperty("self");
    }
    expect(await messageRows(channel.id)).toBe(0);
  });

  it("keeps only the newest OPEN_CHANNEL_MESSAGE_LIMIT (5) messages: 8 posted, newest 5 listed", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("OPEN"));
    await postAll(api, channel, bodiesOf(8));
    const page = MessagePage.parse((await api.get(channel._links.messages.href)).body);
    expect(page._embedded.messages.map((m) => m.body)).toEqual(["m8", "m7", "m6", "m5", "m4"]);
    expect(page._links.next).toBeUndefined();
  });

  it("pages an open channel by following next links", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("OPEN"));
    await postAll(api, channel, bodiesOf(5));
    const pages = await walk(api, `${channel._links.messages.href}?size=2`);
    expect(pages.map((p) => p._embedded.messages.map((m) => m.body))).toEqual([["m5", "m4"], ["m3", "m2"], ["m1"]]);
    expect(pages.map((p) => p.page.size)).toEqual([2, 2, 1]);
  });

  it("keeps each open channel's messages apart", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const c1 = ChannelResource.parse(await createChannel("OPEN", "one"));
    const c2 = ChannelResource.parse(await createChannel("OPEN", "two"));
    await postAll(api, c1, ["in one"]);
    await postAll(api, c2, ["in two"]);
    const p1 = MessagePage.parse((await api.get(c1._links.messages.href)).body);
    const p2 = MessagePage.parse((await api.get(c2._links.messages.href)).body);
    expect(p1._embedded.messages.map((m) => m.body)).toEqual(["in one"]);
    expect(p2._embedded.messages.map((m) => m.body)).toEqual(["in two"]);
  });
});

describe("OPEN channels: file messages are ephemeral", () => {
  it("answers 201 without id or self link, writes nothing to D1, lists it from the room, serves the bytes", async ({ expect }) => {
    const { app, api, upload, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("OPEN"));
    const bytes = binary(5_000);
    const res = await upload(channel._links.messages.href, [
      ["file", new File([bytes], "flüchtig.bin", { type: "application/x-ephemeral" })],
      ["groupTag", "live"],
    ]);
    expectHal(expect, res, 201);
    expect(res.headers.get("Location")).toBeNull();
    const message = MessageResource.parse(res.body);
    expect(message).not.toHaveProperty("id");
    expect(message._links).not.toHaveProperty("self");
    expect(message._links).not.toHaveProperty("user");
    expect(message.type).toBe("SYSTEM_FILE");
    expect(message.groupTag).toBe("live");
    expect(message.file).toMatchObject({ type: "HOSTED", name: "flüchtig.bin", contentType: "application/x-ephemeral", size: 5_000 });
    expect(JSON.stringify(res.body)).not.toContain('"key"');
    expect(await messageRows(channel.id)).toBe(0);
    await expectStoredFile(expect, message, bytes, "application/x-ephemeral");

    const page = MessagePage.parse((await api.get(channel._links.messages.href)).body);
    expect(page._embedded.messages).toEqual([message]);
    const all = MessagePage.parse((await api.get(`${ORIGIN}/v1/applications/${app.id}/messages`)).body);
    expect(all._embedded.messages).toEqual([]);

    // The bytes stay in R2 until the channel goes (or a lifecycle rule expires them).
    expect(await objectsUnder(`${app.id}/${channel.id}/`)).toEqual([keyOf(message.file!.url)]);
    expectHal(expect, await api.del(channel._links.self.href));
    expect(await objectsUnder(`${app.id}/${channel.id}/`)).toEqual([]);
  });

  it("holds an external file message too", async ({ expect }) => {
    const { api, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("OPEN"));
    const file = { url: "https://example.com/x.png", name: "x.png", contentType: "image/png", size: 3 };
    const res = await api.post(channel._links.messages.href, { type: "FILE", file });
    expectHal(expect, res, 201);
    const message = MessageResource.parse(res.body);
    expect(message).not.toHaveProperty("id");
    expect(message.file).toEqual({ type: "EXTERNAL", ...file });
    expect(await messageRows(channel.id)).toBe(0);
  });
});
