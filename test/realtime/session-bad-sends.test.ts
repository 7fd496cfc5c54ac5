/**
 * Chat sessions at the protocol level (shared/spec/stompx-protocol.md §2–§3): a SEND the server
 * refuses (unknown destination, a relay or topic, a channel the user may not write to, another
 * application's ids, an oversize or invalid body) is answered on the errors queue with the SEND's
 * receipt-id and writes nothing. WebSockets are opened through the Worker's own fetch handler,
 * STOMP frames written byte for byte as the SDK writes them (binary, NUL-terminated, via
 * @stomp/stompjs's marshalling) and read back with the SDK's own parser (test/helpers/chat.ts).
 * Each test makes its own application; tests in this file share D1 and run one at a time.
 */
import { describe, it } from "vitest";
import { setup } from "../helpers/api";
import { connectChat as connect, createChannelInSession, ERRORS_SID, receipt, textMessage } from "../helpers/chat";
import { d1Counts } from "../helpers/db-state";

describe("bad SENDs are answered on the errors queue, with the SEND's receipt-id, and write nothing", () => {
  it("positive control: a member's valid SEND writes one message and resolves on a topic with receipt-id", async ({ expect }) => {
    const { app, createChannel } = await setup();
    const { client, me } = await connect(app, `jane-${crypto.randomUUID()}`);
    const topicReceipt = receipt();
    client.send("SUBSCRIBE", { id: "s-user-channels", destination: me._topics.channels, ack: "auto", receipt: topicReceipt });
    await client.take("RECEIPT", (f) => f.command === "RECEIPT" && f.headers["receipt-id"] === topicReceipt);
    const channel = await createChannel("PUBLIC", "general");
    const joinReceipt = receipt();
    client.send(
      "SEND",
      {
        destination: `/application/v1/channels/${channel.id}.join`,
        "content-type": "application/json;charset=UTF-8",
        receipt: joinReceipt,
      },
      "{}",
    );
    const joined = await client.take("join result", (f) => f.headers["receipt-id"] === joinReceipt);
    expect(joined.headers.subscription).toBe("s-user-channels");
    const before = await d1Counts();
    const sendReceipt = receipt();
    client.send(
      "SEND",
      {
        destination: `/application/v1/channels/${channel.id}.message`,
        "content-type": "application/json;charset=UTF-8",
        receipt: sendReceipt,
      },
      textMessage("hi"),
    );
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
    client.send(
      "SEND",
      { destination: "/application/v1/channels/1.shout", "content-type": "application/json;charset=UTF-8", receipt: r },
      textMessage("x"),
    );
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
    client.send(
      "SEND",
      { destination: `/application/v1/channels/${channel.id}.message`, "content-type": "application/json;charset=UTF-8", receipt: r },
      textMessage("let me in"),
    );
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
      client.send(
        "SEND",
        { destination: `/application/v1/channels/${channel.id}.${action}`, receipt: r },
        action === "message" ? textMessage("x") : "{}",
      );
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
      client.send(
        "SEND",
        { destination: `/application/v1/channels/${foreign.id}.${action}`, receipt: r },
        action === "message" ? textMessage("x") : "{}",
      );
      const { body } = await client.error({ receipt: r });
      expect(body.error, action).toBe("ChannelNotFoundError");
    }
    for (const relay of [
      `/application/v1/channels/${foreign.id}.relay`,
      `/application/v1/channels/${foreign.id}/messages.relay`,
      `/application/v1/channels/${foreign.id}/members.relay`,
    ]) {
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
    const channel = await createChannelInSession(client, me, "big");
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
    const channel = await createChannelInSession(client, me, "c");
    const before = await d1Counts();
    for (const body of [
      "{not json",
      "[1,2]",
      '"text"',
      "null",
      textMessage(""),
      JSON.stringify({ type: "FILE", body: "x" }),
      JSON.stringify({ type: "TEXT", body: 5 }),
    ]) {
      const r = receipt();
      client.send("SEND", { destination: `/application/v1/channels/${channel.id}.message`, receipt: r }, body);
      const { body: error } = await client.error({ receipt: r });
      expect(error.error, body).toMatch(/Error$/);
    }
    // A channel the SDK asks for with a blank name: an error, not a channel.
    const r = receipt();
    client.send(
      "SEND",
      { destination: "/application/v1/users/me.create-channel", receipt: r },
      JSON.stringify({ type: "PUBLIC", name: "  " }),
    );
    expect((await client.error({ receipt: r })).body.error).toBe("InvalidChannelNameError");
    expect(await d1Counts()).toEqual(before);
    client.close();
  });
});
