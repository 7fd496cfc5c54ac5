/**
 * Messages in the current (token-scoped) form: `POST/GET /v1/channels/{id}/messages`,
 * `GET /v1/messages`, `GET/PATCH/DELETE /v1/messages/{id}` and read receipts. One pipeline with the
 * 2020 form (a message sent through one is the same through the other), ChatKitty's
 * `MessageResource` (`channelId`, `nestedLevel`, `properties`, the sender as `user`), system and
 * on-behalf-of-user sending with `groupTag` and `properties`, uploads (also without a boundary
 * parameter, as chatkitty-platform-sdk 2.4.0 sends them), integer cursors with `relation`, merge
 * patches, and deletes that answer the message's thread. Every JSON body of a current-form path
 * validates against ChatKitty's schema for its operation.
 */
import { env } from "cloudflare:workers";
import { describe, type ExpectStatic, it } from "vitest";
import { channelForMember } from "../../src/chat/channels";
import { postUserMessage } from "../../src/chat/messages";
import { findUser } from "../../src/chat/queries/users";
import { react } from "../../src/chat/reactions";
import type { ApiResponse } from "../helpers/api";
import { expectError, expectHal, expectInvalidField, isIsoUtc, queryOf } from "../helpers/checks";
import { chatKittyClient, expectChatKitty } from "../helpers/chatkitty-schema";
import { connectChat, sid } from "../helpers/chat";
import { binary, expectStoredFile, fileSetup, keyOf, MAX_FILE_BYTES, objectsUnder } from "../helpers/files";
import { db } from "../helpers/rows";

/** A fresh application whose `api` checks every current-form JSON answer against ChatKitty's schema; `raw` does not. */
const checkedSetup = async (expect: ExpectStatic) => {
  const s = await fileSetup();
  return { ...s, raw: s.api, api: chatKittyClient(expect, s.api) };
};
type Checked = Awaited<ReturnType<typeof checkedSetup>>;

const user = async (s: Checked, label = "u") => {
  const res = await s.api.post("/v1/users", { name: `${label}-${crypto.randomUUID()}` });
  if (res.status !== 201) throw new Error(`user: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: number; name: string };
};

const channel = async (s: Checked, body: Record<string, unknown>) => {
  const res = await s.api.post("/v1/channels", body);
  if (res.status !== 201) throw new Error(`channel: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: number; type: string };
};

const send = async (s: Checked, channelId: number, body: Record<string, unknown>) => {
  const res = await s.api.post(`/v1/channels/${channelId}/messages`, body);
  if (res.status !== 201) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: number; body?: string };
};

const sendAll = async (s: Checked, channelId: number, n: number, prefix = "m") => {
  const out = [];
  for (let i = 1; i <= n; i++) out.push(await send(s, channelId, { body: `${prefix}${i}` }));
  return out;
};

const ids = (res: { body: any }): number[] => res.body._embedded.messages.map((m: { id: number }) => m.id);

/** A multipart body built by hand, as the `form-data` package writes it, sent with a bare `multipart/form-data`. */
const boundaryless = (parts: { name: string; value: string | Uint8Array; filename?: string; type?: string }[]) => {
  const boundary = `--------------------------${"0123456789abcdef01234567"}`;
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ""}`;
    const head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ""}\r\n`;
    chunks.push(enc.encode(head), typeof p.value === "string" ? enc.encode(p.value) : p.value, enc.encode("\r\n"));
  }
  chunks.push(enc.encode(`--${boundary}--\r\n`));
  const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return body;
};

describe("POST /v1/channels/{id}/messages", () => {
  it("sends a system text with groupTag and properties: SYSTEM_TEXT, top level, the same message through both forms", async ({
    expect,
  }) => {
    const s = await checkedSetup(expect);
    const ch = await channel(s, { type: "PUBLIC" });
    const properties = { priority: 1, tags: ["a", null], nested: { ok: true } };
    const res = await s.api.post(`/v1/channels/${ch.id}/messages`, { type: "TEXT", body: "Hello 👋", groupTag: "news", properties });
    expectHal(expect, res, 201);
    const message = expectChatKitty(expect, res, "POST /v1/channels/{id}/messages");
    expect(message).toMatchObject({
      type: "SYSTEM_TEXT",
      body: "Hello 👋",
      channelId: ch.id,
      nestedLevel: 0,
      groupTag: "news",
      properties,
    });
    expect(message).not.toHaveProperty("user");
    expect(message).not.toHaveProperty("lastEditedTime");
    expect(isIsoUtc(message.createdTime)).toBe(true);
    expect(res.headers.get("Location")).toBe(message._links.self.href);
    expect(message._links.self.href).toMatch(new RegExp(`/v1/applications/${s.app.id}/messages/${message.id}$`));
    expect((await s.api.get(`/v1/messages/${message.id}`)).body).toEqual(message);
    expect((await s.api.get(message._links.self.href)).body).toEqual(message);
    // The 2020 form's {body} is the same operation, and sends the same shape.
    const seed = await s.api.post(`${s.urls.channels}/${ch.id}/messages`, { body: "from 2020" });
    expect(seed.status).toBe(201);
    expect(seed.body).toMatchObject({ type: "SYSTEM_TEXT", channelId: ch.id, nestedLevel: 0, properties: {} });
  });

  it("sends on a user's behalf, named by id or username: TEXT and FILE with the sender embedded", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await user(s, "jane");
    const ch = await channel(s, { type: "PUBLIC" });
    const byId = await s.api.post(`/v1/channels/${ch.id}/messages`, { type: "TEXT", body: "hi", user: { id: jane.id } });
    expectHal(expect, byId, 201);
    expect(byId.body).toMatchObject({ type: "TEXT", user: { id: jane.id, name: jane.name, isGuest: false }, properties: {} });
    expect(byId.body.user).not.toHaveProperty("_links");
    expect(byId.body._links.user.href).toMatch(new RegExp(`/users/${jane.id}$`));
    const file = { url: "https://example.com/cat.png", name: "cat.png", contentType: "image/png", size: 32_768 };
    const byName = await s.api.post(`/v1/channels/${ch.id}/messages`, {
      type: "FILE",
      file,
      user: { username: jane.name },
      groupTag: "cats",
    });
    expectHal(expect, byName, 201);
    expect(byName.body).toMatchObject({ type: "FILE", file: { type: "EXTERNAL", ...file }, user: { id: jane.id }, groupTag: "cats" });
    const system = await s.api.post(`/v1/channels/${ch.id}/messages`, { type: "FILE", file });
    expect(system.body).toMatchObject({ type: "SYSTEM_FILE", file: { type: "EXTERNAL" } });
  });

  it("lets only members send on their behalf in PRIVATE and DIRECT channels (403), and refuses unknown senders (400)", async ({
    expect,
  }) => {
    const s = await checkedSetup(expect);
    const other = await checkedSetup(expect);
    const [jane, john, outsider] = [await user(s), await user(s), await user(s)];
    const stranger = await user(other);
    const priv = await channel(s, { type: "PRIVATE", members: [{ id: jane.id }] });
    const direct = await channel(s, { type: "DIRECT", members: [{ id: jane.id }, { id: john.id }] });
    for (const ch of [priv, direct]) {
      expect((await s.api.post(`/v1/channels/${ch.id}/messages`, { body: "in", user: { id: jane.id } })).status).toBe(201);
      const refused = await s.api.post(`/v1/channels/${ch.id}/messages`, { body: "out", user: { username: outsider.name } });
      expectError(expect, refused, 403);
      expect(refused.body.error_description).toBeDefined();
    }
    for (const ref of [{ id: 999_999_999 }, { username: "nobody" }, { id: stranger.id }, { username: stranger.name }]) {
      expectInvalidField(expect, await s.api.post(`/v1/channels/${priv.id}/messages`, { body: "x", user: ref }), "user");
    }
    for (const ref of [{ id: "1" }, { id: -1 }, { username: "" }, 7, null]) {
      expectError(expect, await s.api.post(`/v1/channels/${priv.id}/messages`, { body: "x", user: ref }), 400);
    }
    // Nothing of the refused sends was written.
    const page = await s.api.get(`/v1/channels/${priv.id}/messages`);
    expect(page.body._embedded.messages.map((m: { body: string }) => m.body)).toEqual(["in"]);
  });

  it("keeps bodies exactly up to 10,000 UTF-16 units, and refuses empty, too long and malformed bodies", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const ch = await channel(s, { type: "PUBLIC" });
    for (const body of ["é 👩🏽‍💻 مرحبا 𝄞 \u0301 \t\n", "😀".repeat(5000), "x".repeat(10_000), " "]) {
      const sent = await send(s, ch.id, { body });
      expect((await s.api.get(`/v1/messages/${sent.id}`)).body.body).toBe(body);
    }
    expectInvalidField(expect, await s.api.post(`/v1/channels/${ch.id}/messages`, { body: "x".repeat(10_001) }), "body");
    expectInvalidField(expect, await s.api.post(`/v1/channels/${ch.id}/messages`, { body: `${"😀".repeat(5000)}x` }), "body");
    expectInvalidField(expect, await s.api.post(`/v1/channels/${ch.id}/messages`, { body: "" }), "body");
    expectInvalidField(expect, await s.api.post(`/v1/channels/${ch.id}/messages`, { type: "TEXT" }), "body");
    const wrongType = await s.api.post(`/v1/channels/${ch.id}/messages`, { type: "SYSTEM_TEXT", body: "x" });
    expect(expectError(expect, wrongType, 400).message).toMatch(/type must be TEXT or FILE/);
    expectInvalidField(expect, await s.api.post(`/v1/channels/${ch.id}/messages`, { body: "x", properties: [1] }), "properties");
    expectInvalidField(expect, await s.api.post(`/v1/channels/${ch.id}/messages`, { body: "x", groupTag: "g".repeat(256) }), "groupTag");
    expectError(expect, await s.api.call("POST", `/v1/channels/${ch.id}/messages`, "{", { "Content-Type": "application/json" }), 400);
    expectError(expect, await s.api.call("POST", `/v1/channels/${ch.id}/messages`, "body=x", { "Content-Type": "text/plain" }), 415);
    expect((await s.api.get(`/v1/channels/${ch.id}/messages`)).body._embedded.messages).toHaveLength(4);
  });

  it("answers 404 for an unknown channel or another application's, writing nothing", async ({ expect }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    const theirs = await channel(b, { type: "PUBLIC" });
    expectError(expect, await a.api.post(`/v1/channels/${theirs.id}/messages`, { body: "x" }), 404);
    expectError(expect, await a.api.post("/v1/channels/999999999/messages", { body: "x" }), 404);
    expectError(expect, await a.api.get(`/v1/channels/${theirs.id}/messages`), 404);
    const form = new FormData();
    form.append("file", new File([binary(10)], "a.bin"));
    expectError(expect, await a.send(`/v1/channels/${theirs.id}/messages`, { body: form }), 404);
    expect(await objectsUnder(`${a.app.id}/`)).toEqual([]);
    expect((await b.api.get(`/v1/channels/${theirs.id}/messages`)).body._embedded.messages).toEqual([]);
  });

  it("delivers to the channel's live sessions, as the 2020 form does", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await user(s, "jane");
    const ch = await channel(s, { type: "PUBLIC", members: [{ id: jane.id }] });
    const session = await connectChat(s.app, jane.name);
    const subscription = sid();
    await session.client.subscribe(subscription, `/topic/v1/channels/${ch.id}/messages`);
    await send(s, ch.id, { body: "live from the back end", user: { id: jane.id }, properties: { n: 1 } });
    const frame = await session.client.take("the message", (f) => f.headers.subscription === subscription);
    expect(frame.body).toContain("live from the back end");
    session.client.close();
  });
});

describe("POST /v1/channels/{id}/messages as multipart/form-data", () => {
  it("stores a file as the application or on a user's behalf, with groupTag and properties parts", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await user(s, "jane");
    const ch = await channel(s, { type: "PRIVATE", members: [{ id: jane.id }] });
    const bytes = binary(5000);
    const form = new FormData();
    form.append("file", new File([bytes], "photo.bin", { type: "image/x-test" }));
    form.append("groupTag", "album");
    form.append("properties", JSON.stringify({ caption: "été ☀️" }));
    const system = await s.send(`/v1/channels/${ch.id}/messages`, { body: form });
    expectHal(expect, system, 201);
    const message = expectChatKitty(expect, system, "POST /v1/channels/{id}/messages");
    expect(message).toMatchObject({ type: "SYSTEM_FILE", groupTag: "album", properties: { caption: "été ☀️" }, channelId: ch.id });
    expect(message.file).toMatchObject({ type: "HOSTED", name: "photo.bin", contentType: "image/x-test", size: 5000 });
    await expectStoredFile(expect, message, bytes, "image/x-test");
    const asJane = new FormData();
    asJane.append("file", new File([bytes], "mine.bin"));
    asJane.append("username", jane.name);
    const mine = await s.send(`/v1/channels/${ch.id}/messages`, { body: asJane });
    expectHal(expect, mine, 201);
    expect(expectChatKitty(expect, mine, "POST /v1/channels/{id}/messages")).toMatchObject({ type: "FILE", user: { id: jane.id } });
  });

  it("reads a body without a boundary parameter (chatkitty-platform-sdk 2.4.0) by its first line", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const ch = await channel(s, { type: "PUBLIC" });
    const bytes = binary(3000);
    const body = boundaryless([
      { name: "file", value: bytes, filename: "data.json", type: "application/json" },
      { name: "groupTag", value: "imports" },
    ]);
    const res = await s.send(`/v1/channels/${ch.id}/messages`, { headers: { "Content-Type": "multipart/form-data" }, body });
    expectHal(expect, res, 201);
    const message = expectChatKitty(expect, res, "POST /v1/channels/{id}/messages");
    expect(message).toMatchObject({ type: "SYSTEM_FILE", groupTag: "imports", file: { name: "data.json", size: 3000 } });
    await expectStoredFile(expect, message, bytes, "application/json");
    // A body that does not open with a boundary is a clear 400, not a 500.
    const garbage = await s.send(`/v1/channels/${ch.id}/messages`, {
      headers: { "Content-Type": "multipart/form-data" },
      body: "no boundary here",
    });
    expectError(expect, garbage, 400);
    expect(await objectsUnder(`${s.app.id}/${ch.id}/`)).toEqual([keyOf(message.file.url)]);
  });

  it("stores nothing for a refused upload: bad properties, unknown or non-member sender, a file over MAX_FILE_BYTES", async ({
    expect,
  }) => {
    const s = await checkedSetup(expect);
    const outsider = await user(s);
    const ch = await channel(s, { type: "PRIVATE" });
    const upload = (file: File, extra: [string, string][] = []) => {
      const form = new FormData();
      form.append("file", file);
      for (const [k, v] of extra) form.append(k, v);
      return s.send(`/v1/channels/${ch.id}/messages`, { body: form });
    };
    const small = new File([binary(10)], "a.bin");
    expectInvalidField(expect, await upload(small, [["properties", "[1]"]]), "properties");
    expectInvalidField(expect, await upload(small, [["properties", "{"]]), "properties");
    expectInvalidField(expect, await upload(small, [["username", "nobody"]]), "username");
    expectError(expect, await upload(small, [["username", outsider.name]]), 403);
    expectError(expect, await upload(new File([binary(MAX_FILE_BYTES + 1)], "big.bin")), 413);
    expect(await objectsUnder(`${s.app.id}/`)).toEqual([]);
    expect((await s.api.get(`/v1/channels/${ch.id}/messages`)).body._embedded.messages).toEqual([]);
    const largest = await upload(new File([binary(MAX_FILE_BYTES)], "max.bin"));
    expectHal(expect, largest, 201);
    expect(largest.body.file.size).toBe(MAX_FILE_BYTES);
  });
});

describe("GET /v1/channels/{id}/messages: cursor pages", () => {
  it("answers an empty page with [] and only a self link", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const ch = await channel(s, { type: "PUBLIC" });
    const res = await s.api.get(`/v1/channels/${ch.id}/messages`);
    expectHal(expect, res);
    expect(res.body._embedded.messages).toEqual([]);
    expect(res.body.page).toEqual({ size: 0 });
    expect(Object.keys(res.body._links)).toEqual(["self"]);
  });

  it("pages newest first with integer start/next/relation links, which callers pass back as numbers", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const ch = await channel(s, { type: "PUBLIC" });
    const sent = await sendAll(s, ch.id, 7);
    const newest = sent.map((m) => m.id).reverse();
    const first = await s.api.get(`/v1/channels/${ch.id}/messages?size=3`);
    expect(ids(first)).toEqual(newest.slice(0, 3));
    expect(first.body.page.size).toBe(3);
    expect(queryOf(first.body._links.self.href)).toEqual({
      start: String(newest[0]),
      next: String(newest[2]),
      size: "3",
      relation: "SELF",
    });
    const nextQuery = queryOf(first.body._links.next.href);
    expect(nextQuery).toEqual({ start: String(newest[0]), next: String(newest[2]), size: "3", relation: "NEXT" });
    // As an SDK caller does: listChannelMessages(id, size, start, next, relation).
    const second = await s.api.get(`/v1/channels/${ch.id}/messages?size=3&start=${nextQuery.start}&next=${nextQuery.next}&relation=NEXT`);
    expect(ids(second)).toEqual(newest.slice(3, 6));
    const third = await s.api.get(second.body._links.next.href);
    expect(ids(third)).toEqual(newest.slice(6));
    expect(third.body._links.next).toBeUndefined();
    // SELF repeats a page; PREVIOUS is the page just newer than its start.
    expect(ids(await s.api.get(second.body._links.self.href))).toEqual(newest.slice(3, 6));
    const back = queryOf(second.body._links.self.href);
    const previous = await s.api.get(`/v1/channels/${ch.id}/messages?size=3&start=${back.start}&relation=PREVIOUS`);
    expect(ids(previous)).toEqual(newest.slice(0, 3));
    expect(previous.body._links.next).toBeDefined();
    const newestPrevious = await s.api.get(`/v1/channels/${ch.id}/messages?size=3&start=${newest[0]}&relation=PREVIOUS`);
    expect(ids(newestPrevious)).toEqual([]);
    expect(Object.keys(newestPrevious.body._links)).toEqual(["self"]);
    // The 2020 form pages the same channel with the same cursors.
    expect(ids(await s.api.get(`${s.urls.channels}/${ch.id}/messages?size=3&start=${nextQuery.next}&relation=NEXT`))).toEqual(
      newest.slice(3, 6),
    );
  });

  it("visits every message exactly once while new ones arrive", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const ch = await channel(s, { type: "PUBLIC" });
    const sent = await sendAll(s, ch.id, 11);
    const seen: number[] = [];
    let href: string | undefined = `/v1/channels/${ch.id}/messages?size=2`;
    for (let i = 0; href && i < 20; i++) {
      const page: ApiResponse = await s.api.get(href);
      seen.push(...ids(page));
      href = page.body._links.next?.href;
      await send(s, ch.id, { body: `arrived ${i}` });
    }
    expect(seen).toEqual(sent.map((m) => m.id).reverse());
  });

  it("filters by sender (username) and text (query), keeping the filters in the links", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await user(s, "jane");
    const ch = await channel(s, { type: "PUBLIC" });
    const janes = [];
    for (const body of ["Cats are great", "dogs", "more CATS"]) janes.push(await send(s, ch.id, { body, user: { id: jane.id } }));
    await send(s, ch.id, { body: "cats by the system" });
    const byJane = await s.api.get(`/v1/channels/${ch.id}/messages?username=${encodeURIComponent(jane.name)}&size=2`);
    expect(ids(byJane)).toEqual([janes[2]!.id, janes[1]!.id]);
    expect(queryOf(byJane.body._links.next.href)).toMatchObject({ username: jane.name, relation: "NEXT" });
    expect(ids(await s.api.get(byJane.body._links.next.href))).toEqual([janes[0]!.id]);
    const cats = await s.api.get(`/v1/channels/${ch.id}/messages?query=cats&username=${encodeURIComponent(jane.name)}`);
    expect(ids(cats)).toEqual([janes[2]!.id, janes[0]!.id]);
    expect(queryOf(cats.body._links.self.href)).toMatchObject({ query: "cats" });
    expect(ids(await s.api.get(`/v1/channels/${ch.id}/messages?username=nobody`))).toEqual([]);
  });

  it.for(["start=abc", "next=-1", "start=1.5", "relation=PREV", "relation=next", "size=0", "username=", "query="])(
    "refuses ?%s with 400",
    async (q, { expect }) => {
      const s = await checkedSetup(expect);
      const ch = await channel(s, { type: "PUBLIC" });
      expectError(expect, await s.api.get(`/v1/channels/${ch.id}/messages?${q}`), 400);
    },
  );

  it("lists an OPEN channel's messages (held by its room, without ids) through the same pages and filters", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await user(s, "jane");
    const open = await s.raw.post(s.urls.channels, { type: "OPEN", name: "lobby" });
    const id = open.body.id as number;
    const posted = await s.raw.post(`/v1/channels/${id}/messages`, { body: "hello lobby", user: { id: jane.id }, groupTag: "g" });
    expectHal(expect, posted, 201);
    expect(posted.body).toMatchObject({ type: "TEXT", channelId: id, nestedLevel: 0, user: { id: jane.id }, groupTag: "g" });
    expect(posted.body.id).toBeUndefined();
    expect(posted.headers.get("Location")).toBeNull();
    await s.raw.post(`/v1/channels/${id}/messages`, { body: "system" });
    const page = await s.raw.get(`/v1/channels/${id}/messages`);
    expect(page.body._embedded.messages.map((m: { body: string }) => m.body)).toEqual(["system", "hello lobby"]);
    const filtered = await s.raw.get(`/v1/channels/${id}/messages?username=${encodeURIComponent(jane.name)}`);
    expect(filtered.body._embedded.messages.map((m: { body: string }) => m.body)).toEqual(["hello lobby"]);
  });
});

describe("GET /v1/messages", () => {
  it("pages every persisted message of the application, across channels, and none of another's", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const other = await checkedSetup(expect);
    const [a, b] = [await channel(s, { type: "PUBLIC" }), await channel(s, { type: "PRIVATE" })];
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await send(s, i % 2 ? a.id : b.id, { body: `n${i}` }));
    await send(other, (await channel(other, { type: "PUBLIC" })).id, { body: "theirs" });
    const seen: number[] = [];
    let href: string | undefined = "/v1/messages?size=2";
    for (let i = 0; href && i < 10; i++) {
      const page: ApiResponse = await s.api.get(href);
      expectHal(expect, page);
      seen.push(...ids(page));
      href = page.body._links.next?.href;
    }
    expect(seen).toEqual(sent.map((m) => m.id).reverse());
    expect(ids(await s.api.get("/v1/messages?query=n3"))).toEqual([sent[3]!.id]);
  });
});

describe("GET, PATCH and DELETE /v1/messages/{id}", () => {
  it("patches body and properties as a merge patch, setting lastEditedTime", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const ch = await channel(s, { type: "PUBLIC" });
    const sent = await send(s, ch.id, { body: "draft", properties: { keep: 1, drop: 2 } });
    const patch = (body: unknown, contentType = "application/json+merge-patch", headers: Record<string, string> = {}) =>
      s.api.call("PATCH", `/v1/messages/${sent.id}`, body, { "Content-Type": contentType, ...headers });
    const res = await patch({ body: "final ✅", properties: { drop: null, added: [1] } });
    expectHal(expect, res);
    expect(res.body).toMatchObject({ body: "final ✅", properties: { keep: 1, added: [1] } });
    expect(res.body.properties).not.toHaveProperty("drop");
    expect(isIsoUtc(res.body.lastEditedTime)).toBe(true);
    expect((await s.api.get(`/v1/messages/${sent.id}`)).body).toEqual(res.body);
    expect((await patch({ properties: null }, "application/merge-patch+json")).body.properties).toEqual({});
    // If-Match guards the edit like every conditional write.
    const current = await s.raw.get(`/v1/messages/${sent.id}`);
    expectError(expect, await patch({ body: "x" }, "application/json", { "If-Match": '"stale"' }), 412);
    expect((await patch({ body: "y" }, "application/json", { "If-Match": current.headers.get("ETag")! })).status).toBe(200);
    expectInvalidField(expect, await patch({ body: "" }), "body");
    expectInvalidField(expect, await patch({ body: "x".repeat(10_001) }), "body");
    expectInvalidField(expect, await patch({ properties: "x" }), "properties");
    expectError(expect, await patch([]), 400);
    expectError(expect, await patch("body=x", "application/x-www-form-urlencoded"), 415);
  });

  it("refuses a body for a file message, and answers 404 for unknown ids and another application's messages", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const other = await checkedSetup(expect);
    const ch = await channel(s, { type: "PUBLIC" });
    const file = { url: "https://example.com/a.pdf", name: "a.pdf", contentType: "application/pdf", size: 1 };
    const fileMessage = await send(s, ch.id, { type: "FILE", file });
    const asPatch = { "Content-Type": "application/json+merge-patch" };
    expectInvalidField(expect, await s.api.call("PATCH", `/v1/messages/${fileMessage.id}`, { body: "x" }, asPatch), "body");
    const theirs = await send(other, (await channel(other, { type: "PUBLIC" })).id, { body: "theirs" });
    for (const id of [theirs.id, 999_999_999]) {
      expectError(expect, await s.api.get(`/v1/messages/${id}`), 404);
      expectError(expect, await s.api.call("PATCH", `/v1/messages/${id}`, { body: "mine now" }, asPatch), 404);
      expectError(expect, await s.api.del(`/v1/messages/${id}`), 404);
      expectError(expect, await s.api.get(`/v1/messages/${id}/read-receipts`), 404);
    }
    expectError(expect, await s.raw.get("/v1/messages/abc"), 404);
    expect((await other.api.get(`/v1/messages/${theirs.id}`)).body.body).toBe("theirs");
  });

  it("deletes a message with its stored file and answers its channel's MAIN thread (the 2020 form answers the channel)", async ({
    expect,
  }) => {
    const s = await checkedSetup(expect);
    const ch = await channel(s, { type: "PUBLIC" });
    const form = new FormData();
    form.append("file", new File([binary(100)], "gone.bin"));
    const uploaded = await s.send(`/v1/channels/${ch.id}/messages`, { body: form });
    expect(await objectsUnder(`${s.app.id}/${ch.id}/`)).toHaveLength(1);
    const res = await s.api.del(`/v1/messages/${uploaded.body.id}`);
    expectHal(expect, res);
    expect(res.body).toMatchObject({ id: ch.id, type: "MAIN", properties: {} });
    expect(isIsoUtc(res.body.createdTime)).toBe(true);
    expect(res.body._links.channel.href).toMatch(new RegExp(`/channels/${ch.id}$`));
    expect(await objectsUnder(`${s.app.id}/${ch.id}/`)).toEqual([]);
    expectError(expect, await s.api.get(`/v1/messages/${uploaded.body.id}`), 404);
    expectError(expect, await s.api.del(`/v1/messages/${uploaded.body.id}`), 404);
    const text = await send(s, ch.id, { body: "2020" });
    const viaSeed = await s.api.del(`${s.urls.messages}/${text.id}`);
    expect(viaSeed.body).toMatchObject({ id: ch.id, type: "PUBLIC" });
  });
});

describe("GET /v1/messages/{id}/read-receipts", () => {
  it("shows the reactions and replies chat sessions made: reactions per emoji, repliesCount, a reply's nestedLevel 1", async ({
    expect,
  }) => {
    const s = await checkedSetup(expect);
    const [jane, john] = [await user(s, "jane"), await user(s, "john")];
    const ch = await channel(s, { type: "PRIVATE", members: [{ id: jane.id }, { id: john.id }] });
    const parent = await send(s, ch.id, { body: "parent", user: { id: jane.id } });
    const scope = { db: db(), env, applicationId: s.app.id };
    await react(scope, jane.id, parent.id, "👍");
    await react(scope, john.id, parent.id, ":+1:");
    await react(scope, john.id, parent.id, "😂");
    const channelRow = await channelForMember(scope, john.id, ch.id);
    const johnRow = (await findUser(scope.db, s.app.id, john.id))!;
    const posted = await postUserMessage(
      scope,
      channelRow,
      johnRow,
      { type: "TEXT", body: "a reply" },
      { parent: { id: parent.id, channelId: ch.id } },
    );
    const replyId = "saved" in posted ? posted.saved.id : 0;

    const got = await s.api.get(`/v1/messages/${parent.id}`);
    expect(got.body).toMatchObject({ nestedLevel: 0, repliesCount: 1 });
    expect(got.body.reactions.map((r: any) => [r.emoji.character, r.count, r.users.map((u: any) => u.id)])).toEqual([
      ["👍", 2, [jane.id, john.id]],
      ["😂", 1, [john.id]],
    ]);
    expect(got.body.reactions[0].emoji).toMatchObject({ description: "thumbs up", aliases: expect.arrayContaining(["+1"]) });
    expect((await s.api.get(`/v1/messages/${replyId}`)).body).toMatchObject({ nestedLevel: 1, repliesCount: 0, reactions: [] });
    // Pages show the same, and so does the 2020 form.
    const page = (await s.api.get(`/v1/channels/${ch.id}/messages`)).body._embedded.messages;
    expect(page.find((m: any) => m.id === parent.id)).toEqual(got.body);
    expect((await s.raw.get(`${s.urls.app}/messages/${parent.id}`)).body).toMatchObject({ repliesCount: 1, reactions: got.body.reactions });
    // The ETag covers them: If-Match with the read one is current; a reaction since makes it stale.
    const etag = (await s.raw.get(`/v1/messages/${parent.id}`)).headers.get("ETag")!;
    await react(scope, jane.id, parent.id, "❤️");
    const patch = await s.api.call(
      "PATCH",
      `/v1/messages/${parent.id}`,
      { body: "x" },
      { "Content-Type": "application/json", "If-Match": etag },
    );
    expectError(expect, patch, 412);
    const fresh = (await s.raw.get(`/v1/messages/${parent.id}`)).headers.get("ETag")!;
    const ok = await s.api.call(
      "PATCH",
      `/v1/messages/${parent.id}`,
      { body: "edited" },
      { "Content-Type": "application/json", "If-Match": fresh },
    );
    expect(ok.body).toMatchObject({ body: "edited", repliesCount: 1 });
    expect(ok.body.reactions).toHaveLength(3);
  });

  it("lists the members whose read marker reached the message", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const [jane, john, joe] = [await user(s, "jane"), await user(s, "john"), await user(s, "joe")];
    const ch = await channel(s, { type: "PRIVATE", members: [{ id: jane.id }, { id: john.id }, { id: joe.id }] });
    const first = await send(s, ch.id, { body: "by jane", user: { id: jane.id } });
    const receipts = async (id: number, q = "") => {
      const res = await s.api.get(`/v1/messages/${id}/read-receipts${q}`);
      expectHal(expect, res);
      return res.body;
    };
    const onlyJane = await receipts(first.id);
    expect(onlyJane._embedded.receipts.map((r: { user: { id: number } }) => r.user.id)).toEqual([jane.id]);
    expect(onlyJane.page).toEqual({ size: 25, totalElements: 1, totalPages: 1, number: 0 });
    expect(isIsoUtc(onlyJane._embedded.receipts[0].createdTime)).toBe(true);
    expect(onlyJane._embedded.receipts[0]._links.message.href).toMatch(new RegExp(`/messages/${first.id}$`));
    // Sending marks the sender's channel read up to their message, so earlier ones count as read.
    const later = await send(s, ch.id, { body: "by john", user: { username: john.name } });
    const both = await receipts(first.id, "?size=1");
    expect(both._embedded.receipts.map((r: { user: { id: number } }) => r.user.id)).toEqual([jane.id]);
    expect(both.page).toMatchObject({ size: 1, totalElements: 2 });
    expect((await receipts(first.id, "?page=1&size=1"))._embedded.receipts[0].user.id).toBe(john.id);
    expect((await receipts(later.id))._embedded.receipts.map((r: { user: { id: number } }) => r.user.id)).toEqual([john.id]);
    expect(JSON.stringify(await receipts(first.id))).not.toContain(joe.name);
  });
});
