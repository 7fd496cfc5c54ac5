/**
 * `GET /v1/application/message-read-receipt-summaries` (chatkitty@2.106.8): per membership with
 * unread messages, the channel, the member and the count; read markers (set here straight in D1,
 * as a chat session's read action sets them) lower the count, own messages never count, other
 * applications' memberships never show. ChatKitty's 2.41.9 document lacks the operation, so the
 * shape is checked against the SDK's `MessageReadReceiptSummaryResource` fields by hand.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { markRead } from "../../src/chat/queries/members";
import { createDb, openSession } from "../../src/db/client";
import { setup } from "../helpers/api";
import { expectError } from "../helpers/checks";

const PATH = "/v1/application/message-read-receipt-summaries";

const scene = async () => {
  const s = await setup();
  const [jane, joe] = [await s.createUser(`jané-${crypto.randomUUID()}`), await s.createUser(`joe-${crypto.randomUUID()}`)];
  const channel = (await s.api.post("/v1/channels", { type: "PRIVATE", displayName: "Équipe", members: [{ id: jane.id }, { id: joe.id }] }))
    .body;
  const send = async (body: string, username?: string) =>
    (await s.api.post(`/v1/channels/${channel.id}/messages`, { body, ...(username ? { user: { username } } : {}) })).body as { id: number };
  return { s, jane, joe, channel, send };
};

const counts = (res: { body: any }) =>
  (res.body._embedded.summaries as { user: { id: number }; channel: { id: number }; count: number }[]).map((x) => [
    x.channel.id,
    x.user.id,
    x.count,
  ]);

describe("GET /v1/application/message-read-receipt-summaries", () => {
  it("is empty when nothing is unread, then counts each member's unread messages sent by others", async ({ expect }) => {
    const { s, jane, joe, channel, send } = await scene();
    const empty = await s.api.get(PATH);
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ _embedded: { summaries: [] }, page: { totalElements: 0, number: 0 } });

    await send("from jane", jane.name);
    await send("again from jane 🐱", jane.name);
    await send("from the system");
    const res = await s.api.get(PATH);
    // Sending marks jane's own messages read: only the system's is unread for her; joe has all three.
    expect(counts(res)).toEqual([
      [channel.id, jane.id, 1],
      [channel.id, joe.id, 3],
    ]);
    const [first] = res.body._embedded.summaries;
    expect(first).toMatchObject({
      channel: { id: channel.id, type: "PRIVATE", displayName: "Équipe" },
      user: { id: jane.id, name: jane.name },
      _links: {
        user: { href: expect.stringMatching(`/users/${jane.id}$`) },
        channel: { href: expect.stringMatching(`/channels/${channel.id}$`) },
      },
    });
    expect(first.user).not.toHaveProperty("_links");
  });

  it("drops a member once their read marker reaches the newest message, and lowers counts before it", async ({ expect }) => {
    const { s, jane, joe, channel, send } = await scene();
    const m1 = await send("one");
    await send("two");
    const db = createDb(openSession(env.DB));
    const appId = (await s.api.get("/v1/application")).body.id as number;
    await markRead(db, appId, channel.id, joe.id, m1.id);
    await markRead(db, appId, channel.id, jane.id);
    expect(counts(await s.api.get(PATH))).toEqual([[channel.id, joe.id, 1]]);
  });

  it("pages with page and size, and shows no other application's memberships", async ({ expect }) => {
    const { s, channel, send } = await scene();
    await send("hello");
    const other = await scene();
    await other.send("elsewhere");
    const page0 = await s.api.get(`${PATH}?page=0&size=1`);
    expect(page0.body.page).toEqual({ size: 1, totalElements: 2, totalPages: 2, number: 0 });
    expect(page0.body._links.next.href).toContain("page=1");
    const page1 = await s.api.get(page0.body._links.next.href);
    expect([...counts(page0), ...counts(page1)].map(([c]) => c)).toEqual([channel.id, channel.id]);
    expectError(expect, await s.api.get(`${PATH}?size=0`), 400);
    expectError(expect, await s.api.get(`${PATH}?page=-1`), 400);
  });

  it("serves a full page of 100 summaries from 100 channels (over D1's 100 bound parameters in one lookup)", async ({ expect }) => {
    const s = await setup();
    const jane = await s.createUser(`jane-${crypto.randomUUID()}`);
    for (let i = 0; i < 100; i++) {
      const channel = (await s.api.post("/v1/channels", { type: "PUBLIC", members: [{ id: jane.id }] })).body;
      await s.api.post(`/v1/channels/${channel.id}/messages`, { body: `hello ${i}` });
    }
    const res = await s.api.get(`${PATH}?size=100`);
    expect(res.status).toBe(200);
    expect(res.body.page.totalElements).toBe(100);
    expect(counts(res).every(([, userId, n]) => userId === jane.id && n === 1)).toBe(true);
    expect(new Set(counts(res).map(([channelId]) => channelId)).size).toBe(100);
  });
});
