import { env } from "cloudflare:workers";
import { count, eq } from "drizzle-orm";
import { describe, it } from "vitest";
import { createDb } from "../../src/db/client";
import { messages } from "../../src/db/schema";
import { ChannelResource } from "../../src/api/channels/channels.schemas";
import { MessagePage, MessageResource } from "../../src/api/messages/messages.schemas";
import { ORIGIN, setup, type Client } from "../helpers/api";
import { expectError, expectHal, expectInvalidField, isIsoUtc } from "../helpers/checks";

const messageRows = async (channelId: number) =>
  (await createDb(env.DB).select({ n: count() }).from(messages).where(eq(messages.channelId, channelId)).get())?.n ?? 0;

/** Posts `bodies` one after another; returns the created messages in posting order. */
const postAll = async (api: Client, channel: ChannelResource, bodies: string[]) => {
  const out: MessageResource[] = [];
  for (const body of bodies) {
    const res = await api.post(channel._links.messages.href, { body });
    if (res.status !== 201) throw new Error(`post: ${res.status} ${JSON.stringify(res.body)}`);
    out.push(MessageResource.parse(res.body));
  }
  return out;
};

const bodiesOf = (n: number, prefix = "m") => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

/** Follows `next` links from `href`; returns every page (capped, so a loop cannot hang the test). */
const walk = async (api: Client, href: string, maxPages = 20) => {
  const pages: MessagePage[] = [];
  let next: string | undefined = href;
  while (next && pages.length < maxPages) {
    const res = await api.get(next);
    if (res.status !== 200) throw new Error(`walk: ${res.status} ${JSON.stringify(res.body)}`);
    const page = MessagePage.parse(res.body);
    pages.push(page);
    next = page._links.next?.href;
  }
  return pages;
};

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
      posted.slice(0, 3).map((m) => m.id).reverse(),
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
