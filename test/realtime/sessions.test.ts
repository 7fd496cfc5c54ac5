/**
 * User sessions, chat sessions and channel participants, recorded by the session shards from real
 * WebSocket sessions and listed by the Platform API (`/v1/user-sessions`, `/v1/chat-sessions`,
 * `/v1/channels/{id}/participants`): a CONNECT starts a user session (a guest's too), a
 * subscription to a channel's messages a chat session (one per connection and channel), an
 * UNSUBSCRIBE or a lost access ends the chat session, a closed socket (or a shard restart that lost
 * it) ends both; a failed write is logged and breaks nothing; lists filter by state and show
 * nothing to another application. Every JSON body validates against ChatKitty's schema for its
 * operation.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, type ExpectStatic, it, vi } from "vitest";
import { sessionShardStub, shardName } from "../../src/chat/live";
import type { SessionShard } from "../../src/durable/session-shard";
import { ORIGIN, setup, type Setup } from "../helpers/api";
import { expectError, expectHal, isIsoUtc } from "../helpers/checks";
import { chatKittyClient } from "../helpers/chatkitty-schema";
import { ChatClient, connectChat, ERRORS_QUEUE, ERRORS_SID, sessionQuery, sid } from "../helpers/chat";

const checkedSetup = async (expect: ExpectStatic) => {
  const s = await setup();
  return { ...s, api: chatKittyClient(expect, s.api) };
};

/** A session opened as a browser opens one: the upgrade carries its User-Agent. */
const connectWithAgent = async (key: string, user: string, userAgent: string) => {
  const res = await exports.default.fetch(
    new Request(`${ORIGIN}/stompx/websocket?${sessionQuery(key, user)}`, {
      headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": "v12.stomp", "User-Agent": userAgent },
    }),
  );
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade answered ${res.status}`);
  const client = new ChatClient(res.webSocket);
  client.send("CONNECT", { "accept-version": "1.2", "heart-beat": "5000,5000" });
  await client.take("CONNECTED", (f) => f.command === "CONNECTED");
  client.send("SUBSCRIBE", { id: ERRORS_SID, destination: ERRORS_QUEUE, ack: "auto" });
  return client;
};

/** What the 2020 SDK's `startChatSession` subscribes to: the channel's self topic, then its messages. */
const startChatSession = async (client: ChatClient, channelId: number) => {
  const messages = sid();
  await client.subscribe(sid(), `/topic/v1/channels/${channelId}`);
  await client.subscribe(messages, `/topic/v1/channels/${channelId}/messages`);
  return messages;
};

interface Session {
  id: number;
  state: "ACTIVE" | "ENDED";
  createdTime: string;
  endTime?: string;
  userAgent?: string;
  user: { id: number; name: string; isGuest: boolean };
  _links: Record<string, { href: string }>;
}
interface ChatSession {
  id: number;
  state: "ACTIVE" | "ENDED";
  createdTime: string;
  endTime?: string;
  session: Omit<Session, "_links">;
  _links: Record<string, { href: string }>;
}

const list = async <T>(s: Setup, path: string): Promise<T[]> => {
  const res = await s.api.get(path);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body._embedded.sessions ?? res.body._embedded.users;
};
const userSessions = (s: Setup, query = "") => list<Session>(s, `/v1/user-sessions?size=100${query}`);
const chatSessions = (s: Setup, query = "") => list<ChatSession>(s, `/v1/chat-sessions?size=100${query}`);
const participantNames = async (s: Setup, channelId: number) =>
  (await list<{ name: string }>(s, `/v1/channels/${channelId}/participants?size=100`)).map((u) => u.name);

const channelOf = async (s: Setup, type: "PUBLIC" | "PRIVATE" | "OPEN" = "PUBLIC") => {
  const channel = await s.createChannel(type, `c-${crypto.randomUUID()}`);
  return channel as { id: number };
};

/** Waits for an end written after a socket closed: those writes are not awaited by anyone. */
const eventually = (check: () => Promise<void>) => vi.waitFor(check, { timeout: 3000, interval: 25 });

describe("user and chat sessions of live connections", () => {
  it("CONNECT starts a user session, startChatSession a chat session; both listed ACTIVE and the user is a participant", async ({
    expect,
  }) => {
    const s = await checkedSetup(expect);
    const [jane, john] = [await s.createUser(`jane-${crypto.randomUUID()}`), await s.createUser(`john-${crypto.randomUUID()}`)];
    const channel = await channelOf(s);
    const janeClient = await connectWithAgent(s.app.key, jane.name, "ChatKitty-JS/1.50.0");
    const johnChat = await connectChat(s.app, john.name);

    const sessions = await userSessions(s, "&state=ACTIVE");
    expect(sessions.map((x) => x.user.name).sort()).toEqual([jane.name, john.name].sort());
    const janeSession = sessions.find((x) => x.user.id === jane.id)!;
    expect(janeSession).toMatchObject({ state: "ACTIVE", userAgent: "ChatKitty-JS/1.50.0" });
    expect(janeSession).not.toHaveProperty("endTime");
    expect(isIsoUtc(janeSession.createdTime)).toBe(true);
    expect(sessions.find((x) => x.user.id === john.id)).not.toHaveProperty("userAgent");
    expect(janeSession._links.user!.href).toBe(`${ORIGIN}/v1/applications/${s.app.id}/users/${jane.id}`);
    expect(janeSession._links.application!.href).toBe(`${ORIGIN}/v1/applications/${s.app.id}`);
    // The one user session by id, as a chat session's `session` link names it.
    const byId = await s.api.get(janeSession._links.self!.href);
    expectHal(expect, byId);
    expect(byId.body).toEqual(janeSession);

    expect(await chatSessions(s)).toEqual([]);
    expect(await participantNames(s, channel.id)).toEqual([]);
    await startChatSession(janeClient, channel.id);
    const [chat] = await chatSessions(s);
    const { _links: _, ...janeProperties } = janeSession;
    expect(chat).toMatchObject({ state: "ACTIVE", session: janeProperties });
    expect(chat).not.toHaveProperty("endTime");
    expect(isIsoUtc(chat!.createdTime)).toBe(true);
    expect(chat!._links.session!.href).toBe(janeSession._links.self!.href);
    expect(chat!._links.channel!.href).toBe(`${ORIGIN}/v1/applications/${s.app.id}/channels/${channel.id}`);
    expect(await participantNames(s, channel.id)).toEqual([jane.name]);

    await startChatSession(johnChat.client, channel.id);
    expect((await chatSessions(s, "&state=ACTIVE")).map((c) => c.session.user.name)).toEqual([jane.name, john.name]);
    expect(await participantNames(s, channel.id)).toEqual([jane.name, john.name]);
    // Participants page like any list of users.
    const page = await s.api.get(`/v1/channels/${channel.id}/participants?size=1&sort=name,desc`);
    expect(page.body.page).toEqual({ size: 1, totalElements: 2, totalPages: 2, number: 0 });
    expect(page.body._embedded.users.map((u: { name: string }) => u.name)).toEqual([[jane.name, john.name].sort().at(-1)]);
    expect(page.body._links.next.href).toBe(`${ORIGIN}/v1/channels/${channel.id}/participants?sort=name%2Cdesc&page=1&size=1`);
    janeClient.close();
    johnChat.client.close();
  });

  it("closing a socket ends its user session and its chat sessions, with endTime; state filters", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const [jane, john] = [await s.createUser(`jane-${crypto.randomUUID()}`), await s.createUser(`john-${crypto.randomUUID()}`)];
    const [one, two] = [await channelOf(s), await channelOf(s, "OPEN")];
    const janeChat = await connectChat(s.app, jane.name);
    const johnChat = await connectChat(s.app, john.name);
    await startChatSession(janeChat.client, one.id);
    await startChatSession(janeChat.client, two.id);
    await startChatSession(johnChat.client, one.id);
    const closedAt = Date.now();
    janeChat.client.close();

    await eventually(async () => expect((await userSessions(s, "&state=ENDED")).map((x) => x.user.id)).toEqual([jane.id]));
    const [ended] = await userSessions(s, "&state=ENDED");
    expect(ended!.state).toBe("ENDED");
    expect(Date.parse(ended!.endTime!)).toBeGreaterThanOrEqual(closedAt - 5);
    expect(Date.parse(ended!.endTime!)).toBeGreaterThanOrEqual(Date.parse(ended!.createdTime));
    expect((await userSessions(s, "&state=ACTIVE")).map((x) => x.user.id)).toEqual([john.id]);
    expect((await userSessions(s)).map((x) => x.user.id)).toEqual([jane.id, john.id]);

    await eventually(async () => expect((await chatSessions(s, "&state=ENDED")).length).toBe(2));
    for (const chat of await chatSessions(s, "&state=ENDED")) {
      expect(chat.session).toMatchObject({ id: ended!.id, state: "ENDED", endTime: ended!.endTime });
      expect(chat.endTime).toBe(ended!.endTime);
    }
    expect((await chatSessions(s, "&state=ACTIVE")).map((c) => c.session.user.id)).toEqual([john.id]);
    expect(await participantNames(s, one.id)).toEqual([john.name]);
    expect(await participantNames(s, two.id)).toEqual([]);
    johnChat.client.close();
  });

  it("UNSUBSCRIBE of the messages topic ends only that chat session; subscribing again starts a new one", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await s.createUser(`jane-${crypto.randomUUID()}`);
    const [one, two] = [await channelOf(s), await channelOf(s)];
    const { client } = await connectChat(s.app, jane.name);
    const onOne = await startChatSession(client, one.id);
    await startChatSession(client, two.id);
    client.send("UNSUBSCRIBE", { id: onOne });
    await client.fence();

    const chats = await chatSessions(s);
    expect(chats.map((c) => [c.state, c._links.channel!.href.split("/").at(-1)])).toEqual([
      ["ENDED", String(one.id)],
      ["ACTIVE", String(two.id)],
    ]);
    expect(isIsoUtc(chats[0]!.endTime)).toBe(true);
    expect(chats[0]!.session.state).toBe("ACTIVE");
    expect((await userSessions(s, "&state=ACTIVE")).map((x) => x.user.id)).toEqual([jane.id]);
    expect(await participantNames(s, one.id)).toEqual([]);
    expect(await participantNames(s, two.id)).toEqual([jane.name]);

    await client.subscribe(onOne, `/topic/v1/channels/${one.id}/messages`);
    expect((await chatSessions(s, "&state=ACTIVE")).map((c) => c._links.channel!.href.split("/").at(-1))).toEqual([
      String(two.id),
      String(one.id),
    ]);
    // Unsubscribing an unknown id, or a topic that is not a channel's messages, ends nothing.
    client.send("UNSUBSCRIBE", { id: "never-subscribed" });
    client.send("UNSUBSCRIBE", { id: ERRORS_SID });
    await client.fence();
    expect((await chatSessions(s, "&state=ACTIVE")).length).toBe(2);
    client.close();
  });

  it("one active chat session per connection and channel, however often it subscribes; the last UNSUBSCRIBE ends it", async ({
    expect,
  }) => {
    const s = await checkedSetup(expect);
    const jane = await s.createUser(`jane-${crypto.randomUUID()}`);
    const channel = await channelOf(s);
    const { client } = await connectChat(s.app, jane.name);
    const [first, second] = [sid(), sid()];
    const topic = `/topic/v1/channels/${channel.id}/messages`;
    await client.subscribe(first, topic);
    await client.subscribe(first, topic);
    await client.subscribe(second, topic);
    expect((await chatSessions(s)).map((c) => c.state)).toEqual(["ACTIVE"]);

    client.send("UNSUBSCRIBE", { id: first });
    await client.fence();
    expect((await chatSessions(s)).map((c) => c.state)).toEqual(["ACTIVE"]);
    client.send("UNSUBSCRIBE", { id: second });
    await client.fence();
    expect((await chatSessions(s)).map((c) => c.state)).toEqual(["ENDED"]);

    // Another connection of the same user is another user session, with its own chat session.
    const other = await connectChat(s.app, jane.name);
    await other.client.subscribe(sid(), topic);
    await client.subscribe(sid(), topic);
    const active = await chatSessions(s, "&state=ACTIVE");
    expect(new Set(active.map((c) => c.session.id)).size).toBe(2);
    expect(await participantNames(s, channel.id)).toEqual([jane.name]);
    client.close();
    other.client.close();
  });

  it("a user agent longer than 256 characters is kept cut to 256", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const agent = `Mozilla/5.0 ${"x".repeat(300)}`;
    const client = await connectWithAgent(s.app.key, `u-${crypto.randomUUID()}`, agent);
    const [session] = await userSessions(s);
    expect(session!.userAgent).toBe(agent.slice(0, 256));
    client.close();
  });

  it("a guest created at CONNECT gets a user session", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const name = `guest-${crypto.randomUUID()}-héllo-🐱`;
    const { client, me } = await connectChat(s.app, name);
    const [session] = await userSessions(s);
    expect(session).toMatchObject({ state: "ACTIVE", user: { id: me.id, name, isGuest: true } });
    client.close();
  });

  it("a subscription refused (a PRIVATE channel the user is not in) records no chat session", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await s.createUser(`jane-${crypto.randomUUID()}`);
    const secret = await channelOf(s, "PRIVATE");
    const { client } = await connectChat(s.app, jane.name);
    await startChatSession(client, secret.id);
    expect(await chatSessions(s)).toEqual([]);
    expect(await participantNames(s, secret.id)).toEqual([]);
    client.close();
  });

  it("a member removed from a PRIVATE channel stops being a participant; the user session goes on", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await s.createUser(`jane-${crypto.randomUUID()}`);
    const secret = await channelOf(s, "PRIVATE");
    expect((await s.api.post(`/v1/channels/${secret.id}/members`, { id: jane.id })).status).toBe(200);
    const { client } = await connectChat(s.app, jane.name);
    await startChatSession(client, secret.id);
    expect(await participantNames(s, secret.id)).toEqual([jane.name]);

    expect((await s.api.del(`/v1/channels/${secret.id}/members/${jane.id}`)).status).toBe(200);
    await eventually(async () => expect(await participantNames(s, secret.id)).toEqual([]));
    expect((await chatSessions(s)).map((c) => c.state)).toEqual(["ENDED"]);
    expect((await userSessions(s)).map((x) => x.state)).toEqual(["ACTIVE"]);
    client.close();
  });

  it("a deleted user's sessions end with their socket and leave the lists (their rows go with the user)", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await s.createUser(`jane-${crypto.randomUUID()}`);
    const channel = await channelOf(s);
    const { client } = await connectChat(s.app, jane.name);
    await startChatSession(client, channel.id);
    expect((await s.api.del(`/v1/users/${jane.id}`)).status).toBe(200);
    expect(await client.waitClosed()).toBeDefined();
    await eventually(async () => expect(await userSessions(s)).toEqual([]));
    expect(await chatSessions(s)).toEqual([]);
    expect(await participantNames(s, channel.id)).toEqual([]);
  });

  it("another application's token sees none of them", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const other = await checkedSetup(expect);
    const jane = await s.createUser(`jane-${crypto.randomUUID()}`);
    const channel = await channelOf(s);
    const { client } = await connectChat(s.app, jane.name);
    await startChatSession(client, channel.id);
    const [session] = await userSessions(s);

    expect(await userSessions(other)).toEqual([]);
    expect(await chatSessions(other)).toEqual([]);
    expect(await userSessions(other, "&state=ACTIVE")).toEqual([]);
    expectError(expect, await other.api.get(`/v1/channels/${channel.id}/participants`), 404, "ResourceNotFoundError");
    expectError(expect, await other.api.get(`/v1/user-sessions/${session!.id}`), 404, "ResourceNotFoundError");
    client.close();
  });

  it("a failed write is logged, and breaks neither the session nor the connection's later writes", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await s.createUser(`jane-${crypto.randomUUID()}`);
    const channel = await channelOf(s);
    const { client } = await connectChat(s.app, jane.name);
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      // A channel that does not exist: D1 refuses the row (foreign key), as it would for one deleted meanwhile.
      const refused = await runInDurableObject(sessionShardStub(env, shardName(env, s.app.id, jane.name)), (shard: SessionShard, state) => {
        const connection = shard.sockets.connectionOf(state.getWebSockets()[0]!)!;
        return shard.records.joined(connection, 999_999_999).then(() => "resolved");
      });
      expect(refused).toBe("resolved");
      expect(logged.mock.calls.map(([line]) => JSON.parse(String(line)).event)).toContain("chat_session_start_failed");
    } finally {
      logged.mockRestore();
    }
    await startChatSession(client, channel.id);
    expect((await chatSessions(s)).map((c) => c.state)).toEqual(["ACTIVE"]);
    client.close();
  });

  it("after a shard restart, the sessions of sockets that did not survive it are ended", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await s.createUser(`jane-${crypto.randomUUID()}`);
    const channel = await channelOf(s);
    const { client } = await connectChat(s.app, jane.name);
    await startChatSession(client, channel.id);
    const shard = sessionShardStub(env, shardName(env, s.app.id, jane.name));
    await evictDurableObject(shard, { webSockets: "close" });
    await client.waitClosed();
    // The next wake-up (here: a look at its storage) finds the socket gone.
    const remembered = await runInDurableObject(
      shard,
      (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM recorded_sessions").one().n,
    );
    expect(remembered).toBe(0);
    await eventually(async () => expect((await userSessions(s)).map((x) => x.state)).toEqual(["ENDED"]));
    expect((await chatSessions(s)).map((c) => c.state)).toEqual(["ENDED"]);
    expect(await participantNames(s, channel.id)).toEqual([]);
  });
});
