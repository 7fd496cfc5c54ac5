/**
 * A burst of messages into one channel reaches every subscriber once and in order. The room sends
 * each session shard one call at a time and batches what queued up meanwhile
 * (durable/channel-room.ts), so a burst is where reordering or loss would show.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { channelRoomStub } from "../../src/chat/live";
import { setup } from "../helpers/api";
import { type ChatClient, connectChat, sid, sleep } from "../helpers/chat";

const BURST = 60;

/** The bodies of the MESSAGE frames on subscription `id`, in arrival order, once `count` arrived. */
const bodiesOn = async (client: ChatClient, id: string, count: number, ms = 5000): Promise<string[]> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const frames = client.frames.filter((f) => f.command === "MESSAGE" && f.headers.subscription === id);
    if (frames.length >= count || Date.now() > deadline) {
      return frames.map((f) => (JSON.parse(f.body) as { resource: { body: string } }).resource.body);
    }
    await sleep(20);
  }
};

describe("a burst of messages into one OPEN channel", () => {
  it("reaches sessions on several shards once each, in the order the room sequenced them", async ({ expect }) => {
    const s = await setup();
    const channel = await s.createChannel("OPEN");
    const topic = `/topic/v1/channels/${channel.id}/messages`;
    // Users are spread over the shards by name: six sessions land on more than one shard.
    const sessions = await Promise.all(["ada", "bob", "cyd", "dee", "eve", "fay"].map((name) => connectChat(s.app, `burst-${name}`)));
    const ids = sessions.map(() => sid());
    await Promise.all(sessions.map(({ client }, i) => client.subscribe(ids[i]!, topic)));
    const room = channelRoomStub(env, s.app.id, channel.id);
    // Not awaited one by one: later calls queue at the room while earlier deliveries are in flight.
    const posted = await Promise.all(
      Array.from({ length: BURST }, (_, i) => room.post(channel.id, { type: "SYSTEM_TEXT", body: `m${i}` })),
    );
    const sequenced = [...posted].sort((a, b) => a!.seq - b!.seq).map((m) => m!.body);
    expect(sequenced).toHaveLength(BURST);
    for (const [i, { client }] of sessions.entries()) {
      expect(await bodiesOn(client, ids[i]!, BURST), `session ${i}`).toEqual(sequenced);
    }
    // Nothing more arrives: each message was delivered once.
    await sleep(100);
    for (const [i, { client }] of sessions.entries()) {
      expect(client.frames.filter((f) => f.command === "MESSAGE" && f.headers.subscription === ids[i]).length).toBe(BURST);
      client.close();
    }
  });
});
