/**
 * Chat sessions at the protocol level (shared/spec/stompx-protocol.md §2–§3): relays answered once
 * per subscription id (also across a reconnect), the shape of a relay MESSAGE, topic SUBSCRIBEs and
 * their RECEIPTs (no events from topics the user may not read), unknown destinations, DISCONNECT.
 * WebSockets are opened through the Worker's own fetch handler, STOMP frames written byte for byte
 * as the SDK writes them (binary, NUL-terminated, via @stomp/stompjs's marshalling) and read back
 * with the SDK's own parser (test/helpers/chat.ts). Each test makes its own application; tests in
 * this file share D1 and run one at a time.
 */
import { describe, it } from "vitest";
import { setup } from "../helpers/api";
import { connectChat as connect, ERRORS_SID, receipt } from "../helpers/chat";

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
    for (const destination of [
      me._topics.channels,
      me._topics.notifications,
      `/topic/v1/channels/${channel.id}`,
      `/topic/v1/channels/${channel.id}/messages`,
    ]) {
      const r = receipt();
      client.send("SUBSCRIBE", { id: `subscription-id-${crypto.randomUUID()}`, destination, ack: "auto", receipt: r });
      const frame = await client.take(`RECEIPT for ${destination}`, (f) => f.command === "RECEIPT" && f.headers["receipt-id"] === r);
      expect(frame.body).toBe("");
    }
    client.close();
  });

  it("a topic the user may not read still gets its RECEIPT, but no events (another user's topic, a PRIVATE channel)", async ({
    expect,
  }) => {
    const { app, api, urls, createChannel } = await setup();
    const other = await connect(app, `other-${crypto.randomUUID()}`);
    const { client } = await connect(app, `eve-${crypto.randomUUID()}`);
    const secret = await createChannel("PRIVATE", "secret");
    const destinations = [
      other.me._topics.channels,
      other.me._topics.notifications,
      `/topic/v1/channels/${secret.id}/messages`,
      `/topic/v1/channels/${secret.id}`,
    ];
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
