/**
 * `DELETE /v1/messages`: deletes every persisted message of the token's application, thousands
 * of them in bounded chunks, with their hosted files (gone from R2 and no longer served); lists,
 * unread counts and notifications are empty afterwards, new messages can be sent, and another
 * application's messages and files are untouched. Answers ChatKitty's `ApplicationResource`.
 */
import { env } from "cloudflare:workers";
import { describe, type ExpectStatic, it } from "vitest";
import { chunked } from "../../src/db/chunks";
import { fetchWorker, readResponse } from "../helpers/api";
import { expectError, expectHal } from "../helpers/checks";
import { chatKittyClient, expectChatKitty } from "../helpers/chatkitty-schema";
import { fileSetup, keyOf, objectsUnder } from "../helpers/files";

const checkedSetup = async (expect: ExpectStatic) => {
  const s = await fileSetup();
  return { ...s, api: chatKittyClient(expect, s.api) };
};
type Checked = Awaited<ReturnType<typeof checkedSetup>>;

const TEXT_MESSAGES = 2500;
const FILE_MESSAGES = 600;

/** `n` TEXT messages in the channel, written straight to D1 in one statement (the API would take minutes). */
const bulkText = (appId: number, channelId: number, userId: number | null, n: number) =>
  env.DB.prepare(
    `with recursive seq(i) as (select 1 union all select i + 1 from seq where i < ?)
     insert into messages (application_id, channel_id, user_id, type, body, properties)
     select ?, ?, ?, 'TEXT', 'bulk ' || i, '{}' from seq`,
  )
    .bind(n, appId, channelId, userId)
    .run();

/** `n` FILE messages whose hosted files are really in R2 (as an upload leaves them); returns their keys. */
const bulkFiles = async (appId: number, channelId: number, n: number) => {
  const keys = Array.from({ length: n }, () => `${appId}/${channelId}/${crypto.randomUUID()}`);
  for (const chunk of chunked(keys, 50)) await Promise.all(chunk.map((key) => env.FILES.put(key, "x")));
  for (const chunk of chunked(keys, 100)) {
    await env.DB.batch(
      chunk.map((key) =>
        env.DB.prepare(
          "insert into messages (application_id, channel_id, type, file, properties) values (?, ?, 'SYSTEM_FILE', ?, '{}')",
        ).bind(
          appId,
          channelId,
          JSON.stringify({
            type: "HOSTED",
            url: `https://x.test/stompx/v1/files/${key}/f.txt`,
            name: "f.txt",
            contentType: "text/plain",
            size: 1,
            key,
          }),
        ),
      ),
    );
  }
  return keys;
};

const count = async (sql: string, ...args: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...args)
    .first<{ n: number }>())!.n;

const uploadTo = async (s: Checked, channelId: number, name: string) => {
  const res = await s.upload(`/v1/channels/${channelId}/messages`, [
    ["file", new File([crypto.getRandomValues(new Uint8Array(64))], name)],
  ]);
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: number; file: { url: string } };
};

describe("DELETE /v1/messages", () => {
  it("deletes thousands of messages with their hosted files, leaving another application's alone", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const other = await checkedSetup(expect);
    const jane = (await s.api.post("/v1/users", { name: `jane-${crypto.randomUUID()}` })).body;
    const joe = (await s.api.post("/v1/users", { name: `joe-${crypto.randomUUID()}` })).body;
    const pub = (await s.api.post("/v1/channels", { type: "PUBLIC", members: [{ id: jane.id }, { id: joe.id }] })).body;
    const priv = (await s.api.post("/v1/channels", { type: "PRIVATE", members: [{ id: jane.id }, { id: joe.id }] })).body;
    const uploaded = [await uploadTo(s, pub.id, "a.bin"), await uploadTo(s, priv.id, "b.bin")];
    await bulkText(s.app.id, pub.id, joe.id, TEXT_MESSAGES);
    await bulkText(s.app.id, priv.id, null, 50);
    const bulkKeys = await bulkFiles(s.app.id, priv.id, FILE_MESSAGES);
    await s.api.post(`/v1/channels/${pub.id}/messages`, { body: "jane read up to here", user: { username: jane.name } });

    const theirChannel = (await other.api.post("/v1/channels", { type: "PUBLIC" })).body;
    const theirText = (await other.api.post(`/v1/channels/${theirChannel.id}/messages`, { body: "keep me" })).body;
    const theirFile = await uploadTo(other, theirChannel.id, "keep.bin");

    const total = TEXT_MESSAGES + 50 + FILE_MESSAGES + uploaded.length + 1;
    expect(await count("select count(*) as n from messages where application_id = ?", s.app.id)).toBe(total);
    expect((await objectsUnder(`${s.app.id}/`)).length).toBe(FILE_MESSAGES + uploaded.length);

    const res = await s.api.del("/v1/messages");
    expectHal(expect, res);
    const app = expectChatKitty(expect, res, "DELETE /v1/messages");
    expect(app).toEqual((await s.api.get("/v1/application")).body);

    expect(await count("select count(*) as n from messages where application_id = ?", s.app.id)).toBe(0);
    expect((await s.api.get("/v1/messages")).body._embedded.messages).toEqual([]);
    for (const ch of [pub, priv]) expect((await s.api.get(`/v1/channels/${ch.id}/messages`)).body._embedded.messages).toEqual([]);
    expect((await s.api.get(`/v1/users/${joe.id}/messages/unread/count`)).body.count).toBe(0);
    expect((await s.api.get(`/v1/users/${jane.id}/messages?unread=true`)).body._embedded.messages).toEqual([]);
    expect((await s.api.get(`/v1/users/${jane.id}/notifications`)).body._embedded.notifications).toEqual([]);
    // Files: gone from R2, no deletion left pending, and their URLs answer 404.
    expect(await objectsUnder(`${s.app.id}/`)).toEqual([]);
    expect(await count("select count(*) as n from file_deletions where application_id = ?", s.app.id)).toBe(0);
    for (const m of uploaded) expect((await fetchWorker(m.file.url)).status).toBe(404);
    for (const key of bulkKeys.slice(0, 5)) expect(await env.FILES.head(key)).toBeNull();
    // Channels and users stay; new messages are read as usual.
    expectHal(expect, await s.api.get(`/v1/channels/${pub.id}`));
    const fresh = (await s.api.post(`/v1/channels/${pub.id}/messages`, { body: "après", user: { username: joe.name } })).body;
    expect((await s.api.get(`/v1/users/${jane.id}/messages/unread/count`)).body.count).toBe(1);
    expect((await s.api.get("/v1/messages")).body._embedded.messages.map((m: { id: number }) => m.id)).toEqual([fresh.id]);

    // The other application's messages and files are untouched.
    const theirs = (await other.api.get("/v1/messages")).body._embedded.messages.map((m: { id: number }) => m.id);
    expect(theirs).toEqual([theirFile.id, theirText.id]);
    expect((await fetchWorker(theirFile.file.url)).status).toBe(200);
    expect(await objectsUnder(keyOf(theirFile.file.url))).toHaveLength(1);
  }, 120_000);

  it("answers the application when there are no messages, and the request needs a token", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const res = await s.api.del("/v1/messages");
    expectHal(expect, res);
    expect(expectChatKitty(expect, res, "DELETE /v1/messages").id).toBe(s.app.id);
    expectError(expect, await readResponse(await fetchWorker("/v1/messages", { method: "DELETE" })), 401);
  });
});
