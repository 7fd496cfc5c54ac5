import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, it } from "vitest";
import { createDb, openSession } from "../../src/db/client";
import { applications } from "../../src/db/schema";
import { sessionShardStub, shardName } from "../../src/chat/live";
import { fetchWorker, ORIGIN, setup } from "../helpers/api";
import { ChatClient, connectChat, ERRORS_QUEUE, ERRORS_SID, openSocket, sid, type ServerFrame } from "../helpers/chat";

const QUIET_MS = 300;

const userHref = (appId: number, userId: number) => `${ORIGIN}/v1/applications/${appId}/users/${userId}`;

/** An application with two users who are both members of a PRIVATE channel. */
const privateChannelWorld = async () => {
  const w = await setup();
  const [jane, john] = await Promise.all([w.createUser(`jane-${crypto.randomUUID()}`), w.createUser(`john-${crypto.randomUUID()}`)]);
  const priv = await w.createChannel("PRIVATE", "secret");
  for (const user of [jane, john]) {
    const res = await w.api.post(`${w.urls.channels}/${priv.id}/members`, { href: userHref(w.app.id, user.id) });
    if (res.status !== 200) throw new Error(`member: ${res.status}`);
  }
  const post = async (body: string) => {
    const res = await w.api.post(`${w.urls.channels}/${priv.id}/messages`, { body });
    if (res.status !== 201) throw new Error(`message: ${res.status}`);
  };
  return { ...w, jane, john, priv, post };
};

const messageEvents = (_client: ChatClient, body?: string) => (f: ServerFrame) =>
  f.command === "MESSAGE" && f.headers.destination !== ERRORS_QUEUE && (body === undefined || f.body.includes(JSON.stringify(body)));

const uploadWithGrant = (channelId: number, grant: string) => {
  const form = new FormData();
  form.append("file", new File([new Uint8Array([1, 2, 3])], "a.bin", { type: "application/octet-stream" }));
  return fetchWorker(`/stompx/v1/channels/${channelId}/messages`, { method: "POST", headers: { Grant: grant }, body: form });
};

const writeGrant = async (client: ChatClient) =>
  ((await client.relay(sid(), "/application/v1/users/me/write-file-access-grant.relay")) as { grant: string }).grant;

describe("a member removed from a PRIVATE channel", () => {
  it("stops receiving its messages on subscriptions made before the removal; the others still do", async ({ expect }) => {
    const w = await privateChannelWorld();
    const jane = await connectChat(w.app, w.jane.name);
    const john = await connectChat(w.app, w.john.name);
    const [janeMessages, janeChannel, johnMessages] = [sid(), sid(), sid()];
    await jane.client.subscribe(janeMessages, `/topic/v1/channels/${w.priv.id}/messages`);
    await jane.client.subscribe(janeChannel, `/topic/v1/channels/${w.priv.id}`);
    await john.client.subscribe(johnMessages, `/topic/v1/channels/${w.priv.id}/messages`);
    await w.post("before");
    await jane.client.take("delivery before removal", messageEvents(jane.client, "before"));

    const removal = await w.api.del(`${w.urls.channels}/${w.priv.id}/members/${w.jane.id}`);
    expect(removal.status).toBe(200);
    await w.post("after");
    await john.client.take("delivery to the remaining member", messageEvents(john.client, "after"));
    expect(await jane.client.within(QUIET_MS, messageEvents(jane.client))).toEqual([]);
    // Subscribing again is answered (an ERROR would end the SDK's session) but delivers nothing.
    await jane.client.subscribe(sid(), `/topic/v1/channels/${w.priv.id}/messages`);
    await w.post("after resubscribe");
    expect(await jane.client.within(QUIET_MS, messageEvents(jane.client))).toEqual([]);
    expect(jane.client.closed, "the session itself goes on").toBeUndefined();
    jane.client.close();
    john.client.close();
  });

  it("is not notified of messages sent after the removal", async ({ expect }) => {
    const w = await privateChannelWorld();
    const jane = await connectChat(w.app, w.jane.name);
    const notifications = sid();
    await jane.client.subscribe(notifications, jane.me._topics.notifications);
    await w.post("notified");
    await jane.client.take("notification while a member", (f) => f.headers.subscription === notifications);
    expect((await w.api.del(`${w.urls.channels}/${w.priv.id}/members/${w.jane.id}`)).status).toBe(200);
    await w.post("not notified");
    expect(await jane.client.within(QUIET_MS, (f) => f.headers.subscription === notifications)).toEqual([]);
    jane.client.close();
  });

  it("a notification whose members were read before the revocation is dropped by the shard", async ({ expect }) => {
    const w = await privateChannelWorld();
    const jane = await connectChat(w.app, w.jane.name);
    const notifications = sid();
    await jane.client.subscribe(notifications, jane.me._topics.notifications);
    const readBefore = Date.now() - 10;
    const shard = sessionShardStub(env, shardName(env, w.app.id, w.jane.name));
    await shard.revokeChannel({ id: w.jane.id, name: w.jane.name }, w.priv.id);
    const resource = JSON.stringify({ title: "t", body: "b", data: { channelId: w.priv.id } });
    const notification = { old: resource, current: resource, currentMuted: resource };
    await shard.notify(w.priv.id, [{ id: w.jane.id, name: w.jane.name }], notification, readBefore);
    expect(await jane.client.within(QUIET_MS, (f) => f.headers.subscription === notifications)).toEqual([]);
    // Control: a notification about another channel still arrives.
    await shard.notify(w.priv.id + 1_000_000, [{ id: w.jane.id, name: w.jane.name }], notification, readBefore);
    await jane.client.take("notification about another channel", (f) => f.headers.subscription === notifications);
    jane.client.close();
  });

  it("cannot upload with a write grant issued before the removal", async ({ expect }) => {
    const w = await privateChannelWorld();
    const jane = await connectChat(w.app, w.jane.name);
    const grant = await writeGrant(jane.client);
    expect((await uploadWithGrant(w.priv.id, grant)).status, "positive control").toBe(200);
    expect((await w.api.del(`${w.urls.channels}/${w.priv.id}/members/${w.jane.id}`)).status).toBe(200);
    // A PRIVATE channel is invisible to non-members: not even its existence is confirmed.
    const refused = await uploadWithGrant(w.priv.id, grant);
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { error: string }).error).toBe("ChannelNotFoundError");
    jane.client.close();
  });

  it("of a PUBLIC channel keeps reading it: PUBLIC channels are visible to every user", async ({ expect }) => {
    const w = await setup();
    const jane = await w.createUser(`jane-${crypto.randomUUID()}`);
    const pub = await w.createChannel("PUBLIC", "lobby");
    expect((await w.api.post(`${w.urls.channels}/${pub.id}/members`, { href: userHref(w.app.id, jane.id) })).status).toBe(200);
    const session = await connectChat(w.app, jane.name);
    await session.client.subscribe(sid(), `/topic/v1/channels/${pub.id}/messages`);
    expect((await w.api.del(`${w.urls.channels}/${pub.id}/members/${jane.id}`)).status).toBe(200);
    expect((await w.api.post(`${w.urls.channels}/${pub.id}/messages`, { body: "still visible" })).status).toBe(201);
    await session.client.take("PUBLIC delivery after leaving", messageEvents(session.client, "still visible"));
    session.client.close();
  });
});

describe("a deleted user", () => {
  it("has every live session ended with an ERROR frame before the API answers, and cannot upload", async ({ expect }) => {
    const w = await privateChannelWorld();
    const first = await connectChat(w.app, w.jane.name);
    const second = await connectChat(w.app, w.jane.name);
    const john = await connectChat(w.app, w.john.name);
    const grant = await writeGrant(first.client);
    for (const s of [first, second]) await s.client.subscribe(sid(), `/topic/v1/channels/${w.priv.id}/messages`);

    expect((await w.api.del(`${w.urls.users}/${w.jane.id}`)).status).toBe(200);
    for (const s of [first, second]) {
      const error = await s.client.take("ERROR frame", (f) => f.command === "ERROR", 1000);
      expect(JSON.parse(error.body).error).toBe("UserDeletedError");
      expect((await s.client.waitClosed(1000))?.code).toBe(1008);
    }
    await w.post("after the deletion");
    for (const s of [first, second]) expect(s.client.frames.filter(messageEvents(s.client, "after the deletion"))).toEqual([]);
    expect(john.client.closed, "other users' sessions go on").toBeUndefined();
    const refused = await uploadWithGrant(w.priv.id, grant);
    expect(refused.status).toBe(401);
    john.client.close();
  });
});

describe("a revoked challenge token", () => {
  const authenticatedWorld = async () => {
    const w = await setup();
    await createDb(openSession(env.DB))
      .update(applications)
      .set({ requireAuthenticatedSessions: true })
      .where(eq(applications.id, w.app.id));
    const jane = await w.createUser(`jane-${crypto.randomUUID()}`);
    const tokens = [];
    for (let i = 0; i < 2; i++) {
      const res = await w.api.post(`${w.urls.users}/${jane.id}/tokens`, {});
      if (res.status !== 201) throw new Error(`token: ${res.status}`);
      tokens.push(res.body.token as string);
    }
    const connect = async (token: string) => {
      const res = await openSocket(
        `api_key=${w.app.key}&stompx_user=${encodeURIComponent(jane.name)}&stompx_auth_params=${encodeURIComponent(JSON.stringify({ token }))}`,
      );
      const client = new ChatClient(res.webSocket!);
      client.send("CONNECT", { "accept-version": "1.2", "heart-beat": "5000,5000" });
      await client.take("CONNECTED", (f) => f.command === "CONNECTED");
      client.send("SUBSCRIBE", { id: ERRORS_SID, destination: ERRORS_QUEUE, ack: "auto" });
      await client.relay(sid(), "/application/v1/users/me.relay");
      return client;
    };
    return { ...w, jane, tokens, connect };
  };

  it("ends the sessions it admitted, not the user's others, and its write grant stops working", async ({ expect }) => {
    const w = await authenticatedWorld();
    const [revokedToken, keptToken] = w.tokens as [string, string];
    const revoked = await w.connect(revokedToken);
    const kept = await w.connect(keptToken);
    const pub = await w.createChannel("PUBLIC", "lobby");
    expect((await w.api.post(`${w.urls.channels}/${pub.id}/members`, { href: userHref(w.app.id, w.jane.id) })).status).toBe(200);
    const [revokedGrant, keptGrant] = [await writeGrant(revoked), await writeGrant(kept)];

    expect((await w.api.del(`${w.urls.users}/${w.jane.id}/tokens/${revokedToken}`)).status).toBe(200);
    const error = await revoked.take("ERROR frame", (f) => f.command === "ERROR", 1000);
    expect(JSON.parse(error.body).error).toBe("AccessRevokedError");
    expect((await revoked.waitClosed(1000))?.code).toBe(1008);
    expect(kept.closed).toBeUndefined();
    expect((await uploadWithGrant(pub.id, revokedGrant)).status).toBe(401);
    expect((await uploadWithGrant(pub.id, keptGrant)).status, "the other token's grant still works").toBe(200);
    kept.close();
  });
});
