/**
 * Threads in the current form: `GET /v1/threads/{id}` and `GET/POST /v1/threads/{id}/messages`.
 * A channel's MAIN thread has the channel's id (the id `DELETE /v1/messages/{id}` answers), lists
 * the channel's messages with the same cursors and sends into the channel, uploads included.
 * Every JSON body validates against ChatKitty's schema for its operation.
 */
import { describe, type ExpectStatic, it } from "vitest";
import { expectError, expectHal, isIsoUtc, queryOf } from "../helpers/checks";
import { chatKittyClient, expectChatKitty } from "../helpers/chatkitty-schema";
import { binary, expectStoredFile, fileSetup, objectsUnder } from "../helpers/files";

const checkedSetup = async (expect: ExpectStatic) => {
  const s = await fileSetup();
  return { ...s, api: chatKittyClient(expect, s.api) };
};
type Checked = Awaited<ReturnType<typeof checkedSetup>>;

const channel = async (s: Checked, body: Record<string, unknown> = { type: "PUBLIC" }) => {
  const res = await s.api.post("/v1/channels", body);
  if (res.status !== 201) throw new Error(`channel: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: number; createdTime: string };
};

const ids = (res: { body: any }): number[] => res.body._embedded.messages.map((m: { id: number }) => m.id);

describe("GET /v1/threads/{id}", () => {
  it("is the channel's MAIN thread, the one a message's delete answers", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const ch = await channel(s);
    const res = await s.api.get(`/v1/threads/${ch.id}`);
    expectHal(expect, res);
    const thread = expectChatKitty(expect, res, "GET /v1/threads/{id}");
    expect(thread).toMatchObject({ id: ch.id, type: "MAIN", properties: {}, createdTime: ch.createdTime });
    expect(isIsoUtc(thread.createdTime)).toBe(true);
    expect(thread._links.self.href).toMatch(new RegExp(`/v1/threads/${ch.id}$`));
    expect(thread._links.channel.href).toMatch(new RegExp(`/v1/applications/${s.app.id}/channels/${ch.id}$`));
    const sent = await s.api.post(`/v1/threads/${ch.id}/messages`, { body: "x" });
    expect((await s.api.del(`/v1/messages/${sent.body.id}`)).body).toEqual(thread);
  });

  it("answers 404 for an unknown thread, another application's, a deleted channel's, and 404 for a malformed id", async ({ expect }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    const theirs = await channel(b);
    const gone = await channel(a);
    await a.api.del(`/v1/channels/${gone.id}`);
    for (const id of [theirs.id, gone.id, 999999999]) {
      const body = expectError(expect, await a.api.get(`/v1/threads/${id}`), 404, "ResourceNotFoundError");
      expect(body.message).toBe(`Thread ${id} not found`);
    }
    expectError(expect, await a.api.get("/v1/threads/abc"), 404);
    expectError(expect, await a.api.get("/v1/threads/-1"), 404);
  });
});

describe("GET/POST /v1/threads/{id}/messages", () => {
  it("sends into the channel and lists its messages: the same messages either way, unicode kept", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const ch = await channel(s);
    const empty = await s.api.get(`/v1/threads/${ch.id}/messages`);
    expectChatKitty(expect, empty, "GET /v1/threads/{id}/messages");
    expect(empty.body._embedded.messages).toEqual([]);
    const sent = await s.api.post(`/v1/threads/${ch.id}/messages`, {
      type: "TEXT",
      body: "héllo 👋🏽 مرحبا",
      groupTag: "g",
      properties: { k: [1] },
    });
    expectHal(expect, sent, 201);
    const message = expectChatKitty(expect, sent, "POST /v1/threads/{id}/messages");
    expect(message).toMatchObject({ type: "SYSTEM_TEXT", body: "héllo 👋🏽 مرحبا", channelId: ch.id, nestedLevel: 0, groupTag: "g" });
    expect(sent.headers.get("Location")).toBe(message._links.self.href);
    await s.api.post(`/v1/channels/${ch.id}/messages`, { body: "via channel" });
    const viaThread = await s.api.get(`/v1/threads/${ch.id}/messages`);
    const viaChannel = await s.api.get(`/v1/channels/${ch.id}/messages`);
    expect(viaThread.body._embedded).toEqual(viaChannel.body._embedded);
    expect(viaThread.body._links.self.href).toMatch(new RegExp(`/v1/threads/${ch.id}/messages\\?`));
  });

  it("walks cursor pages as the channel's do, links pointing at the thread", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const ch = await channel(s);
    const sent: number[] = [];
    for (let i = 1; i <= 5; i++) sent.push((await s.api.post(`/v1/threads/${ch.id}/messages`, { body: `m${i}` })).body.id);
    const first = await s.api.get(`/v1/threads/${ch.id}/messages?size=2`);
    expect(ids(first)).toEqual([sent[4], sent[3]]);
    const next = first.body._links.next.href;
    expect(new URL(next).pathname).toBe(`/v1/threads/${ch.id}/messages`);
    expect(queryOf(next)).toMatchObject({ size: "2", relation: "NEXT" });
    const second = await s.api.get(next);
    expect(ids(second)).toEqual([sent[2], sent[1]]);
    const third = await s.api.get(second.body._links.next.href);
    expect(ids(third)).toEqual([sent[0]]);
    expect(third.body._links.next).toBeUndefined();
    expectError(expect, await s.api.get(`/v1/threads/${ch.id}/messages?size=0`), 400);
    expectError(expect, await s.api.get(`/v1/threads/${ch.id}/messages?relation=SIDEWAYS`), 400);
  });

  it("takes an uploaded file into R2, and refuses bad bodies with 4xx", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const ch = await channel(s);
    const bytes = binary(300);
    const res = await s.upload(`/v1/threads/${ch.id}/messages`, [
      ["file", new File([bytes], "é.bin", { type: "application/octet-stream" })],
    ]);
    expectHal(expect, res, 201);
    const message = expectChatKitty(expect, res, "POST /v1/threads/{id}/messages");
    expect(message).toMatchObject({ type: "SYSTEM_FILE", channelId: ch.id });
    await expectStoredFile(expect, message, bytes, "application/octet-stream");
    expectError(expect, await s.api.post(`/v1/threads/${ch.id}/messages`, { body: "" }), 400);
    expectHal(expect, await s.api.post(`/v1/threads/${ch.id}/messages`, { body: "m".repeat(10_000) }), 201);
    expectError(expect, await s.api.post(`/v1/threads/${ch.id}/messages`, { body: "m".repeat(10_001) }), 400);
    expectError(expect, await s.api.post(`/v1/threads/${ch.id}/messages`, { body: "x".repeat(1_100_000) }), 413);
    expectError(expect, await s.api.call("POST", `/v1/threads/${ch.id}/messages`, "{", { "Content-Type": "application/json" }), 400);
    expectError(expect, await s.api.call("POST", `/v1/threads/${ch.id}/messages`, "x", { "Content-Type": "text/plain" }), 415);
    expect(ids(await s.api.get(`/v1/threads/${ch.id}/messages`))).toHaveLength(2);
  });

  it("answers 404 for another application's thread, writing nothing", async ({ expect }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    const theirs = await channel(b);
    expectError(expect, await a.api.post(`/v1/threads/${theirs.id}/messages`, { body: "x" }), 404, "ResourceNotFoundError");
    expectError(expect, await a.api.get(`/v1/threads/${theirs.id}/messages`), 404, "ResourceNotFoundError");
    expectError(expect, await a.upload(`/v1/threads/${theirs.id}/messages`, [["file", new File([binary(10)], "a.bin")]]), 404);
    expect(await objectsUnder(`${a.app.id}/`)).toEqual([]);
    expect((await b.api.get(`/v1/threads/${theirs.id}/messages`)).body._embedded.messages).toEqual([]);
  });
});
