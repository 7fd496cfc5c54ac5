/**
 * Nothing a chat-session client sends grows storage or memory without bound: header sizes,
 * subscriptions and remembered relay ids are bounded per connection and forgotten after it ends;
 * an upload is counted as it streams and stopped at the limit; a bare upgrade writes nothing
 * (users are created only by a valid CONNECT), floods of upgrades are refused per address and per
 * application, and sockets refused for a bad key are closed at their first frame.
 */
import { createExecutionContext, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import worker from "../../src/index";
import { FrameRate } from "../../src/durable/frame-rate";
import type { SessionShard } from "../../src/durable/session-shard";
import { sessionShardStub, shardName } from "../../src/chat/live";
import { MAX_RELAY_ANSWERS_PER_CONNECTION, RECONNECT_WINDOW_MS } from "../../src/durable/subscription-store";
import { fetchWorker, ORIGIN, setup } from "../helpers/api";
import { ChatClient, connectChat, openChat, openSocket, sessionQuery, sid } from "../helpers/chat";

const shardOf = (appId: number, name: string) => sessionShardStub(env, shardName(env, appId, name));

const rowsOf = (appId: number, name: string) =>
  runInDurableObject(shardOf(appId, name), (_i, state) => ({
    subscriptions: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM subscriptions").one().n,
    relays: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM relay_answers").one().n,
    bytes: state.storage.sql.databaseSize,
  }));

/** Local limiters count in clock-aligned minutes: start a counted run well inside one. */
const startOfWindow = async () => {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 5_000) await new Promise((r) => setTimeout(r, left + 100));
};

const usersNamed = async (w: Awaited<ReturnType<typeof setup>>, name: string) =>
  (await w.api.get(`${w.urls.users}?name=${encodeURIComponent(name)}`)).body.page.totalElements as number;

describe("STOMP headers", () => {
  it("an id or receipt longer than 256 characters ends the connection and stores nothing; 256 is accepted", async ({ expect }) => {
    const w = await setup();
    const name = `jane-${crypto.randomUUID()}`;
    const { client, me } = await connectChat(w.app, name);
    const before = await rowsOf(w.app.id, name);
    await client.subscribe("s".repeat(256), me._topics.channels);
    client.send("SUBSCRIBE", { id: "x".repeat(200_000), destination: me._topics.notifications, ack: "auto" });
    const error = await client.take("ERROR frame", (f) => f.command === "ERROR");
    expect(JSON.parse(error.body).error).toBe("InvalidFrameError");
    expect((await client.waitClosed())?.code).toBe(1002);
    const after = await rowsOf(w.app.id, name);
    expect(after.subscriptions).toBe(0);
    expect(after.bytes).toBeLessThan(before.bytes + 64 * 1024);

    const other = await connectChat(w.app, name);
    other.client.send("SEND", { destination: "/application/v1/users/me.update", receipt: "r".repeat(257) }, "{}");
    expect((await other.client.waitClosed())?.code).toBe(1002);
  });
});

describe("relay ids remembered for reconnects", () => {
  it("are bounded per connection, keeping the first (me) relay", async ({ expect }) => {
    const w = await setup();
    const name = `jane-${crypto.randomUUID()}`;
    const meSid = sid();
    const { client } = await connectChat(w.app, name, meSid);
    // The frame budget (300 per 10 s) would refuse most of these; lift it for this shard.
    await runInDurableObject(shardOf(w.app.id, name), (shard: SessionShard) => {
      shard.frameRate = new FrameRate(1_000_000);
    });
    const extra = 5;
    for (let i = 0; i < MAX_RELAY_ANSWERS_PER_CONNECTION + extra; i++) {
      client.send("SUBSCRIBE", { id: `relay-${i}`, destination: "/application/v1/users/me/unread-channels.count.relay", ack: "auto" });
    }
    await client.fence(30_000);
    const { relays } = await rowsOf(w.app.id, name);
    expect(relays).toBeLessThanOrEqual(MAX_RELAY_ANSWERS_PER_CONNECTION);
    // The `me` relay is still remembered: re-subscribing it is not answered again.
    client.send("SUBSCRIBE", { id: meSid, destination: "/application/v1/users/me.relay", ack: "auto" });
    await client.fence();
    expect(client.frames.filter((f) => f.headers.subscription === meSid)).toEqual([]);
    client.close();
  }, 60_000);

  it("are forgotten once the reconnect window after their connection ends has passed", async ({ expect }) => {
    const w = await setup();
    const name = `jane-${crypto.randomUUID()}`;
    const { client } = await connectChat(w.app, name);
    client.close();
    await client.waitClosed();
    const shard = shardOf(w.app.id, name);
    const remaining = await runInDurableObject(shard, (_i, state) => {
      const sql = state.storage.sql;
      const ended = sql.exec<{ n: number }>("SELECT count(*) AS n FROM relay_answers WHERE ended_at IS NOT NULL").one().n;
      // Age the rows past the window, then let the next CONNECT sweep them.
      sql.exec("UPDATE relay_answers SET ended_at = ended_at - ?", RECONNECT_WINDOW_MS + 1);
      return ended;
    });
    expect(remaining).toBeGreaterThan(0);
    const next = await connectChat(w.app, name);
    expect((await rowsOf(w.app.id, name)).relays).toBe(1); // only the new connection's `me` relay
    next.client.close();
  });
});

describe("the session upload stream", () => {
  it("stops reading a chunked body past the limit and answers 413", async ({ expect }) => {
    const w = await setup();
    const name = `jane-${crypto.randomUUID()}`;
    const { client } = await connectChat(w.app, name);
    const { grant } = (await client.relay(sid(), "/application/v1/users/me/write-file-access-grant.relay")) as { grant: string };
    const channel = await w.createChannel("PUBLIC", "uploads");
    const chunk = new Uint8Array(64 * 1024);
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 2_000)
          controller.close(); // 128 MiB: far more than the server may read
        else controller.enqueue(chunk);
      },
    });
    const res = await fetchWorker(`/stompx/v1/channels/${channel.id}/messages`, {
      method: "POST",
      headers: { Grant: grant, "Content-Type": "multipart/form-data; boundary=x" },
      body: endless,
      // @ts-expect-error workerd needs duplex for a streamed request body
      duplex: "half",
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toBe("PayloadTooLargeError");
    // MAX_FILE_BYTES is 1 MiB in tests: the server read about 17 chunks, not 2,000.
    expect(pulled).toBeLessThan(100);
    client.close();
  });
});

describe("upgrades", () => {
  it("a bare upgrade creates no user; a valid CONNECT does", async ({ expect }) => {
    const w = await setup();
    const name = `guest-${crypto.randomUUID()}`;
    const bare: ChatClient[] = [];
    for (let i = 0; i < 5; i++) bare.push(await openChat(w.app.key, name));
    for (const c of bare) c.sendRaw("\n"); // heart-beats only, never a CONNECT
    await new Promise((r) => setTimeout(r, 200));
    expect(await usersNamed(w, name)).toBe(0);
    const { me } = await connectChat(w.app, name);
    expect(await usersNamed(w, name)).toBe(1);
    expect(me.name).toBe(name);
    for (const c of bare) c.close();
  });

  it("a socket refused for a bad key gets its ERROR and is closed at its first frame, even a heart-beat", async ({ expect }) => {
    const res = await openSocket(sessionQuery("not-a-key", "jane"));
    const client = new ChatClient(res.webSocket!);
    client.sendRaw("\n");
    const error = await client.take("ERROR frame", (f) => f.command === "ERROR", 1000);
    expect(JSON.parse(error.body).error).toBe("AccessDeniedError");
    expect((await client.waitClosed(1000))?.code).toBe(1008);
  });

  it("are limited per client address: past the limit a plain 429 with Retry-After, before any lookup", async ({ expect }) => {
    const w = await setup();
    const limited = { ...env, SESSION_ADDRESS_RATE_LIMITER: env.TEST_TINY_RATE_LIMITER };
    const address = `198.51.100.${Math.floor(Math.random() * 250)}`;
    await startOfWindow();
    const upgrade = () =>
      worker.fetch(
        new Request(`${ORIGIN}/stompx/websocket?${sessionQuery(w.app.key, "jane")}`, {
          headers: { Upgrade: "websocket", "CF-Connecting-IP": address },
        }),
        limited,
        createExecutionContext(),
      );
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await upgrade();
      statuses.push(res.status);
      res.webSocket?.accept();
      res.webSocket?.close();
      if (res.status === 429) {
        expect(res.headers.get("Retry-After")).toBe("60");
        expect(((await res.json()) as { error: string }).error).toBe("TooManyRequestsError");
      }
    }
    expect(statuses).toEqual([101, 101, 101, 429]);
  });

  it("are limited per application, whatever the address", async ({ expect }) => {
    const w = await setup();
    const limited = { ...env, SESSION_APP_RATE_LIMITER: env.TEST_TINY_RATE_LIMITER };
    const statuses: number[] = [];
    await startOfWindow();
    for (let i = 0; i < 4; i++) {
      const res = await worker.fetch(
        new Request(`${ORIGIN}/stompx/websocket?${sessionQuery(w.app.key, "jane")}`, {
          headers: { Upgrade: "websocket", "CF-Connecting-IP": `203.0.113.${i}` },
        }),
        limited,
        createExecutionContext(),
      );
      statuses.push(res.status);
      res.webSocket?.accept();
      res.webSocket?.close();
    }
    expect(statuses).toEqual([101, 101, 101, 429]);
    // Another application is not affected.
    const other = await setup();
    const res = await openSocket(sessionQuery(other.app.key, "jane"));
    expect(res.status).toBe(101);
  });
});
