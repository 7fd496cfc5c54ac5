/**
 * Listing persisted messages, newest first, by cursor pages: a channel's messages link (sizes,
 * bounds, bogus cursors, pages that stay exact while messages arrive or go) and the application's
 * messages link across its channels.
 */
import { describe, it } from "vitest";
import { ApplicationResource } from "../../src/api/applications/applications.schemas";
import { ChannelResource } from "../../src/api/channels/channels.schemas";
import { MessagePage, MessageResource } from "../../src/api/messages/messages.schemas";
import { ORIGIN, setup } from "../helpers/api";
import { expectError, expectHal, expectInvalidField } from "../helpers/checks";
import { fileSetup } from "../helpers/files";
import { bodiesOf, postAll, walk } from "../helpers/messages";

describe("GET /v1/applications/{id}/channels/{channelId}/messages (cursor pages)", () => {
  it("pages 25 messages by 10 as 10/10/5 following next, each exactly once, newest first", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const posted = await postAll(api, channel, bodiesOf(25));

    const first = await api.get(`${channel._links.messages.href}?size=10`);
    expectHal(expect, first);
    const pages = await walk(api, `${channel._links.messages.href}?size=10`);
    expect(pages.map((p) => p._embedded.messages.length)).toEqual([10, 10, 5]);
    expect(pages.map((p) => p.page)).toEqual([{ size: 10 }, { size: 10 }, { size: 5 }]);
    expect(pages[2]!._links.next).toBeUndefined();

    const seen = pages.flatMap((p) => p._embedded.messages);
    expect(seen.map((m) => m.id)).toEqual(posted.map((m) => m.id).reverse());
    expect(seen.map((m) => m.body)).toEqual(bodiesOf(25).reverse());
    for (const p of pages) {
      expect(p._links.self.href.startsWith(`${channel._links.messages.href}?`)).toBe(true);
      if (p._links.next) expect(p._links.next.href.startsWith(`${channel._links.messages.href}?`)).toBe(true);
    }
  });

  it("gives no next link on the last page when the count is an exact multiple of the size", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PRIVATE"));
    await postAll(api, channel, bodiesOf(20));
    const pages = await walk(api, `${channel._links.messages.href}?size=10`);
    expect(pages.map((p) => p._embedded.messages.length)).toEqual([10, 10]);
  });

  it("serves 20 per page by default", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    await postAll(api, channel, bodiesOf(21));
    const page = MessagePage.parse((await api.get(channel._links.messages.href)).body);
    expect(page._embedded.messages).toHaveLength(20);
    expect(page.page).toEqual({ size: 20 });
    expect(page._links.next).toBeDefined();
  });

  it("continues exactly where it left off while new messages arrive", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const original = await postAll(api, channel, bodiesOf(25));

    const p1 = MessagePage.parse((await api.get(`${channel._links.messages.href}?size=10`)).body);
    expect(p1._embedded.messages.map((m) => m.body)).toEqual(bodiesOf(25).reverse().slice(0, 10));

    await postAll(api, channel, bodiesOf(5, "new"));

    const rest = await walk(api, p1._links.next!.href);
    const seen = [...p1._embedded.messages, ...rest.flatMap((p) => p._embedded.messages)];
    expect(seen.map((m) => m.id)).toEqual(original.map((m) => m.id).reverse());
    expect(rest[0]!._embedded.messages.map((m) => m.body)).toEqual(bodiesOf(25).reverse().slice(10, 20));

    // and a fresh first page starts from the newest
    const fresh = MessagePage.parse((await api.get(`${channel._links.messages.href}?size=10`)).body);
    expect(fresh._embedded.messages.slice(0, 5).map((m) => m.body)).toEqual(bodiesOf(5, "new").reverse());
  });

  it("does not repeat or skip a message when one on an already-seen page is deleted", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const posted = await postAll(api, channel, bodiesOf(6));
    const p1 = MessagePage.parse((await api.get(`${channel._links.messages.href}?size=3`)).body);
    expectHal(expect, await api.del(p1._embedded.messages[2]!._links.self!.href));
    const rest = await walk(api, p1._links.next!.href);
    expect(rest.flatMap((p) => p._embedded.messages.map((m) => m.id))).toEqual(
      posted
        .slice(0, 3)
        .map((m) => m.id)
        .reverse(),
    );
  });

  it("answers an empty channel with an empty array and no next link", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PRIVATE"));
    const res = await api.get(channel._links.messages.href);
    expectHal(expect, res);
    const page = MessagePage.parse(res.body);
    expect(page._embedded).toEqual({ messages: [] });
    expect(page.page).toEqual({ size: 0 });
    expect(page._links.next).toBeUndefined();
    expect(page._links.self.href.startsWith(channel._links.messages.href)).toBe(true);
  });

  it("serves size=5000 as at most 100", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    await postAll(api, channel, bodiesOf(2));
    const res = await api.get(`${channel._links.messages.href}?size=5000`);
    expectHal(expect, res);
    const page = MessagePage.parse(res.body);
    expect(page._embedded.messages).toHaveLength(2);
    expect(new URL(page._links.self.href).searchParams.get("size")).toBe("100");
  });

  it.for(["size=0", "size=-1", "size=1.5", "size=abc"])("refuses ?%s with 400 naming size", async (q, { expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    expectInvalidField(expect, await api.get(`${channel._links.messages.href}?${q}`), "size");
    const open = ChannelResource.parse(await createChannel("OPEN"));
    expectInvalidField(expect, await api.get(`${open._links.messages.href}?${q}`), "size");
  });

  it.for(["start=abc", "start=-5", "start=1.5", "start=1&relation=FOO", "relation=sideways"])(
    "refuses the bogus cursor ?%s with 400",
    async (q, { expect }) => {
      const { api, createChannel } = await setup();
      const channel = ChannelResource.parse(await createChannel("PUBLIC"));
      await postAll(api, channel, ["a"]);
      expectError(expect, await api.get(`${channel._links.messages.href}?${q}`), 400);
    },
  );

  it("answers 404 for an unknown channel or another application's channel", async ({ expect }) => {
    const a = await setup();
    const b = await setup();
    const theirs = ChannelResource.parse(await b.createChannel("PUBLIC"));
    await postAll(b.api, theirs, ["private to b"]);
    const res = await a.api.get(`${a.urls.channels}/${theirs.id}/messages`);
    expectError(expect, res, 404);
    expect(JSON.stringify(res.body)).not.toContain("private to b");
    expectError(expect, await a.api.get(theirs._links.messages.href), 404);
  });
});

describe("GET {application messages}: every persisted message, newest first", () => {
  it("is the application's messages link, and pages across channels, each message exactly once", async ({ expect }) => {
    const { app, api, upload, createChannel } = await fileSetup();
    const appResource = ApplicationResource.parse((await api.get(`${ORIGIN}/v1/applications/me`)).body);
    const href = appResource._links.messages.href;
    expect(href).toBe(`${ORIGIN}/v1/applications/${app.id}/messages`);

    const pub = ChannelResource.parse(await createChannel("PUBLIC", "pub"));
    const priv = ChannelResource.parse(await createChannel("PRIVATE", "priv"));
    const open = ChannelResource.parse(await createChannel("OPEN", "open"));
    const created: MessageResource[] = [];
    for (let i = 0; i < 7; i++) {
      const channel = i % 2 === 0 ? pub : priv;
      const res =
        i % 3 === 2
          ? await upload(channel._links.messages.href, [["file", new File([`f${i}`], `f${i}.txt`, { type: "text/plain" })]])
          : await api.post(channel._links.messages.href, { body: `m${i}` });
      expect(res.status).toBe(201);
      created.push(MessageResource.parse(res.body));
      // Ephemeral messages are never part of it.
      expect((await api.post(open._links.messages.href, { body: `open${i}` })).status).toBe(201);
    }
    // Another application's messages are never part of it either.
    const other = await fileSetup();
    const theirs = ChannelResource.parse(await other.createChannel("PUBLIC"));
    expect((await other.api.post(theirs._links.messages.href, { body: "not yours" })).status).toBe(201);

    const first = await api.get(`${href}?size=3`);
    expectHal(expect, first);
    const pages = await walk(api, `${href}?size=3`);
    expect(pages.map((p) => p.page.size)).toEqual([3, 3, 1]);
    expect(pages[2]!._links.next).toBeUndefined();
    const seen = pages.flatMap((p) => p._embedded.messages);
    expect(seen).toEqual([...created].reverse());
    for (const p of pages) {
      expect(p._links.self.href.startsWith(`${href}?`)).toBe(true);
      if (p._links.next) expect(p._links.next.href.startsWith(`${href}?`)).toBe(true);
    }
    // Files show as files, text as text, each with its own channel link.
    expect(seen.find((m) => m.type === "SYSTEM_FILE")?.file?.type).toBe("HOSTED");
    expect(new Set(seen.map((m) => m._links.channel.href))).toEqual(new Set([pub._links.self.href, priv._links.self.href]));
  });

  it("continues where it left off while new messages arrive, and serves 20 by default", async ({ expect }) => {
    const { app, api, createChannel } = await fileSetup();
    const href = `${ORIGIN}/v1/applications/${app.id}/messages`;
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const original: number[] = [];
    for (let i = 0; i < 22; i++)
      original.push(MessageResource.parse((await api.post(channel._links.messages.href, { body: `m${i}` })).body).id!);

    const p1 = MessagePage.parse((await api.get(href)).body);
    expect(p1._embedded.messages).toHaveLength(20);
    expect(p1._links.next).toBeDefined();
    await api.post(channel._links.messages.href, { body: "newer" });
    const rest = await walk(api, p1._links.next!.href);
    const ids = [...p1._embedded.messages, ...rest.flatMap((p) => p._embedded.messages)].map((m) => m.id);
    expect(ids).toEqual([...original].reverse());
  });

  it("answers an application without messages with an empty page", async ({ expect }) => {
    const { app, api } = await fileSetup();
    const res = await api.get(`${ORIGIN}/v1/applications/${app.id}/messages`);
    expectHal(expect, res);
    const page = MessagePage.parse(res.body);
    expect(page._embedded).toEqual({ messages: [] });
    expect(page.page).toEqual({ size: 0 });
    expect(page._links.next).toBeUndefined();
  });

  it("answers 404 for another application's messages and 400 for a bad size or cursor", async ({ expect }) => {
    const a = await fileSetup();
    const b = await fileSetup();
    const theirs = ChannelResource.parse(await b.createChannel("PUBLIC"));
    await b.api.post(theirs._links.messages.href, { body: "only b" });
    const res = await a.api.get(`${ORIGIN}/v1/applications/${b.app.id}/messages`);
    expectError(expect, res, 404);
    expect(JSON.stringify(res.body)).not.toContain("only b");
    const mine = `${ORIGIN}/v1/applications/${a.app.id}/messages`;
    expectInvalidField(expect, await a.api.get(`${mine}?size=0`), "size");
    expectError(expect, await a.api.get(`${mine}?start=abc`), 400);
    expectError(expect, await a.api.post(mine, { body: "x" }), 405);
  });
});
