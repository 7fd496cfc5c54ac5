/**
 * A user's messages in the current form: `GET /v1/users/{id}/messages` (sent by them; with
 * `unread=true`, those of their channels past their read marker sent by others) and
 * `GET /v1/users/{id}/messages/unread/count` (chatkitty@2.106.8; ChatKitty's 2.41.9 document lacks
 * it, so its `CountResource` is checked by hand). Every other JSON body validates against ChatKitty's schema.
 */
import { describe, type ExpectStatic, it } from "vitest";
import { expectError, expectHal, queryOf } from "../helpers/checks";
import { chatKittyClient, expectChatKitty } from "../helpers/chatkitty-schema";
import { fileSetup } from "../helpers/files";

const checkedSetup = async (expect: ExpectStatic) => {
  const s = await fileSetup();
  return { ...s, api: chatKittyClient(expect, s.api) };
};
type Checked = Awaited<ReturnType<typeof checkedSetup>>;

const user = async (s: Checked, label: string) =>
  (await s.api.post("/v1/users", { name: `${label}-${crypto.randomUUID()}` })).body as {
    id: number;
    name: string;
  };

const send = async (s: Checked, channelId: number, body: string, username?: string) => {
  const res = await s.api.post(`/v1/channels/${channelId}/messages`, { body, ...(username ? { user: { username } } : {}) });
  if (res.status !== 201) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: number };
};

const ids = (res: { body: any }): number[] => res.body._embedded.messages.map((m: { id: number }) => m.id);

/** jane and joe in one PUBLIC channel; `other` a channel jane is not in. */
const scene = async (expect: ExpectStatic) => {
  const s = await checkedSetup(expect);
  const jane = await user(s, "jané 👩");
  const joe = await user(s, "joe");
  const ch = (await s.api.post("/v1/channels", { type: "PUBLIC", members: [{ id: jane.id }, { id: joe.id }] })).body;
  const other = (await s.api.post("/v1/channels", { type: "PUBLIC", members: [{ id: joe.id }] })).body;
  return { s, jane, joe, ch, other };
};

describe("GET /v1/users/{id}/messages", () => {
  it("lists what the user sent, newest first, in cursor pages that keep their links", async ({ expect }) => {
    const { s, jane, joe, ch, other } = await scene(expect);
    const empty = await s.api.get(`/v1/users/${jane.id}/messages`);
    expectHal(expect, empty);
    expectChatKitty(expect, empty, "GET /v1/users/{id}/messages");
    expect(ids(empty)).toEqual([]);
    const mine = [];
    for (let i = 0; i < 5; i++) mine.push((await send(s, ch.id, `j${i}`, jane.name)).id);
    await send(s, ch.id, "system");
    await send(s, other.id, "joe's", joe.name);
    const seen: number[] = [];
    let page = await s.api.get(`/v1/users/${jane.id}/messages?size=2`);
    for (;;) {
      seen.push(...ids(page));
      expect(new URL(page.body._links.self.href).pathname).toBe(`/v1/users/${jane.id}/messages`);
      const next = page.body._links.next?.href;
      if (!next) break;
      page = await s.api.get(next);
    }
    expect(seen).toEqual([...mine].reverse());
    const newer = await s.api.get(`/v1/users/${jane.id}/messages?size=2&start=${mine[1]}&relation=PREVIOUS`);
    expect(ids(newer)).toEqual([mine[3], mine[2]]);
  });

  it("with unread=true lists the messages of the user's channels past their read marker, sent by others", async ({ expect }) => {
    const { s, jane, joe, ch, other } = await scene(expect);
    const count = async () => {
      const res = await s.api.get(`/v1/users/${jane.id}/messages/unread/count`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(["count", "_links"]);
      expect(res.body._links.user.href).toMatch(new RegExp(`/users/${jane.id}$`));
      return res.body.count;
    };
    expect(await count()).toBe(0);
    const before = await send(s, ch.id, "before", joe.name);
    const system = await send(s, ch.id, "system");
    await send(s, other.id, "not jane's channel", joe.name);
    const unread = await s.api.get(`/v1/users/${jane.id}/messages?unread=true&size=1`);
    expectChatKitty(expect, unread, "GET /v1/users/{id}/messages");
    expect(ids(unread)).toEqual([system.id]);
    expect(queryOf(unread.body._links.next.href)).toMatchObject({ unread: "true", size: "1" });
    expect(ids(await s.api.get(unread.body._links.next.href))).toEqual([before.id]);
    expect(await count()).toBe(2);
    // Sending moves jane's read marker past everything before it; her own message is never unread.
    await send(s, ch.id, "jane reads", jane.name);
    expect(ids(await s.api.get(`/v1/users/${jane.id}/messages?unread=true`))).toEqual([]);
    expect(await count()).toBe(0);
    const after = await send(s, ch.id, "after", joe.name);
    expect(ids(await s.api.get(`/v1/users/${jane.id}/messages?unread=true`))).toEqual([after.id]);
    expect(await count()).toBe(1);
    expect(ids(await s.api.get(`/v1/users/${jane.id}/messages?unread=false`))).toHaveLength(1);
  });

  it("answers 400 for bad parameters and 404 for unknown users and another application's", async ({ expect }) => {
    const { s, jane } = await scene(expect);
    const b = await checkedSetup(expect);
    const theirs = await user(b, "theirs");
    expectError(expect, await s.api.get(`/v1/users/${jane.id}/messages?unread=yes`), 400);
    expectError(expect, await s.api.get(`/v1/users/${jane.id}/messages?size=0`), 400);
    expectError(expect, await s.api.get(`/v1/users/${jane.id}/messages?start=abc`), 400);
    for (const id of [theirs.id, 999999999]) {
      expectError(expect, await s.api.get(`/v1/users/${id}/messages`), 404);
      expectError(expect, await s.api.get(`/v1/users/${id}/messages/unread/count`), 404);
    }
  });
});
