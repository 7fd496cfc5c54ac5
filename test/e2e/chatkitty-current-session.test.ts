/**
 * Sessions as the official, unmodified current ChatKitty JS SDK (`chatkitty@1.58.2`) meets them,
 * in Node against `npm run dev` (spec stompx-current §2, §4): startSession's relays and ten user
 * topics, the CONNECTED session id sent back on a reconnect, ACK frames, endSession, an unknown
 * API key, an application that requires challenge tokens, and a 1.1.1 client in the same channel.
 *
 * Results are checked as the SDK returns them; frames only where the wire is the point (session
 * id, ACK, DISCONNECT). Sessions and sockets are set up by `useCurrentSdk()` (./sdk-current.ts).
 */
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { describe, it } from "vitest";
import { createApplication, createChallengeToken, createUser, host } from "./platform-api";
import {
  demo,
  failure,
  newKitty,
  ok,
  openChat,
  receiptsArrived,
  receivedFrames,
  received,
  send,
  sentFrames,
  sharedChannel,
  sockets,
  socketsOf,
  startUser,
  succeeded,
  useCurrentSdk,
  WS,
} from "./sdk-current";
import { sleep, step, unique, until } from "./wait";

const require = createRequire(import.meta.url);

useCurrentSdk();

const userTopicKeys = [
  "self",
  "channels",
  "messages",
  "notifications",
  "contacts",
  "participants",
  "users",
  "reactions",
  "threads",
  "calls",
];

describe("startSession", () => {
  it("a new name: a guest CurrentUser with ten distinct topics, after user.relay and both grant relays", async ({ expect }) => {
    const name = unique("guest ☃");
    const kitty = newKitty();
    const result = await step("startSession", kitty.startSession({ username: name }));
    expect(succeeded(result), JSON.stringify(result.error)).toBe(true);
    const user = result.session.user;
    expect(user).toMatchObject({ name, isGuest: true, properties: {} });
    expect(Number.isSafeInteger(user.id)).toBe(true);
    expect(user.presence).toMatchObject({ online: true });
    const topics = userTopicKeys.map((key) => user._topics[key]);
    for (const [i, topic] of topics.entries()) expect(typeof topic, `_topics.${userTopicKeys[i]}`).toBe("string");
    expect(new Set(topics).size, "the ten user topics are distinct").toBe(10);

    const [socket] = socketsOf(name);
    expect(socket?.url).toMatch(/\/rtm\/websocket\?api-key=/);
    expect(socket?.ws.protocol).toBe("v12.stomp");
    const subscribed = sentFrames(socket!)
      .filter((f) => f.command === "SUBSCRIBE")
      .map((f) => f.headers.destination);
    expect(subscribed.slice(0, 4)).toEqual([
      "/application/v1/user.relay",
      "/user/queue/v1/errors",
      "/application/v1/user.write_file_access_grant.relay",
      "/application/v1/user.read_file_access_grant.relay",
    ]);
    expect(subscribed.slice(4, 14)).toEqual(topics);
    await until(
      "a RECEIPT for each of the ten user topics",
      () => receiptsArrived(socket!, topics),
      () => socket!.received,
    );
    // The CurrentUser answers getCurrentUser too, with the same topics.
    expect((await ok("getCurrentUser", kitty.getCurrentUser())).user).toMatchObject({ id: user.id, name, _topics: user._topics });
  });

  it("a user created through the Platform API is that user, not a guest; two users are two users", async ({ expect }) => {
    const name = unique("registered");
    const created = await createUser(demo(), name);
    const person = await startUser("registered", name);
    expect(person.user).toMatchObject({ id: created.id, name, isGuest: false });
    const other = await startUser("other");
    expect(other.user.id).not.toBe(person.user.id);
  });

  it("an unknown API key → failed result with error AccessDeniedError, and the SDK does not retry", async ({ expect }) => {
    const key = randomUUID();
    const kitty = newKitty(key);
    const error = await failure("startSession with an unknown key", kitty.startSession({ username: unique("nobody") }));
    expect(error.error).toBe("AccessDeniedError");
    const mine = () => sockets.filter((s) => s.url.includes(key));
    expect(mine()).toHaveLength(1);
    const [socket] = mine();
    expect(receivedFrames(socket!).map((f) => f.command)).toEqual(["ERROR"]);
    // AccessDeniedError deactivates the client: no reconnect after the 5 s delay.
    await sleep(6000);
    expect(mine(), "no second socket").toHaveLength(1);
  }, 15_000);
});

describe("the connection", () => {
  it("after a dropped socket the SDK reconnects with StompX-Auth-Session-ID = the CONNECTED session, and gets the same session id", async ({
    expect,
  }) => {
    const [a, b] = [await startUser("alice"), await startUser("bob")];
    const { channel, as } = await sharedChannel(a, b);
    const [chatA, chatB] = [await openChat(a, channel), await openChat(b, as(b))];
    const users: any[] = [];
    b.kitty.onCurrentUserChanged((u: any) => users.push(u));
    const replayed = users.length;

    const [first] = b.sockets();
    const connected = receivedFrames(first!).find((f) => f.command === "CONNECTED");
    const session = connected?.headers.session;
    expect(session, "CONNECTED carries a session id").toMatch(/^[^\s:]{16,}$/);
    expect(sentFrames(first!).find((f) => f.command === "CONNECT")?.headers).not.toHaveProperty("StompX-Auth-Session-ID");

    first!.ws.terminate(); // as a network loss would
    await until(
      "bob's SDK connecting again (5 s reconnect delay)",
      () => b.sockets().length === 2 && receivedFrames(b.sockets()[1]!).some((f) => f.command === "CONNECTED"),
      () => sockets.slice(-2).map((s) => s.sent),
      12_000,
    );
    const second = b.sockets()[1]!;
    expect(sentFrames(second).find((f) => f.command === "CONNECT")?.headers["StompX-Auth-Session-ID"]).toBe(session);
    expect(receivedFrames(second).find((f) => f.command === "CONNECTED")?.headers.session, "the same session").toBe(session);

    // The SDK re-subscribes its topics and asks user.relay again: onCurrentUserChanged fires once more.
    await until(
      "the chat session's topics re-subscribed and confirmed",
      () => receiptsArrived(second, [as(b)._topics.self, as(b)._topics.messages]),
      () => second.received,
    );
    await until("onCurrentUserChanged after the reconnect's user.relay", () => users.length > replayed);
    expect(users.at(-1)).toMatchObject({ id: b.user.id, name: b.name });

    await send(a, channel, "after the reconnect");
    await received(chatB, "bob", "after the reconnect");
    await received(chatA, "alice", "after the reconnect");
    await sleep(300);
    expect(
      chatB.bodies().filter((x) => x === "after the reconnect"),
      "once",
    ).toHaveLength(1);
  }, 30_000);

  it("topic MESSAGEs carry a unique ack header; the client's ACK frames are accepted (no ERROR, the connection keeps working)", async ({
    expect,
  }) => {
    const [a, b] = [await startUser("alice"), await startUser("bob")];
    const { channel, as } = await sharedChannel(a, b);
    const chatB = await openChat(b, as(b));
    await openChat(a, channel);
    for (const body of ["ack one", "ack two ✓"]) {
      await send(a, channel, body);
      await received(chatB, "bob", body);
    }
    const [socket] = b.sockets();
    const acks = () => sentFrames(socket!).filter((f) => f.command === "ACK");
    const onTopic = receivedFrames(socket!).filter((f) => f.command === "MESSAGE" && f.headers.destination === as(b)._topics.messages);
    expect(onTopic.length).toBeGreaterThanOrEqual(2);
    const ackIds = onTopic.map((f) => f.headers.ack);
    for (const id of ackIds) expect(typeof id).toBe("string");
    expect(new Set(ackIds).size, "unique ack ids").toBe(ackIds.length);
    await until("bob's ACK for each", () => ackIds.every((id) => acks().some((f) => f.headers.id === id)));

    await ok("a round trip after the ACKs", b.kitty.getCurrentUser());
    expect(receivedFrames(socket!).filter((f) => f.command === "ERROR")).toEqual([]);
    expect(socket!.ws.readyState).toBe(WS.OPEN);
  });

  it("endSession resolves on the server's RECEIPT of DISCONNECT; the socket closes; onCurrentUserChanged(null)", async ({ expect }) => {
    const a = await startUser("alice");
    const changes: any[] = [];
    a.kitty.onCurrentUserChanged((u: any) => changes.push(u));
    const [socket] = a.sockets();
    await step("endSession", a.kitty.endSession());
    const disconnect = sentFrames(socket!).find((f) => f.command === "DISCONNECT");
    expect(disconnect?.headers.receipt).toMatch(/^close-/);
    expect(receivedFrames(socket!).some((f) => f.command === "RECEIPT" && f.headers["receipt-id"] === disconnect?.headers.receipt)).toBe(
      true,
    );
    await until("the socket closing", () => socket!.ws.readyState === WS.CLOSED);
    expect(changes.at(-1)).toBeNull();

    // The same instance can start again, as the same user.
    const again = await ok("startSession again", a.kitty.startSession({ username: a.name }));
    expect(again.session.user.id).toBe(a.user.id);
  });
});

describe("an application that requires authenticated sessions", () => {
  it("starts a session only with one of the user's challenge tokens (base64 StompX-Auth-Params); every other attempt is AccessDeniedError", async ({
    expect,
  }) => {
    const platform = await createApplication(unique("tokens only ✓"));
    const settings = await platform.call("PUT", "/v1/application/settings", { guestUsers: "DISABLED", userCreatedChannels: "ENABLED" });
    expect(settings.status, JSON.stringify(settings.body)).toBe(200);
    const name = unique("holder");
    const user = await createUser(platform, name);
    const token = await createChallengeToken(platform, user);
    const key = platform.application.key;

    const person = await startUser("holder", name, { apiKey: key, authParams: { token } });
    expect(person.user).toMatchObject({ id: user.id, name, isGuest: false });
    const connect = sentFrames(person.sockets()[0]!).find((f) => f.command === "CONNECT")!;
    expect(JSON.parse(Buffer.from(connect.headers["StompX-Auth-Params"]!, "base64").toString("utf8"))).toEqual({ token });

    // One refused attempt at a time: each is a new SDK instance.
    const refused = async (label: string, username: string, authParams?: unknown) => {
      const kitty = newKitty(key);
      const request = authParams === undefined ? { username } : { username, authParams };
      return (await failure(`startSession ${label}`, kitty.startSession(request))).error;
    };
    expect(await refused("without a token", name)).toBe("AccessDeniedError");
    expect(await refused("with a wrong token", name, { token: `${token}x` })).toBe("AccessDeniedError");
    expect(await refused("as an unknown name (no guests here)", unique("guest"), { token })).toBe("AccessDeniedError");
    const other = await createUser(platform, unique("other holder"));
    expect(await refused("with another user's token", other.name, { token })).toBe("AccessDeniedError");
  }, 60_000);
});

describe("both dialects on one server", () => {
  it("a chatkitty@1.1.1 client and a 1.58.2 client in one channel receive each other's messages", async ({ expect }) => {
    // The old SDK over the same tracked WebSocket class; it opens /stompx/websocket with the user in the query.
    const Legacy = require("chatkitty").default;
    const a = await startUser("current");
    const channel = (await ok("createChannel", a.kitty.createChannel({ type: "PUBLIC", name: unique("mixed") }))).channel;
    const chatA = await openChat(a, channel);

    const oldName = unique("legacy");
    const legacy = new Legacy({ apiKey: demo().application.key, host, isSecure: false });
    try {
      const started = await step("1.1.1 startSession", legacy.startSession({ username: oldName }));
      expect(started.succeeded).toBe(true);
      const seen = (await step("1.1.1 getChannel", legacy.getChannel(channel.id))).channel;
      const joined = (await step("1.1.1 joinChannel", legacy.joinChannel({ channel: seen }))).channel;
      const oldMessages: any[] = [];
      legacy.startChatSession({ channel: joined, onReceivedMessage: (m: any) => oldMessages.push(m) });
      await until("the 1.1.1 chat session subscribed", () => Boolean(legacy.client.topics.has(joined._topics.messages)));
      await step("1.1.1 round trip", legacy.getCurrentUser());

      await send(a, channel, "from 1.58.2 ☃");
      await until("1.1.1 receiving the 1.58.2 message", () => oldMessages.some((m) => m.body === "from 1.58.2 ☃"));
      const sent = await step("1.1.1 sendMessage", legacy.sendMessage({ channel: joined, body: "from 1.1.1 ✓" }));
      expect(sent.message.body).toBe("from 1.1.1 ✓");
      const got = await received(chatA, "the 1.58.2 client", "from 1.1.1 ✓");
      expect(got.message.user).toMatchObject({ name: oldName });
      const oldSocket = sockets.find((s) => s.url.includes(`stompx_user=${encodeURIComponent(oldName)}`));
      expect(oldSocket?.url).toMatch(/\/stompx\/websocket\?/);
      // The old dialect's event name reaches the old client.
      expect(receivedFrames(oldSocket!).some((f) => f.body.includes('"type":"thread.message.created"'))).toBe(true);
    } finally {
      legacy.endSession();
    }
  });
});
