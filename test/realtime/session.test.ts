/**
 * Chat sessions at the protocol level (shared/spec/stompx-protocol.md §2–§3): WebSockets opened
 * through the Worker's own fetch handler, STOMP frames written byte for byte as the SDK writes
 * them (binary, NUL-terminated, via @stomp/stompjs's marshalling) and read back with the SDK's own
 * parser. Each test makes its own application; tests in this file share D1 and run one at a time.
 */
import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import { ORIGIN, setup } from "../helpers/api";
import {
  ChatClient as Client,
  connectChat,
  ERRORS_SID,
  openChat,
  openSocket,
  receipt,
  sessionQuery,
  sleep,
} from "../helpers/chat";

const utf8 = new TextEncoder();

/** The shared protocol-level client (test/helpers/chat.ts), under this file's short names. */
const open = openChat;
const connect = connectChat;

const count = async (table: "messages" | "channel_members" | "channels") =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<number>("n")) ?? -1;

const d1Counts = async () => ({ messages: await count("messages"), memberships: await count("channel_members"), channels: await count("channels") });

const textMessage = (body: string) => JSON.stringify({ type: "TEXT", body });

describe("chat-session WebSocket handshake", () => {
  it("answers the upgrade with 101 and Sec-WebSocket-Protocol: v12.stomp", async ({ expect }) => {
    const { app } = await setup();
    const res = await openSocket(sessionQuery(app.key, "jane"));
    expect(res.status).toBe(101);
    expect(res.headers.get("Sec-WebSocket-Protocol")).toBe("v12.stomp");
    expect(res.webSocket).toBeTruthy();
    res.webSocket!.accept();
    res.webSocket!.close(1000);
  });

  it("also upgrades (101, v12.stomp) with an unknown API key, to refuse in STOMP rather than HTTP", async ({ expect }) => {
    const res = await openSocket(sessionQuery(crypto.randomUUID(), "jane"));
    expect(res.status).toBe(101);
    expect(res.headers.get("Sec-WebSocket-Protocol")).toBe("v12.stomp");
    expect(res.webSocket).toBeTruthy();
    res.webSocket!.accept();
    res.webSocket!.close(1000);
  });

  it("a plain GET without Upgrade is 426", async ({ expect }) => {
    const res = await exports.default.fetch(new Request(`${ORIGIN}/stompx/websocket?api_key=x&stompx_user=y`));
    expect(res.status).toBe(426);
  });

  it("CONNECT → CONNECTED with version 1.2 and a heart-beat header", async ({ expect }) => {
    const { app } = await setup();
    const client = await open(app.key, `jane-${crypto.randomUUID()}`);
    client.send("CONNECT", { "accept-version": "1.2", "heart-beat": "5000,5000" });
    const connected = await client.take("CONNECTED", (f) => f.command === "CONNECTED");
    expect(connected.headers.version).toBe("1.2");
    expect(connected.headers["heart-beat"]).toMatch(/^\d+,\d+$/);
    expect(client.frames).toEqual([]);
    client.close();
  });

  it("answers a client heart-beat (text \\n) with a heart-beat", async ({ expect }) => {
    const { app } = await setup();
    const { client } = await connect(app, `jane-${crypto.randomUUID()}`);
    const before = client.pings;
    client.ws.send("\n");
    const deadline = Date.now() + 2000;
    while (client.pings === before && Date.now() < deadline) await sleep(10);
    expect(client.pings).toBeGreaterThan(before);
    client.close();
  });

  it.for<[string, () => string]>([
    ["an unknown API key", () => sessionQuery(crypto.randomUUID(), "jane")],
    ["no API key", () => "stompx_user=jane"],
  ])("%s: CONNECT → ERROR with JSON {error: AccessDeniedError}, then close", async ([, query], { expect }) => {
    const res = await openSocket(query());
    const client = new Client(res.webSocket!);
    client.send("CONNECT", { "accept-version": "1.2", "heart-beat": "5000,5000" });
    const error = await client.take("ERROR", (f) => f.command === "ERROR");
    const body = JSON.parse(error.body);
    expect(body).toMatchObject({ error: "AccessDeniedError" });
    expect(typeof body.message).toBe("string");
    expect(client.frames.filter((f) => f.command === "CONNECTED")).toEqual([]);
    expect(await client.waitClosed()).toBeDefined();
  });

  it("no user name (the SDK sends the literal 'undefined'): ERROR AccessDeniedError, then close", async ({ expect }) => {
    const { app } = await setup();
    const client = await open(app.key, "undefined");
    client.send("CONNECT", { "accept-version": "1.2", "heart-beat": "5000,5000" });
    const error = await client.take("ERROR", (f) => f.command === "ERROR");
    expect(JSON.parse(error.body)).toMatchObject({ error: "AccessDeniedError" });
    expect(await client.waitClosed()).toBeDefined();
  });

  it("SUBSCRIBE before CONNECT is ignored (spec §2.4); the CONNECT that follows still succeeds", async ({ expect }) => {
    const { app } = await setup();
    const client = await open(app.key, `jane-${crypto.randomUUID()}`);
    client.send("SUBSCRIBE", { id: "s-early", destination: "/application/v1/users/me.relay", ack: "auto" });
    client.send("CONNECT", { "accept-version": "1.2", "heart-beat": "5000,5000" });
    const connected = await client.take("CONNECTED", (f) => f.command === "CONNECTED" || f.command === "ERROR");
    expect(connected.command).toBe("CONNECTED");
    client.close();
  });
});

describe("malformed frames", () => {
  it.for([
    ["an unknown command", "HELLO\n\n\0"],
    ["an undefined header escape", "SEND\ndestination:/a\\tb\n\n{}\0"],
    ["a wrong content-length", "SEND\ndestination:/application/v1/users/me.update\ncontent-length:99\n\n{}\0"],
    ["no blank line after the headers", "SUBSCRIBE\nid:x\0"],
  ])("%s after CONNECTED → ERROR frame with a JSON error body, then close", async ([, frame], { expect }) => {
    const { app } = await setup();
    const user = `jane-${crypto.randomUUID()}`;
    const { client } = await connect(app, user);
    client.ws.send(utf8.encode(frame));
    const error = await client.take("ERROR", (f) => f.command === "ERROR");
    expect(typeof JSON.parse(error.body).error).toBe("string");
    expect(await client.waitClosed()).toBeDefined();
    // The user's shard is not wedged: a new session of the same user works.
    const again = await connect(app, user);
    expect(again.me.name).toBe(user);
    again.client.close();
  });

  it("frames already in flight after a protocol error are not acted upon: the connection is dead", async ({ expect }) => {
    const { app } = await setup();
    const { client, me } = await connect(app, `jane-${crypto.randomUUID()}`);
    const topicReceipt = receipt();
    client.send("SUBSCRIBE", { id: "s-user-channels", destination: me._topics.channels, ack: "auto", receipt: topicReceipt });
    await client.take("RECEIPT", (f) => f.headers["receipt-id"] === topicReceipt);
    const created = receipt();
    client.send("SEND", { destination: "/application/v1/users/me.create-channel", receipt: created }, JSON.stringify({ type: "PUBLIC", name: "c" }));
    const channel = JSON.parse((await client.take("created channel", (f) => f.headers["receipt-id"] === created)).body).resource;
    const before = await d1Counts();
    client.ws.send(utf8.encode("BOGUS\n\n\0"));
    client.send("SEND", { destination: `/application/v1/channels/${channel.id}.message`, receipt: receipt() }, textMessage("after the ERROR"));
    await client.take("ERROR", (f) => f.command === "ERROR");
    expect(await client.waitClosed()).toBeDefined();
    await sleep(300);
    expect(await d1Counts()).toEqual(before);
  });

  it("garbage instead of CONNECT → ERROR frame, then close", async ({ expect }) => {
    const { app } = await setup();
    const client = await open(app.key, `jane-${crypto.randomUUID()}`);
    client.ws.send(Uint8Array.from([0xff, 0xfe, 0x0a, 0x0a, 0x00]));
    const error = await client.take("ERROR", (f) => f.command === "ERROR");
    expect(typeof JSON.parse(error.body).error).toBe("string");
    expect(await client.waitClosed()).toBeDefined();
  });
});

describe("bad SENDs are answered on the errors queue, with the SEND's receipt-id, and write nothing", () => {
  it("positive control: a member's valid SEND writes one message and resolves on a topic with receipt-id", async ({ expect }) => {
    const { app, createChannel } = await setup();
    const { client, me } = await connect(app, `jane-${crypto.randomUUID()}`);
    const topicReceipt = receipt();
    client.send("SUBSCRIBE", { id: "s-user-channels", destination: me._topics.channels, ack: "auto", receipt: topicReceipt });
    await client.take("RECEIPT", (f) => f.command === "RECEIPT" && f.headers["receipt-id"] === topicReceipt);
    const channel = await createChannel("PUBLIC", "general");
    const joinReceipt = receipt();
    client.send("SEND", { destination: `/application/v1/channels/${channel.id}.join`, "content-type": "application/json;charset=UTF-8", receipt: joinReceipt }, "{}");
    const joined = await client.take("join result", (f) => f.headers["receipt-id"] === joinReceipt);
    expect(joined.headers.subscription).toBe("s-user-channels");
    const before = await d1Counts();
    const sendReceipt = receipt();
    client.send("SEND", { destination: `/application/v1/channels/${channel.id}.message`, "content-type": "application/json;charset=UTF-8", receipt: sendReceipt }, textMessage("hi"));
    const result = await client.take("message result", (f) => f.headers["receipt-id"] === sendReceipt);
    expect(result.command).toBe("MESSAGE");
    expect(JSON.parse(result.body)).toMatchObject({ type: "thread.message.created", resource: { type: "TEXT", body: "hi" } });
    expect((await d1Counts()).messages).toBe(before.messages + 1);
    client.close();
  });

  it("SEND to an unknown destination", async ({ expect }) => {
    const { app } = await setup();
    const { client } = await connect(app, `jane-${crypto.randomUUID()}`);
    const before = await d1Counts();
    const r = receipt();
    client.send("SEND", { destination: "/application/v1/channels/1.shout", "content-type": "application/json;charset=UTF-8", receipt: r }, textMessage("x"));
    const { frame, body } = await client.error({ receipt: r });
    expect(frame.headers.subscription).toBe(ERRORS_SID);
    expect(frame.headers["receipt-id"]).toBe(r);
    expect(typeof body.error).toBe("string");
    expect(typeof body.message).toBe("string");
    expect(Number.isNaN(Date.parse(body.time))).toBe(false);
    expect(await d1Counts()).toEqual(before);
    client.close();
  });

  it("SEND to a relay or a topic (not actions)", async ({ expect }) => {
    const { app } = await setup();
    const { client, me } = await connect(app, `jane-${crypto.randomUUID()}`);
    const before = await d1Counts();
    for (const destination of ["/application/v1/users/me.relay", me._topics.channels, "/user/queue/v1/errors"]) {
      const r = receipt();
      client.send("SEND", { destination, receipt: r }, "{}");
      await client.error({ receipt: r });
    }
    expect(await d1Counts()).toEqual(before);
    client.close();
  });

  it("SEND a message to a PUBLIC channel the user has not joined", async ({ expect }) => {
    const { app, createChannel } = await setup();
    const { client } = await connect(app, `bob-${crypto.randomUUID()}`);
    const channel = await createChannel("PUBLIC", "not-joined");
    const before = await d1Counts();
    const r = receipt();
    client.send("SEND", { destination: `/application/v1/channels/${channel.id}.message`, "content-type": "application/json;charset=UTF-8", receipt: r }, textMessage("let me in"));
    const { body } = await client.error({ receipt: r });
    expect(body.error).toBe("NotAChannelMemberError");
    const r2 = receipt();
    client.send("SEND", { destination: `/application/v1/channels/${channel.id}.read`, receipt: r2 }, "{}");
    await client.error({ receipt: r2 });
    expect(await d1Counts()).toEqual(before);
    client.close();
  });

  it("SEND to a PRIVATE channel of others (message, read, join)", async ({ expect }) => {
    const { app, createChannel } = await setup();
    const { client } = await connect(app, `bob-${crypto.randomUUID()}`);
    const channel = await createChannel("PRIVATE", "secret");
    const before = await d1Counts();
    for (const action of ["message", "read", "join"]) {
      const r = receipt();
      client.send("SEND", { destination: `/application/v1/channels/${channel.id}.${action}`, receipt: r }, action === "message" ? textMessage("x") : "{}");
      const { body } = await client.error({ receipt: r });
      expect(body.error, action).toBe("ChannelNotFoundError");
    }
    expect(await d1Counts()).toEqual(before);
    client.close();
  });

  it("another application's channel id: SEND message/join/read and the channel relay all fail", async ({ expect }) => {
    const mine = await setup();
    const theirs = await setup();
    const foreign = await theirs.createChannel("PUBLIC", "foreign");
    const { client } = await connect(mine.app, `mallory-${crypto.randomUUID()}`);
    const before = await d1Counts();
    for (const action of ["join", "message", "read"]) {
      const r = receipt();
      client.send("SEND", { destination: `/application/v1/channels/${foreign.id}.${action}`, receipt: r }, action === "message" ? textMessage("x") : "{}");
      const { body } = await client.error({ receipt: r });
      expect(body.error, action).toBe("ChannelNotFoundError");
    }
    for (const relay of [`/application/v1/channels/${foreign.id}.relay`, `/application/v1/channels/${foreign.id}/messages.relay`, `/application/v1/channels/${foreign.id}/members.relay`]) {
      const sid = `subscription-id-${crypto.randomUUID()}`;
      client.send("SUBSCRIBE", { id: sid, destination: relay, ack: "auto" });
      const { body } = await client.error({ subscription: sid });
      expect(body.error, relay).toBe("ChannelNotFoundError");
    }
    // Nothing leaked: no MESSAGE other than errors arrived.
    expect(await client.within(200, (f) => f.command === "MESSAGE" && f.headers.destination !== "/user/queue/v1/errors")).toEqual([]);
    expect(await d1Counts()).toEqual(before);
    client.close();
  });

  it("another application's user and message ids: user relay and message read fail", async ({ expect }) => {
    const mine = await setup();
    const theirs = await setup();
    const theirUser = await theirs.createUser();
    const theirChannel = await theirs.createChannel("PUBLIC", "x");
    const posted = await theirs.api.post(`${theirs.urls.channels}/${theirChannel.id}/messages`, { body: "theirs" });
    expect(posted.status).toBe(201);
    const { client } = await connect(mine.app, `mallory-${crypto.randomUUID()}`);
    const sid = `subscription-id-${crypto.randomUUID()}`;
    client.send("SUBSCRIBE", { id: sid, destination: `/application/v1/users/${theirUser.id}.relay`, ack: "auto" });
    expect((await client.error({ subscription: sid })).body.error).toBe("UserNotFoundError");
    const r = receipt();
    client.send("SEND", { destination: `/application/v1/messages/${posted.body.id}.read`, receipt: r }, "{}");
    expect((await client.error({ receipt: r })).body.error).toBe("MessageNotFoundError");
    client.close();
  });

  it("an oversize SEND body (over 64 KiB) → PayloadTooLargeError with receipt-id, nothing written", async ({ expect }) => {
    const { app } = await setup();
    const { client, me } = await connect(app, `jane-${crypto.randomUUID()}`);
    const created = receipt();
    const topicReceipt = receipt();
    client.send("SUBSCRIBE", { id: "s-user-channels", destination: me._topics.channels, ack: "auto", receipt: topicReceipt });
    await client.take("RECEIPT", (f) => f.headers["receipt-id"] === topicReceipt);
    client.send("SEND", { destination: "/application/v1/users/me.create-channel", receipt: created }, JSON.stringify({ type: "PUBLIC", name: "big" }));
    const channel = JSON.parse((await client.take("created channel", (f) => f.headers["receipt-id"] === created)).body).resource;
    const before = await d1Counts();
    const r = receipt();
    client.send("SEND", { destination: `/application/v1/channels/${channel.id}.message`, receipt: r }, textMessage("x".repeat(70_000)));
    const { body } = await client.error({ receipt: r });
    expect(body.error).toBe("PayloadTooLargeError");
    // Over the message length (10,000) but under the frame limit: a validation error.
    const r2 = receipt();
    client.send("SEND", { destination: `/application/v1/channels/${channel.id}.message`, receipt: r2 }, textMessage("y".repeat(10_001)));
    expect((await client.error({ receipt: r2 })).body.error).toBe("InvalidMessageError");
    expect(await d1Counts()).toEqual(before);
    client.close();
  });

  it("invalid bodies: not JSON, not an object, empty message, wrong type", async ({ expect }) => {
    const { app } = await setup();
    const { client, me } = await connect(app, `jane-${crypto.randomUUID()}`);
    const topicReceipt = receipt();
    client.send("SUBSCRIBE", { id: "s-user-channels", destination: me._topics.channels, ack: "auto", receipt: topicReceipt });
    await client.take("RECEIPT", (f) => f.headers["receipt-id"] === topicReceipt);
    const created = receipt();
    client.send("SEND", { destination: "/application/v1/users/me.create-channel", receipt: created }, JSON.stringify({ type: "PUBLIC", name: "c" }));
    const channel = JSON.parse((await client.take("created channel", (f) => f.headers["receipt-id"] === created)).body).resource;
    const before = await d1Counts();
    for (const body of ["{not json", "[1,2]", '"text"', "null", textMessage(""), JSON.stringify({ type: "FILE", body: "x" }), JSON.stringify({ type: "TEXT", body: 5 })]) {
      const r = receipt();
      client.send("SEND", { destination: `/application/v1/channels/${channel.id}.message`, receipt: r }, body);
      const { body: error } = await client.error({ receipt: r });
      expect(error.error, body).toMatch(/Error$/);
    }
    // A channel the SDK asks for with a blank name: an error, not a channel.
    const r = receipt();
    client.send("SEND", { destination: "/application/v1/users/me.create-channel", receipt: r }, JSON.stringify({ type: "PUBLIC", name: "  " }));
    expect((await client.error({ receipt: r })).body.error).toBe("InvalidChannelNameError");
    expect(await d1Counts()).toEqual(before);
    client.close();
  });
});

describe("relays, topics and DISCONNECT", () => {
  it("answers a relay once per subscription id: re-SUBSCRIBE with the same id gets no second MESSAGE", async ({ expect }) => {
    const { app } = await setup();
    const user = `jane-${crypto.randomUUID()}`;
    const { client } = await connect(app, user);
    const sid = `subscription-id-${crypto.randomUUID()}`;
    const first = await client.relay(sid, "/application/v1/users/me.relay");
    expect(first.name).toBe(user);
    client.send("SUBSCRIBE", { id: sid, destination: "/application/v1/users/me.relay", ack: "auto" });
    // The connection is alive (another relay is answered), yet the repeated id got nothing.
    const other = await client.relay(`subscription-id-${crypto.randomUUID()}`, "/application/v1/users/me/unread-channels.count.relay");
    expect(other).toEqual({ count: 0 });
    expect(await client.within(200, (f) => f.headers.subscription === sid)).toEqual([]);
    client.close();
  });

  it("remembers answered relay ids across a reconnect of the same user (spec §2.8)", async ({ expect }) => {
    const { app } = await setup();
    const user = `jane-${crypto.randomUUID()}`;
    const first = await connect(app, user);
    const sid = `subscription-id-${crypto.randomUUID()}`;
    await first.client.relay(sid, "/application/v1/users/me/channels.relay");
    first.client.close();
    const second = await connect(app, user);
    second.client.send("SUBSCRIBE", { id: sid, destination: "/application/v1/users/me/channels.relay", ack: "auto" });
    await second.client.relay(`subscription-id-${crypto.randomUUID()}`, "/application/v1/users/me.relay");
    expect(await second.client.within(200, (f) => f.headers.subscription === sid)).toEqual([]);
    second.client.close();
  });

  it("a relay MESSAGE carries subscription, destination and a JSON {resource}", async ({ expect }) => {
    const { app } = await setup();
    const { client } = await connect(app, `jane-${crypto.randomUUID()}`);
    client.send("SUBSCRIBE", { id: "s-page", destination: "/application/v1/users/me/channels.relay", ack: "auto" });
    const frame = await client.take("page", (f) => f.headers.subscription === "s-page");
    expect(frame.command).toBe("MESSAGE");
    expect(frame.headers.destination).toBe("/application/v1/users/me/channels.relay");
    expect(frame.headers["receipt-id"]).toBeUndefined();
    const { resource } = JSON.parse(frame.body);
    expect(resource).toMatchObject({ _embedded: { channels: [] }, _relays: { self: expect.any(String) } });
    client.close();
  });

  it("a topic SUBSCRIBE with a receipt gets its RECEIPT (own user topics, channel topics)", async ({ expect }) => {
    const { app, createChannel } = await setup();
    const { client, me } = await connect(app, `jane-${crypto.randomUUID()}`);
    const channel = await createChannel("PUBLIC", "t");
    for (const destination of [me._topics.channels, me._topics.notifications, `/topic/v1/channels/${channel.id}`, `/topic/v1/channels/${channel.id}/messages`]) {
      const r = receipt();
      client.send("SUBSCRIBE", { id: `subscription-id-${crypto.randomUUID()}`, destination, ack: "auto", receipt: r });
      const frame = await client.take(`RECEIPT for ${destination}`, (f) => f.command === "RECEIPT" && f.headers["receipt-id"] === r);
      expect(frame.body).toBe("");
    }
    client.close();
  });

  it("a topic the user may not read still gets its RECEIPT, but no events (another user's topic, a PRIVATE channel)", async ({ expect }) => {
    const { app, api, urls, createChannel } = await setup();
    const other = await connect(app, `other-${crypto.randomUUID()}`);
    const { client } = await connect(app, `eve-${crypto.randomUUID()}`);
    const secret = await createChannel("PRIVATE", "secret");
    const destinations = [other.me._topics.channels, other.me._topics.notifications, `/topic/v1/channels/${secret.id}/messages`, `/topic/v1/channels/${secret.id}`];
    for (const destination of destinations) {
      const r = receipt();
      client.send("SUBSCRIBE", { id: `subscription-id-${crypto.randomUUID()}`, destination, ack: "auto", receipt: r });
      await client.take(`RECEIPT for ${destination}`, (f) => f.command === "RECEIPT" && f.headers["receipt-id"] === r);
    }
    expect((await api.post(`${urls.channels}/${secret.id}/messages`, { body: "for members only" })).status).toBe(201);
    expect(await client.within(500, (f) => f.command === "MESSAGE" && f.headers.destination !== "/user/queue/v1/errors")).toEqual([]);
    expect(client.closed).toBeUndefined();
    other.client.close();
    client.close();
  });

  it("a SUBSCRIBE to an unknown destination or to an action → errors queue with subscription-id", async ({ expect }) => {
    const { app } = await setup();
    const { client } = await connect(app, `jane-${crypto.randomUUID()}`);
    for (const destination of ["", "/topic/v1/whatever", "/application/v1/users/me.update"]) {
      const sid = `subscription-id-${crypto.randomUUID()}`;
      client.send("SUBSCRIBE", { id: sid, destination, ack: "auto" });
      const { frame } = await client.error({ subscription: sid });
      expect(frame.headers.subscription).toBe(ERRORS_SID);
    }
    client.close();
  });

  it("DISCONNECT with a receipt → RECEIPT with that receipt-id, then the socket closes", async ({ expect }) => {
    const { app } = await setup();
    const { client } = await connect(app, `jane-${crypto.randomUUID()}`);
    client.send("DISCONNECT", { receipt: "close-0" });
    const frame = await client.take("RECEIPT close-0", (f) => f.command === "RECEIPT");
    expect(frame.headers["receipt-id"]).toBe("close-0");
    expect(await client.waitClosed()).toBeDefined();
  });
});

describe("never a wedged session", () => {
  it("after a burst of bad input, each answered in order, the same connection still answers a relay", async ({ expect }) => {
    const { app, createChannel } = await setup();
    const theirs = await setup();
    const foreign = await theirs.createChannel("PUBLIC", "foreign");
    const user = `jane-${crypto.randomUUID()}`;
    const { client } = await connect(app, user);
    const notJoined = await createChannel("PUBLIC", "nj");
    const before = await d1Counts();
    const receipts: string[] = [];
    const sendBad = (destination: string, body: string) => {
      const r = receipt();
      receipts.push(r);
      client.send("SEND", { destination, "content-type": "application/json;charset=UTF-8", receipt: r }, body);
    };
    // Sent back to back, without waiting: the server queues them.
    sendBad("/nowhere", "{}");
    sendBad(`/application/v1/channels/${notJoined.id}.message`, textMessage("x"));
    sendBad(`/application/v1/channels/${foreign.id}.message`, textMessage("x"));
    sendBad(`/application/v1/channels/${foreign.id}.join`, "{}");
    sendBad(`/application/v1/channels/${notJoined.id}.message`, textMessage("z".repeat(70_000)));
    sendBad("/application/v1/users/me.update", "{oops");
    sendBad("/application/v1/users/me.update", JSON.stringify({ properties: "not an object" }));
    sendBad("/application/v1/users/me.create-channel", JSON.stringify({ type: "DIRECTISH", name: "x" }));
    sendBad("/application/v1/users/me.create-channel", JSON.stringify({ type: "PRIVATE", name: "x", members: [{ id: 9_007_199_254_740_991 }] }));
    sendBad("/application/v1/messages/9007199254740991.read", "{}");
    client.send("SUBSCRIBE", { id: "s-unknown", destination: "/application/v1/channels/999999999.relay", ack: "auto" });
    client.send("SUBSCRIBE", { id: "s-no-user", destination: "/application/v1/users/999999999.relay", ack: "auto" });
    client.send("SUBSCRIBE", { destination: "/topic/v1/channels/1", ack: "auto" }); // no id
    client.send("ACK", { id: "x" });
    const alive = `subscription-id-${crypto.randomUUID()}`;
    client.send("SUBSCRIBE", { id: alive, destination: "/application/v1/users/me.relay", ack: "auto" });

    const me = await client.take("the final relay reply", (f) => f.headers.subscription === alive);
    expect(JSON.parse(me.body).resource.name).toBe(user);
    const errorReceipts = client.frames.filter((f) => f.headers.destination === "/user/queue/v1/errors" && f.headers["receipt-id"]).map((f) => f.headers["receipt-id"]);
    expect(errorReceipts).toEqual(receipts);
    await client.error({ subscription: "s-unknown" });
    await client.error({ subscription: "s-no-user" });
    expect(client.closed).toBeUndefined();
    expect(await d1Counts()).toEqual(before);

    // And a valid action still works on it.
    const topicReceipt = receipt();
    client.send("SUBSCRIBE", { id: "s-user-channels", destination: `/topic/v1/users/${JSON.parse(me.body).resource.id}/channels`, ack: "auto", receipt: topicReceipt });
    await client.take("RECEIPT", (f) => f.headers["receipt-id"] === topicReceipt);
    const join = receipt();
    client.send("SEND", { destination: `/application/v1/channels/${notJoined.id}.join`, receipt: join }, "{}");
    const joined = await client.take("join result", (f) => f.headers["receipt-id"] === join);
    expect(JSON.parse(joined.body).resource).toMatchObject({ id: notJoined.id });
    client.close();
  });

  it("a frame larger than the limit closes only that connection; the user's next session works", async ({ expect }) => {
    const { app } = await setup();
    const user = `jane-${crypto.randomUUID()}`;
    const bystander = await connect(app, user);
    const { client } = await connect(app, user);
    client.send("SEND", { destination: "/application/v1/users/me.update", receipt: receipt() }, JSON.stringify({ displayName: "x".repeat(300_000) }));
    const error = await client.take("ERROR", (f) => f.command === "ERROR");
    expect(typeof JSON.parse(error.body).error).toBe("string");
    expect(await client.waitClosed()).toBeDefined();
    // The other connection of the same user (same shard) is unaffected.
    const still = await bystander.client.relay(`subscription-id-${crypto.randomUUID()}`, "/application/v1/users/me.relay");
    expect(still.name).toBe(user);
    bystander.client.close();
  });
});
