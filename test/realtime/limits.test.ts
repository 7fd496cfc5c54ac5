/**
 * Chat-session bounds at their edge (README "Limits"): subscriptions per connection and the size
 * of one WebSocket message. The error is the protocol's: an errors-queue MESSAGE correlated to
 * the refused frame, or, for a message too large to even read, an ERROR frame and a close.
 */
import { describe, it } from "vitest";
import { LIMITS } from "../../src/config";
import { newApplication } from "../helpers/api";
import { connectChat, receipt, sdkFrame, sid } from "../helpers/chat";

describe("chat-session limits", () => {
  it(`accepts ${LIMITS.maxSubscriptionsPerConnection} subscriptions per connection and refuses the next with its ids`, async ({
    expect,
  }) => {
    const app = await newApplication();
    const { client, me } = await connectChat(app, "subscriber");
    // The errors queue is one subscription already; fill the rest with the user's own topic.
    for (let i = 1; i < LIMITS.maxSubscriptionsPerConnection; i++) {
      client.send("SUBSCRIBE", { id: `s-${i}`, destination: me._topics.channels, ack: "auto" });
    }
    await client.fence();
    const lastOk = receipt();
    const over = sid();
    const overReceipt = receipt();
    client.send("SUBSCRIBE", { id: over, destination: me._topics.notifications, ack: "auto", receipt: overReceipt });
    const { frame, body } = await client.error({ subscription: over });
    expect(body.error).toBe("TooManySubscriptionsError");
    expect(frame.headers["receipt-id"]).toBe(overReceipt);
    // Unsubscribing one frees a place: the same SUBSCRIBE now gets its RECEIPT.
    client.send("UNSUBSCRIBE", { id: "s-1" });
    client.send("SUBSCRIBE", { id: over, destination: me._topics.notifications, ack: "auto", receipt: lastOk });
    await client.take("RECEIPT after a place was freed", (f) => f.command === "RECEIPT" && f.headers["receipt-id"] === lastOk);
    client.close();
  });

  it(`refuses a WebSocket message over ${(LIMITS.maxFrameBytes * 4) / 1024} KiB with an ERROR frame and closes only that connection`, async ({
    expect,
  }) => {
    const app = await newApplication();
    const { client } = await connectChat(app, "big-sender");
    const { client: other, me } = await connectChat(app, "bystander");
    const body = JSON.stringify({ type: "TEXT", body: "x".repeat(LIMITS.maxFrameBytes * 4) });
    client.sendRaw(sdkFrame("SEND", { destination: "/application/v1/channels/1.message", receipt: receipt() }, body));
    const error = await client.take("ERROR", (f) => f.command === "ERROR");
    expect(JSON.parse(error.body).error).toBe("InvalidFrameError");
    expect(await client.waitClosed()).toBeTruthy();
    // The shard is not wedged: another session is answered as usual.
    const again = await other.relay(sid(), "/application/v1/users/me.relay");
    expect(again.id).toBe(me.id);
    other.close();
  });
});
