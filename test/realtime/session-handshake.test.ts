/**
 * Chat sessions at the protocol level (shared/spec/stompx-protocol.md §2–§3): the WebSocket upgrade
 * (101 with the v12.stomp subprotocol, or 426), CONNECT answered with CONNECTED or refused with an
 * ERROR (unknown or missing API key, no user name), heart-beats, and SUBSCRIBE before CONNECT.
 * WebSockets are opened through the Worker's own fetch handler, STOMP frames written byte for byte
 * as the SDK writes them (binary, NUL-terminated, via @stomp/stompjs's marshalling) and read back
 * with the SDK's own parser (test/helpers/chat.ts). Each test makes its own application; tests in
 * this file share D1 and run one at a time.
 */
import { exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import { ORIGIN, setup } from "../helpers/api";
import { ChatClient as Client, connectChat as connect, openChat as open, openSocket, sessionQuery, sleep } from "../helpers/chat";

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
