/**
 * The frame budget of a chat-session connection (src/durable/frame-rate.ts): first the counter on
 * its own with a fake clock, then a real session whose shard is given a budget of 3 frames per
 * 10 s on a clock the test moves (wrangler.toml's 300 is far above what any test sends).
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { FrameRate } from "../../src/durable/frame-rate";
import type { SessionShard } from "../../src/durable/session-shard";
import { sessionShardStub, shardName } from "../../src/chat/live";
import { newApplication } from "../helpers/api";
import { connectChat, receipt, sid, type ChatClient } from "../helpers/chat";

const frame = (command: string, headers: Record<string, string> = {}) => ({ command, headers, body: "" });

describe("FrameRate", () => {
  it("passes the frame at the bound and refuses the next SEND or SUBSCRIBE, with its correlation", ({ expect }) => {
    let now = 1_000_000;
    const budget = new FrameRate(3, 10_000, () => now);
    for (let i = 0; i < 3; i++) expect(budget.check("c1", frame("SEND", { receipt: `r${i}` }))).toBeUndefined();
    const send = budget.check("c1", frame("SEND", { destination: "/x", receipt: "r3" }));
    expect(send?.error.error).toBe("TooManyRequestsError");
    expect(send?.error.message).toBe("A chat session may send at most 3 frames per 10 s; retry in 10 s");
    expect(send?.correlation).toEqual({ "receipt-id": "r3" });
    now += 4_500;
    const subscribe = budget.check("c1", frame("SUBSCRIBE", { id: "s1", destination: "/t", receipt: "r4" }));
    expect(subscribe?.correlation).toEqual({ "subscription-id": "s1", "receipt-id": "r4" });
    expect(subscribe?.error.message).toMatch(/retry in 6 s$/);
    // Frames that only release things, or that do nothing, are never refused.
    for (const command of ["UNSUBSCRIBE", "DISCONNECT", "ACK"]) expect(budget.check("c1", frame(command, { id: "s1" }))).toBeUndefined();
  });

  it("starts a new window after 10 s, and counts each connection apart", ({ expect }) => {
    let now = 0;
    const budget = new FrameRate(1, 10_000, () => now);
    expect(budget.check("c1", frame("SEND"))).toBeUndefined();
    expect(budget.check("c1", frame("SEND"))).toBeDefined();
    expect(budget.check("c2", frame("SEND"))).toBeUndefined();
    now = 9_999;
    expect(budget.check("c1", frame("SEND"))).toBeDefined();
    now = 10_000;
    expect(budget.check("c1", frame("SEND"))).toBeUndefined();
    expect(budget.check("c1", frame("SEND"))).toBeDefined();
    budget.forget("c1");
    expect(budget.check("c1", frame("SEND"))).toBeUndefined();
  });

  it("gives a session shard the budget of RATE_LIMIT_SESSION_FRAMES_PER_10S (300 per 10 s)", async ({ expect }) => {
    const stub = sessionShardStub(env, `budget-${crypto.randomUUID()}`);
    const budget = await runInDurableObject(stub, (shard: SessionShard) => shard.frameRate);
    expect([budget.limit, budget.windowMs]).toEqual([300, 10_000]);
  });
});

describe("a chat session over its frame budget", () => {
  const LIMIT = 3;

  /** `me.update` with a receipt; its result comes back on the connection's user-channels topic. */
  const update = (client: ChatClient, displayName: string) => {
    const r = receipt();
    client.send(
      "SEND",
      { destination: "/application/v1/users/me.update", receipt: r, "content-type": "application/json;charset=UTF-8" },
      JSON.stringify({ displayName }),
    );
    return r;
  };
  const result = async (client: ChatClient, r: string) =>
    JSON.parse((await client.take(`result of ${r}`, (f) => f.command === "MESSAGE" && f.headers["receipt-id"] === r)).body).resource as {
      displayName: string;
    };

  it("gets errors with its receipts, performs nothing, stays open, and works again after the window", async ({ expect }) => {
    const app = await newApplication();
    const name = `jane-${crypto.randomUUID()}`;
    const { client, me } = await connectChat(app, name);
    await client.subscribe(sid(), me._topics.channels);

    // This shard's budget becomes 3 frames per 10 s, on a clock the test moves.
    let now = Date.now();
    const stub = sessionShardStub(env, shardName(env, app.id, name));
    await runInDurableObject(stub, (shard: SessionShard) => {
      shard.frameRate = new FrameRate(LIMIT, 10_000, () => now);
    });

    const accepted = [update(client, "one"), update(client, "two"), update(client, "three")];
    expect((await result(client, accepted[2]!)).displayName).toBe("three");

    const refusedSend = update(client, "four");
    const sendError = await client.error({ receipt: refusedSend });
    expect(sendError.body.error).toBe("TooManyRequestsError");
    expect(sendError.body.message).toMatch(/at most 3 frames per 10 s; retry in \d+ s/);

    const refusedRelay = sid();
    client.send("SUBSCRIBE", { id: refusedRelay, destination: "/application/v1/users/me.relay", ack: "auto" });
    expect((await client.error({ subscription: refusedRelay })).body.error).toBe("TooManyRequestsError");

    const refusedTopic = { id: sid(), receipt: receipt() };
    client.send("SUBSCRIBE", { ...refusedTopic, destination: me._topics.notifications, ack: "auto" });
    const topicError = await client.error({ receipt: refusedTopic.receipt, subscription: refusedTopic.id });
    expect(topicError.body.error).toBe("TooManyRequestsError");

    // Nothing refused was performed: no result, no RECEIPT, no relay answer; the socket is open.
    const answers = await client.within(
      200,
      (f) =>
        [refusedSend, refusedTopic.receipt].includes(f.headers["receipt-id"] ?? "") ||
        [refusedRelay, refusedTopic.id].includes(f.headers.subscription ?? ""),
    );
    expect(answers).toEqual([]);
    expect(client.closed).toBeUndefined();
    const displayName = () => env.DB.prepare("SELECT display_name AS n FROM users WHERE id = ?").bind(me.id).first<string>("n");
    expect(await displayName()).toBe("three");

    // Another connection of the same user (same shard, same clock) has its own budget: its
    // errors-queue SUBSCRIBE and `me` relay, then a third frame, all answered.
    const other = await connectChat(app, name);
    expect((await other.client.relay(sid(), "/application/v1/users/me.relay")).displayName).toBe("three");

    // After the window the first connection works again.
    now += 10_000;
    expect((await result(client, update(client, "five"))).displayName).toBe("five");
    expect(await displayName()).toBe("five");
    expect(client.closed).toBeUndefined();

    // Over the budget again, DISCONNECT is still honoured: the session can always end cleanly.
    for (let i = 0; i < LIMIT; i++) update(client, `again ${i}`);
    client.send("DISCONNECT", { receipt: "close-0" });
    await client.take("RECEIPT close-0", (f) => f.command === "RECEIPT" && f.headers["receipt-id"] === "close-0");
    other.client.close();
  });
});
