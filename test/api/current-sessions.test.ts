/**
 * The session lists' edges, on rows written straight to D1 (test/realtime/sessions.test.ts records
 * them from real connections): `state`, `page`, `size` and `sort` of `/v1/user-sessions` and
 * `/v1/chat-sessions` (400 for anything out of range, never a 500), numbered pages and their
 * links, `/v1/user-sessions/{id}`, the participants of a channel (each user once, only active
 * chat sessions, 404 for no such channel), and the sweep that deletes sessions ended 30 days ago.
 * Every JSON body of a ChatKitty path validates against ChatKitty's schema for its operation.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, type ExpectStatic, it } from "vitest";
import { sweepEndedSessions } from "../../src/chat/queries/sessions";
import { createDb, openSession } from "../../src/db/client";
import { chatSessions, userSessions } from "../../src/db/schema";
import { fetchWorker, setup, type Setup } from "../helpers/api";
import { expectError, expectHal, expectInvalidField } from "../helpers/checks";
import { chatKittyClient } from "../helpers/chatkitty-schema";

const db = () => createDb(openSession(env.DB));
const DAY = 24 * 60 * 60 * 1000;

const checkedSetup = async (expect: ExpectStatic) => {
  const s = await setup();
  return { ...s, api: chatKittyClient(expect, s.api) };
};

/** A user session as a shard writes one; `ended`: how long ago it ended. */
const userSession = async (s: Setup, userId: number, ended?: number) =>
  (
    await db()
      .insert(userSessions)
      .values({
        applicationId: s.app.id,
        userId,
        shard: `${s.app.id}:0`,
        conn: crypto.randomUUID(),
        ...(ended === undefined ? {} : { createdAt: new Date(Date.now() - ended - 1000), endedAt: new Date(Date.now() - ended) }),
      })
      .returning()
      .get()
  ).id;

const chatSession = async (s: Setup, sessionId: number, userId: number, channelId: number, ended?: number) =>
  (
    await db()
      .insert(chatSessions)
      .values({
        applicationId: s.app.id,
        userSessionId: sessionId,
        userId,
        channelId,
        ...(ended === undefined ? {} : { createdAt: new Date(Date.now() - ended - 1000), endedAt: new Date(Date.now() - ended) }),
      })
      .returning()
      .get()
  ).id;

const ids = (res: { body: any }) => (res.body._embedded?.sessions ?? res.body._embedded?.users ?? []).map((x: { id: number }) => x.id);

describe.for(["/v1/user-sessions", "/v1/chat-sessions"])("GET %s", (path) => {
  /** Five sessions (of user sessions, or chat sessions), the 2nd and 4th ENDED; their ids in order. */
  const fiveSessions = async (s: Setup) => {
    const user = await s.createUser();
    const channel = await s.createChannel("PUBLIC", "c");
    const made: number[] = [];
    for (let i = 0; i < 5; i++) {
      const ended = i % 2 === 1 ? 1000 : undefined;
      const session = await userSession(s, user.id, ended);
      made.push(path === "/v1/user-sessions" ? session : await chatSession(s, session, user.id, channel.id, ended));
    }
    return made;
  };

  it("an application without sessions: an empty page with the empty array", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const res = await s.api.get(path);
    expectHal(expect, res);
    expect(res.body._embedded).toEqual({ sessions: [] });
    expect(res.body.page).toEqual({ size: 25, totalElements: 0, totalPages: 0, number: 0 });
  });

  it("state filters (absent: both); pages of ascending id unless sort says otherwise; links keep the filter", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const made = await fiveSessions(s);
    expect(ids(await s.api.get(path))).toEqual(made);
    expect(ids(await s.api.get(`${path}?state=ACTIVE`))).toEqual([made[0], made[2], made[4]]);
    expect(ids(await s.api.get(`${path}?state=ENDED`))).toEqual([made[1], made[3]]);
    for (const x of (await s.api.get(`${path}?state=ENDED`)).body._embedded.sessions) {
      expect(x.state).toBe("ENDED");
      expect(Date.parse(x.endTime)).toBeGreaterThan(Date.parse(x.createdTime));
    }
    expect(ids(await s.api.get(`${path}?sort=id,desc`))).toEqual([...made].reverse());
    expect(ids(await s.api.get(`${path}?sort=createdTime,desc`))).toEqual([...made].reverse());

    const page = await s.api.get(`${path}?state=ACTIVE&size=2&page=1`);
    expect(ids(page)).toEqual([made[4]]);
    expect(page.body.page).toEqual({ size: 2, totalElements: 3, totalPages: 2, number: 1 });
    expect(page.body._links.prev.href).toMatch(new RegExp(`${path}\\?state=ACTIVE&page=0&size=2$`));
    expect(page.body._links).not.toHaveProperty("next");
  });

  it("size above 100 is served as 100; a page past the end is empty", async ({ expect }) => {
    const s = await checkedSetup(expect);
    await fiveSessions(s);
    expect((await s.api.get(`${path}?size=101`)).body.page.size).toBe(100);
    const past = await s.api.get(`${path}?page=7&size=2`);
    expectHal(expect, past);
    expect(past.body._embedded.sessions).toEqual([]);
    expect(past.body.page).toEqual({ size: 2, totalElements: 5, totalPages: 3, number: 7 });
  });

  it.for([
    ["state=active", "state"],
    ["state=ended", "state"],
    ["state=", "state"],
    ["state=ACTIVE,ENDED", "state"],
    ["page=-1", "page"],
    ["page=x", "page"],
    ["page=1e3", "page"],
    ["size=0", "size"],
    ["size=-5", "size"],
    ["sort=name", "sort"],
    ["sort=createdTime,sideways", "sort"],
  ])("?%s → 400 naming %s", async ([query, field], { expect }) => {
    const s = await checkedSetup(expect);
    expectInvalidField(expect, await s.api.get(`${path}?${query}`), field!);
  });

  it("without a token: 401", async ({ expect }) => {
    expect((await fetchWorker(path)).status).toBe(401);
  });
});

describe("GET /v1/user-sessions/{id}", () => {
  it("the session, with its user; another application's, an unknown or a malformed id: 404", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const other = await checkedSetup(expect);
    const user = await s.createUser();
    const id = await userSession(s, user.id, 5000);
    const res = await s.api.get(`/v1/user-sessions/${id}`);
    expectHal(expect, res);
    expect(res.body).toMatchObject({ id, state: "ENDED", user: { id: user.id, name: user.name } });
    expect(res.body._links.self.href).toMatch(new RegExp(`/v1/user-sessions/${id}$`));
    for (const path of [`/v1/user-sessions/${id}`, "/v1/user-sessions/999999999", "/v1/user-sessions/abc", "/v1/user-sessions/0"]) {
      expectError(expect, await other.api.get(path), 404, "ResourceNotFoundError");
    }
  });
});

describe("GET /v1/channels/{id}/participants", () => {
  it("users with an active chat session in the channel, each once; ended ones and other channels' are not", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const [jane, john, joan] = [await s.createUser("jane"), await s.createUser("john"), await s.createUser("joan")];
    const [channel, elsewhere] = [await s.createChannel("OPEN", "open"), await s.createChannel("PUBLIC", "pub")];
    // Jane is connected twice and watches the channel on both connections.
    for (let i = 0; i < 2; i++) await chatSession(s, await userSession(s, jane.id), jane.id, channel.id);
    // John left the channel; Joan watches another one.
    await chatSession(s, await userSession(s, john.id), john.id, channel.id, 1000);
    await chatSession(s, await userSession(s, joan.id), joan.id, elsewhere.id);

    const res = await s.api.get(`/v1/channels/${channel.id}/participants`);
    expectHal(expect, res);
    expect(ids(res)).toEqual([jane.id]);
    expect(res.body.page).toEqual({ size: 25, totalElements: 1, totalPages: 1, number: 0 });
    expect(res.body._links.self.href).toMatch(new RegExp(`/v1/channels/${channel.id}/participants\\?page=0&size=25$`));
    expect(ids(await s.api.get(`/v1/channels/${elsewhere.id}/participants`))).toEqual([joan.id]);
  });

  it("no such channel (or another application's): 404; a bad page, size or sort: 400", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const other = await checkedSetup(expect);
    const channel = await s.createChannel("PUBLIC", "pub");
    expectError(expect, await other.api.get(`/v1/channels/${channel.id}/participants`), 404, "ResourceNotFoundError");
    expectError(expect, await s.api.get("/v1/channels/999999999/participants"), 404, "ResourceNotFoundError");
    expectInvalidField(expect, await s.api.get(`/v1/channels/${channel.id}/participants?page=-1`), "page");
    expectInvalidField(expect, await s.api.get(`/v1/channels/${channel.id}/participants?size=0`), "size");
    expectInvalidField(expect, await s.api.get(`/v1/channels/${channel.id}/participants?sort=state`), "sort");
  });
});

describe("retention: the scheduled sweep", () => {
  it("deletes sessions ended more than 30 days ago (with their chat sessions), keeps the rest", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const user = await s.createUser();
    const channel = await s.createChannel("PUBLIC", "pub");
    const old = await userSession(s, user.id, 31 * DAY);
    await chatSession(s, old, user.id, channel.id, 31 * DAY);
    const recent = await userSession(s, user.id, 29 * DAY);
    const active = await userSession(s, user.id);
    // A long-lived connection: its chat session ended long ago, the connection goes on.
    await chatSession(s, active, user.id, channel.id, 31 * DAY);
    const activeChat = await chatSession(s, active, user.id, channel.id);

    expect(await sweepEndedSessions(db(), Date.now())).toBeGreaterThanOrEqual(2);
    const left = await db().select({ id: userSessions.id }).from(userSessions).where(eq(userSessions.applicationId, s.app.id));
    expect(left.map((r) => r.id)).toEqual([recent, active]);
    const chats = await db().select({ id: chatSessions.id }).from(chatSessions).where(eq(chatSessions.applicationId, s.app.id));
    expect(chats.map((r) => r.id)).toEqual([activeChat]);
  });
});
