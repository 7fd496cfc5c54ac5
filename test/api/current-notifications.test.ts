/**
 * `GET /v1/users/{id}/notifications`: a user's notifications, derived from messages — those of
 * the channels they are a member of, sent by someone else or the system since they joined,
 * newest first, in cursor pages. Title, body, channel, data (USER:SENT:MESSAGE or
 * SYSTEM:SENT:MESSAGE with the message), readTime from the read marker, and what takes
 * notifications away (leaving the channel, deleting the message). Unknown and other
 * applications' users are 404. Every JSON answer validates against ChatKitty's schema.
 */
import { describe, type ExpectStatic, it } from "vitest";
import { setup } from "../helpers/api";
import { expectError, expectHal, queryOf } from "../helpers/checks";
import { chatKittyClient, expectChatKitty } from "../helpers/chatkitty-schema";

const checkedSetup = async (expect: ExpectStatic) => {
  const s = await setup();
  return { ...s, api: chatKittyClient(expect, s.api) };
};
type Checked = Awaited<ReturnType<typeof checkedSetup>>;

const OPERATION = "GET /v1/users/{id}/notifications";

const user = async (s: Checked, label: string, displayName?: string) =>
  (await s.api.post("/v1/users", { name: `${label}-${crypto.randomUUID()}`, ...(displayName ? { displayName } : {}) })).body as {
    id: number;
    name: string;
  };

const post = async (s: Checked, channelId: number, body: Record<string, unknown>) => {
  const res = await s.api.post(`/v1/channels/${channelId}/messages`, body);
  if (res.status !== 201) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: number; createdTime: string };
};
const send = (s: Checked, channelId: number, body: string, username?: string) =>
  post(s, channelId, { body, ...(username ? { user: { username } } : {}) });

/** Lets the clock move on, so that creation times (milliseconds) differ. */
const tick = () => new Promise((r) => setTimeout(r, 5));

const notificationsOf = (s: Checked, userId: number, query = "") => s.api.get(`/v1/users/${userId}/notifications${query}`);
const ids = (res: { body: any }): number[] => res.body._embedded.notifications.map((n: { id: number }) => n.id);

/** jane (displayed "Jané 👩") and joe in a PRIVATE channel; `theirs` a PUBLIC channel jane is not in. */
const scene = async (expect: ExpectStatic) => {
  const s = await checkedSetup(expect);
  const jane = await user(s, "jane", "Jané 👩");
  const joe = await user(s, "joe", "Joe");
  const ch = (await s.api.post("/v1/channels", { type: "PRIVATE", members: [{ id: jane.id }, { id: joe.id }] })).body;
  const theirs = (await s.api.post("/v1/channels", { type: "PUBLIC", members: [{ id: joe.id }] })).body;
  await tick();
  return { s, jane, joe, ch, theirs };
};

describe("GET /v1/users/{id}/notifications", () => {
  it("lists messages of the user's channels sent by others and the system, newest first, as ChatKitty notifications", async ({
    expect,
  }) => {
    const { s, jane, joe, ch, theirs } = await scene(expect);
    const empty = await notificationsOf(s, jane.id);
    expectHal(expect, empty);
    expectChatKitty(expect, empty, OPERATION);
    expect(ids(empty)).toEqual([]);

    const fromJoe = await send(s, ch.id, "héllo 🌞", joe.name);
    const system = await send(s, ch.id, "maintenance tonight");
    const file = { url: "https://example.com/f/report.pdf", name: "report.pdf", contentType: "application/pdf", size: 10 };
    const systemFile = await post(s, ch.id, { type: "FILE", file });
    const own = await send(s, ch.id, "my own", jane.name);
    await send(s, theirs.id, "not jane's channel", joe.name);

    const res = await notificationsOf(s, jane.id);
    expectHal(expect, res);
    const page = expectChatKitty(expect, res, OPERATION);
    expect(ids(res)).toEqual([systemFile.id, system.id, fromJoe.id]);
    const [fileNote, systemNote, joeNote] = page._embedded.notifications;
    expect(joeNote).toMatchObject({
      id: fromJoe.id,
      title: "New message from Joe",
      body: "héllo 🌞",
      createdTime: fromJoe.createdTime,
      muted: false,
      channel: { id: ch.id, type: "PRIVATE", name: ch.name, displayName: ch.displayName, properties: {} },
      data: { type: "USER:SENT:MESSAGE", channelId: ch.id, message: { id: fromJoe.id, type: "TEXT", user: { id: joe.id } } },
    });
    expect(joeNote.channel._links).toBeUndefined();
    expect(joeNote._links.recipient.href).toMatch(new RegExp(`/v1/applications/${s.app.id}/users/${jane.id}$`));
    expect(systemNote).toMatchObject({
      title: "System message sent",
      body: "maintenance tonight",
      data: { type: "SYSTEM:SENT:MESSAGE", message: { id: system.id, type: "SYSTEM_TEXT" } },
    });
    expect(fileNote).toMatchObject({
      title: "System message sent",
      body: "File attachment",
      data: { message: { type: "SYSTEM_FILE", file } },
    });
    // Joe's notifications are jane's message and the system's, not his own.
    const joes = await notificationsOf(s, joe.id);
    expect(ids(joes)).toEqual([own.id, systemFile.id, system.id]);
    expect(joes.body._embedded.notifications[0]).toMatchObject({ title: "New message from Jané 👩", body: "my own" });
  });

  it("leaves out messages sent before the user joined, and those of a channel they left", async ({ expect }) => {
    const { s, jane, joe, theirs, ch } = await scene(expect);
    const before = await send(s, theirs.id, "before jane", joe.name);
    await tick();
    expectHal(expect, await s.api.post(`/v1/channels/${theirs.id}/members`, { id: jane.id }));
    await tick();
    const after = await send(s, theirs.id, "after jane", joe.name);
    const inCh = await send(s, ch.id, "in ch", joe.name);
    expect(ids(await notificationsOf(s, jane.id))).toEqual([inCh.id, after.id]);
    expect(ids(await notificationsOf(s, jane.id))).not.toContain(before.id);
    expectHal(expect, await s.api.del(`/v1/channels/${theirs.id}/members/${jane.id}`));
    expect(ids(await notificationsOf(s, jane.id))).toEqual([inCh.id]);
    expectHal(expect, await s.api.del(`/v1/messages/${inCh.id}`));
    expect(ids(await notificationsOf(s, jane.id))).toEqual([]);
  });

  it("shows readTime once the user's read marker reached the message: the time of the message it points at", async ({ expect }) => {
    const { s, jane, joe, ch } = await scene(expect);
    const first = await send(s, ch.id, "one", joe.name);
    await tick();
    const second = await send(s, ch.id, "two", joe.name);
    await tick();
    // Sending moves jane's read marker to her own message.
    const reply = await send(s, ch.id, "read them", jane.name);
    await tick();
    const third = await send(s, ch.id, "three", joe.name);
    const page = expectChatKitty(expect, await notificationsOf(s, jane.id), OPERATION);
    const byId = new Map(page._embedded.notifications.map((n: { id: number }) => [n.id, n]));
    expect(byId.get(first.id)).toMatchObject({ readTime: reply.createdTime });
    expect(byId.get(second.id)).toMatchObject({ readTime: reply.createdTime });
    expect(byId.get(third.id)).not.toHaveProperty("readTime");
  });

  it("pages with start/next/relation cursors that keep their size, every notification once", async ({ expect }) => {
    const { s, jane, joe, ch } = await scene(expect);
    const sent: number[] = [];
    for (let i = 0; i < 5; i++) sent.push((await send(s, ch.id, `m${i}`, joe.name)).id);
    const seen: number[] = [];
    let res = await notificationsOf(s, jane.id, "?size=2");
    for (let i = 0; i < 10; i++) {
      expectChatKitty(expect, res, OPERATION);
      seen.push(...ids(res));
      expect(new URL(res.body._links.self.href).pathname).toBe(`/v1/users/${jane.id}/notifications`);
      const next = res.body._links.next?.href;
      if (!next) break;
      expect(queryOf(next)).toMatchObject({ size: "2", relation: "NEXT" });
      res = await s.api.get(next);
    }
    expect(seen).toEqual([...sent].reverse());
    const newest = await notificationsOf(s, jane.id, `?start=${sent[2]}&size=2&relation=PREVIOUS`);
    expect(ids(newest)).toEqual([sent[4], sent[3]]);
    expectError(expect, await notificationsOf(s, jane.id, "?start=abc"), 400);
    expectError(expect, await notificationsOf(s, jane.id, "?size=0"), 400);
    expectError(expect, await notificationsOf(s, jane.id, "?relation=SIDEWAYS"), 400);
  });

  it("presents DIRECT channels with their members", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await user(s, "jane");
    const joe = await user(s, "joe");
    const direct = (await s.api.post("/v1/channels", { type: "DIRECT", members: [{ id: jane.id }, { id: joe.id }] })).body;
    await tick();
    await send(s, direct.id, "psst", joe.name);
    const page = expectChatKitty(expect, await notificationsOf(s, jane.id), OPERATION);
    expect(page._embedded.notifications[0].channel).toMatchObject({ type: "DIRECT", members: [{ id: jane.id }, { id: joe.id }] });
  });

  it("answers 404 for an unknown user and another application's", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const other = await setup();
    const theirs = (await other.api.post("/v1/users", { name: `t-${crypto.randomUUID()}` })).body;
    expectError(expect, await notificationsOf(s, theirs.id), 404);
    expectError(expect, await notificationsOf(s, 999_999_999), 404);
  });
});
