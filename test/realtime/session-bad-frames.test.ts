/**
 * Chat sessions at the protocol level (shared/spec/stompx-protocol.md §2–§3): malformed frames end
 * the connection with an ERROR frame (and frames already in flight are not acted upon), while
 * neither a burst of bad input nor an oversize frame wedges the user's other sessions. WebSockets
 * are opened through the Worker's own fetch handler, STOMP frames written byte for byte as the SDK
 * writes them (binary, NUL-terminated, via @stomp/stompjs's marshalling) and read back with the
 * SDK's own parser (test/helpers/chat.ts). Each test makes its own application; tests in this file
 * share D1 and run one at a time.
 */
import { describe, it } from "vitest";
import { setup } from "../helpers/api";
import { connectChat as connect, createChannelInSession, openChat as open, receipt, sleep, textMessage } from "../helpers/chat";
import { d1Counts } from "../helpers/db-state";

const utf8 = new TextEncoder();

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
    const channel = await createChannelInSession(client, me, "c");
    const before = await d1Counts();
    client.ws.send(utf8.encode("BOGUS\n\n\0"));
    client.send(
      "SEND",
      { destination: `/application/v1/channels/${channel.id}.message`, receipt: receipt() },
      textMessage("after the ERROR"),
    );
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
    sendBad(
      "/application/v1/users/me.create-channel",
      JSON.stringify({ type: "PRIVATE", name: "x", members: [{ id: 9_007_199_254_740_991 }] }),
    );
    sendBad("/application/v1/messages/9007199254740991.read", "{}");
    client.send("SUBSCRIBE", { id: "s-unknown", destination: "/application/v1/channels/999999999.relay", ack: "auto" });
    client.send("SUBSCRIBE", { id: "s-no-user", destination: "/application/v1/users/999999999.relay", ack: "auto" });
    client.send("SUBSCRIBE", { destination: "/topic/v1/channels/1", ack: "auto" }); // no id
    client.send("ACK", { id: "x" });
    const alive = `subscription-id-${crypto.randomUUID()}`;
    client.send("SUBSCRIBE", { id: alive, destination: "/application/v1/users/me.relay", ack: "auto" });

    const me = await client.take("the final relay reply", (f) => f.headers.subscription === alive);
    expect(JSON.parse(me.body).resource.name).toBe(user);
    const errorReceipts = client.frames
      .filter((f) => f.headers.destination === "/user/queue/v1/errors" && f.headers["receipt-id"])
      .map((f) => f.headers["receipt-id"]);
    expect(errorReceipts).toEqual(receipts);
    await client.error({ subscription: "s-unknown" });
    await client.error({ subscription: "s-no-user" });
    expect(client.closed).toBeUndefined();
    expect(await d1Counts()).toEqual(before);

    // And a valid action still works on it.
    const topicReceipt = receipt();
    client.send("SUBSCRIBE", {
      id: "s-user-channels",
      destination: `/topic/v1/users/${JSON.parse(me.body).resource.id}/channels`,
      ack: "auto",
      receipt: topicReceipt,
    });
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
    client.send(
      "SEND",
      { destination: "/application/v1/users/me.update", receipt: receipt() },
      JSON.stringify({ displayName: "x".repeat(300_000) }),
    );
    const error = await client.take("ERROR", (f) => f.command === "ERROR");
    expect(typeof JSON.parse(error.body).error).toBe("string");
    expect(await client.waitClosed()).toBeDefined();
    // The other connection of the same user (same shard) is unaffected.
    const still = await bystander.client.relay(`subscription-id-${crypto.randomUUID()}`, "/application/v1/users/me.relay");
    expect(still.name).toBe(user);
    bystander.client.close();
  });
});
