/**
 * Current-dialect (`chatkitty@1.58.2`, shared/spec/stompx-current.md §2–§3) chat sessions for the
 * abuse suites: a socket opened through the Worker on `/rtm/websocket?api-key=…`, frames sent as
 * text (as browsers and Node send them), the user named in CONNECT; a world in which a user has
 * channels, messages and threads of every kind, reached from two shards (a current sentinel on a
 * random shard, a 2020 one on the user's home shard); and a snapshot of every row an application
 * owns in any table (the current dialect writes reactions, threads, blocks, hides and member
 * settings, which `db-state.ts`'s snapshot does not look at).
 */
import { env, exports } from "cloudflare:workers";
import type { ExpectStatic } from "vitest";
import { ORIGIN, setup, type TestApplication } from "./api";
import { ChatClient, connectChat, ERRORS_QUEUE, ERRORS_SID, receipt, sdkFrame, type ServerFrame, sid } from "./chat";

const text = new TextDecoder();

const CURRENT_ME = "/application/v1/user.relay";

/** A chat-session client of the current dialect: the same reader, frames sent as text. */
class CurrentClient extends ChatClient {
  override send(command: string, headers: Record<string, string>, body = "") {
    this.sendRaw(text.decode(sdkFrame(command, headers, body)));
  }
}

const openCurrentSocket = (key: string) =>
  exports.default.fetch(
    new Request(`${ORIGIN}/rtm/websocket?api-key=${encodeURIComponent(key)}`, {
      headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": "v12.stomp" },
    }),
  );

/** The CurrentUser's topics the SDK subscribes to (§15.3). */
interface CurrentMe {
  id: number;
  name: string;
  _topics: Record<string, string>;
}

/** The user topics whose MESSAGEs carry action results (§16.3). */
const RESULT_TOPICS = ["self", "channels", "messages", "threads", "reactions", "users"] as const;

/**
 * A connected current-dialect session as the SDK starts one: CONNECT naming the user, CONNECTED,
 * `user.relay`, the errors queue, and the user topics that carry action results (with receipts).
 */
export const connectCurrent = async (app: Pick<TestApplication, "key">, user: string) => {
  const res = await openCurrentSocket(app.key);
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade answered ${res.status}: ${await res.text()}`);
  const client = new CurrentClient(res.webSocket);
  client.send("CONNECT", { "accept-version": "1.2", "heart-beat": "0,0", "StompX-User": user });
  await client.take("CONNECTED", (f) => f.command === "CONNECTED");
  await client.subscribe(ERRORS_SID, ERRORS_QUEUE);
  const me = (await client.relay(sid(), CURRENT_ME)) as CurrentMe;
  for (const name of RESULT_TOPICS) {
    const topic = me._topics[name];
    if (topic) await client.subscribe(sid(), topic);
  }
  return { client, me };
};

/**
 * One SEND with a receipt, as the SDK sends actions; returns what answered it (the result
 * MESSAGE, or the errors-queue MESSAGE) once its RECEIPT arrived, which always comes last (§3.4).
 */
export const act = async (client: ChatClient, destination: string, body: unknown, ms = 5000) => {
  const r = receipt();
  client.send(
    "SEND",
    { destination, receipt: r, "content-type": "application/json;charset=UTF-8" },
    typeof body === "string" ? body : JSON.stringify(body),
  );
  const done = await client.take(`RECEIPT of ${destination}`, (f) => f.command === "RECEIPT" && f.headers["receipt-id"] === r, ms);
  const answers = client.frames.filter((f) => f.command === "MESSAGE" && f.headers["receipt-id"] === r);
  for (const a of answers) client.frames.splice(client.frames.indexOf(a), 1);
  const error = answers.find((f) => f.headers.destination === ERRORS_QUEUE);
  const result = answers.find((f) => f.headers.destination !== ERRORS_QUEUE);
  return {
    receipt: done,
    answers,
    error: error ? (JSON.parse(error.body) as { error: string; message: string }) : undefined,
    result: result ? (JSON.parse(result.body) as { type: string; resource: any }) : undefined,
  };
};

/**
 * An action that must succeed with a result: its resource. Waits for the result itself, not only
 * the RECEIPT: a posted message's result may trail its RECEIPT (see current-actions.fuzz.test.ts).
 */
const must = async (client: ChatClient, destination: string, body: unknown) => {
  const r = receipt();
  client.send("SEND", { destination, receipt: r, "content-type": "application/json;charset=UTF-8" }, JSON.stringify(body));
  const answer = await client.take(`the answer to ${destination}`, (f) => f.command === "MESSAGE" && f.headers["receipt-id"] === r);
  await client.take(`RECEIPT of ${destination}`, (f) => f.command === "RECEIPT" && f.headers["receipt-id"] === r);
  if (answer.headers.destination === ERRORS_QUEUE) throw new Error(`${destination}: ${answer.body}`);
  return JSON.parse(answer.body).resource;
};

/**
 * An application whose user (named `name`) is a member of a PUBLIC, a PRIVATE, an OPEN, a DIRECT
 * channel and a PUBLIC channel they created; with channels they are not in, another application's
 * channel; messages of their own, of another user, of the application, in a channel they are not
 * in and of another application; threads of theirs and of another application; and sentinels.
 */
export const makeCurrentWorld = async () => {
  const mine = await setup();
  const theirs = await setup();
  const name = `fuzz-${crypto.randomUUID()}`;
  const theirName = `their-${crypto.randomUUID()}`;
  const [user, other, theirUser] = await Promise.all([mine.createUser(name), mine.createUser(), theirs.createUser(theirName)]);
  const [pub, pubNotJoined, priv, privNotMember, open, theirChannel] = await Promise.all([
    mine.createChannel("PUBLIC", "pub"),
    mine.createChannel("PUBLIC", "pub-not-joined"),
    mine.createChannel("PRIVATE", "priv"),
    mine.createChannel("PRIVATE", "priv-not-member"),
    mine.createChannel("OPEN", "open"),
    theirs.createChannel("PUBLIC", "theirs"),
  ]);
  const href = (id: number) => `${ORIGIN}/v1/applications/${mine.app.id}/users/${id}`;
  for (const [channel, member] of [
    [pub, user],
    [priv, user],
    [pub, other],
  ]) {
    const res = await mine.api.post(`${mine.urls.channels}/${channel.id}/members`, { href: href(member.id) });
    if (res.status !== 200) throw new Error(`member ${channel.type}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const direct = await mine.api.post(mine.urls.channels, { type: "DIRECT", members: [href(user.id), href(other.id)] });
  const post = (s: typeof mine, channelId: number, body: Record<string, unknown>) =>
    s.api.post(`${s.urls.channels}/${channelId}/messages`, body);
  const [system, mineInPub, otherInPub, otherInDirect, inPrivNotMember, theirMessage] = await Promise.all([
    post(mine, pub.id, { body: "system in pub" }),
    post(mine, pub.id, { body: "mine in pub", user: { id: user.id } }),
    post(mine, pub.id, { body: "other's in pub", user: { id: other.id } }),
    post(mine, direct.body.id, { body: "other's in direct", user: { id: other.id } }),
    post(mine, privNotMember.id, { body: "secret" }),
    post(theirs, theirChannel.id, { body: "theirs" }),
  ]);
  const fixtures = { direct, system, mineInPub, otherInPub, otherInDirect, inPrivNotMember, theirMessage };
  for (const [what, r] of Object.entries(fixtures)) if (r.status !== 201) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);

  const sentinel = await connectCurrent(mine.app, name);
  const s = sentinel.client;
  // OPEN channels are joined by their users themselves.
  await must(s, `/application/v1/channels/${open.id}.join`, {});
  const own = await must(s, "/application/v1/users/me.create-channel", { type: "PUBLIC", name: "own" });
  const thread = await must(s, `/application/v1/channels/${pub.id}.create-thread`, { name: "a thread" });
  const ownThread = await must(s, `/application/v1/channels/${own.id}.create-thread`, { name: "in own" });
  const mineInOwn = await must(s, `/application/v1/channels/${own.id}.message`, { type: "TEXT", body: "mine in own" });
  const mineInDirect = await must(s, `/application/v1/channels/${direct.body.id}.message`, { type: "TEXT", body: "mine in direct" });
  // An OPEN channel's messages are held by its room, never written to D1 (and have no id).
  await must(s, `/application/v1/channels/${open.id}.message`, { type: "TEXT", body: "mine in open" });
  const mineInThread = await must(s, `/application/v1/threads/${thread.id}.message`, { type: "TEXT", body: "in the thread" });
  // Another application's thread, made by its own user.
  const their = await connectCurrent(theirs.app, theirName);
  await must(their.client, `/application/v1/channels/${theirChannel.id}.join`, {});
  const theirThread = await must(their.client, `/application/v1/channels/${theirChannel.id}.create-thread`, { name: "theirs" });
  their.client.close();
  // The user's home shard (where a 2020 session of the name lands, and where current sessions register).
  const home = await connectChat(mine.app, name);

  const world = {
    app: mine.app,
    appId: mine.app.id,
    theirAppId: theirs.app.id,
    name,
    me: sentinel.me,
    sentinel: s,
    homeSentinel: home.client,
    ids: {
      user: user.id as number,
      other: other.id as number,
      foreignUser: theirUser.id as number,
      pub: pub.id as number,
      priv: priv.id as number,
      privNotMember: privNotMember.id as number,
      theirChannel: theirChannel.id as number,
      own: own.id as number,
      open: open.id as number,
      direct: direct.body.id as number,
      mineInPub: mineInPub.body.id as number,
      otherInPub: otherInPub.body.id as number,
      theirMessage: theirMessage.body.id as number,
      thread: thread.id as number,
      theirThread: theirThread.id as number,
      channels: [pub, pubNotJoined, priv, privNotMember, open, direct.body, own, theirChannel]
        .map((c) => c.id as number)
        .concat([999_999_999]),
      messages: [
        system.body.id,
        mineInPub.body.id,
        otherInPub.body.id,
        otherInDirect.body.id,
        inPrivNotMember.body.id,
        theirMessage.body.id,
        mineInOwn.id,
        mineInDirect.id,
        mineInThread.id,
        999_999_999,
      ] as number[],
      threads: [thread.id, ownThread.id, theirThread.id, 999_999_999] as number[],
      users: [user.id, other.id, theirUser.id, 999_999_999] as number[],
    },
  };
  for (const [what, ids] of Object.entries(world.ids)) {
    if (![ids].flat().every((id) => Number.isSafeInteger(id))) throw new Error(`world ids ${what}: ${JSON.stringify(ids)}`);
  }
  return world;
};
export type CurrentWorld = Awaited<ReturnType<typeof makeCurrentWorld>>;

/** Sends a relay and waits for its answer: the resource, or the refusal of a connection over its frame budget. */
const relayAnswers = async (expect: ExpectStatic, client: ChatClient, destination: string, name: string, what: string) => {
  const id = sid();
  client.send("SUBSCRIBE", { id, destination, ack: "auto" });
  const answer = await client.take(
    `${what}'s relay answer`,
    (f) => f.command === "MESSAGE" && (f.headers.subscription === id || f.headers["subscription-id"] === id),
  );
  if (answer.headers.subscription === id) expect(JSON.parse(answer.body).resource?.name, what).toBe(name);
  else expect(JSON.parse(answer.body).error, what).toBe("TooManyRequestsError");
};

/**
 * The shards survive: the connection that sent the action answers a relay (its shard), and so do
 * the current sentinel (another connection of the user, on a random shard) and the 2020 sentinel
 * (the user's home shard, which current sessions register with).
 */
export const expectShardsAlive = async (expect: ExpectStatic, w: CurrentWorld, client: ChatClient, context: unknown) => {
  const shown = JSON.stringify(context)?.slice(0, 300);
  expect(w.sentinel.closed, `the current sentinel closed after ${shown}`).toBeUndefined();
  expect(w.homeSentinel.closed, `the home-shard sentinel closed after ${shown}`).toBeUndefined();
  await Promise.all([
    relayAnswers(expect, client, CURRENT_ME, w.name, "the fuzzed connection"),
    relayAnswers(expect, w.sentinel, CURRENT_ME, w.name, "the current sentinel"),
    relayAnswers(expect, w.homeSentinel, "/application/v1/users/me.relay", w.name, "the home-shard sentinel"),
  ]);
  // Events the sentinels heard (the barrage's results reach every session of the user).
  w.sentinel.frames.length = 0;
  w.homeSentinel.frames.length = 0;
};

/** After the barrage: a brand-new current session of the same user CONNECTs, gets `user.relay`, and acts. */
export const expectFreshCurrentSessionWorks = async (expect: ExpectStatic, w: CurrentWorld) => {
  const { client, me } = await connectCurrent(w.app, w.name);
  expect(me.name).toBe(w.name);
  const answer = await act(client, "/application/v1/users/me.update", { properties: { fresh: true } });
  expect(answer.error).toBeUndefined();
  expect(answer.result).toMatchObject({ type: "user.self.updated", resource: { name: w.name, properties: { fresh: true } } });
  client.close();
};

/** No frame the server sent reports an unexpected failure, and no ERROR frame closed the session. */
export const expectNoServerFailure = (expect: ExpectStatic, frames: ServerFrame[], context: unknown) => {
  const bad = frames.filter(
    (f) => f.command === "ERROR" || /InternalServerError/.test(f.body) || /InternalServerError/.test(f.headers.message ?? ""),
  );
  expect(bad, `a server failure after ${JSON.stringify(context)?.slice(0, 400)}`).toEqual([]);
};

// Written by connections opening and closing (presence), not by actions.
const SESSION_TABLES = new Set(["user_sessions", "chat_sessions"]);

/**
 * Every row of every table that belongs to the applications (all columns), plus every table's
 * row count and top rowid (over the whole database: this file's storage is its own), and the
 * applications' objects in R2. Tables of connections (`user_sessions`, `chat_sessions`) are left
 * out: sessions opening and closing write them. Two equal snapshots mean no action wrote.
 */
let tablesOf: Promise<{ all: string[]; owned: string[] }> | undefined;

/** The database's tables (less those of connections), and those with an `application_id` column: the schema does not change during a run. */
const listTables = () =>
  (tablesOf ??= (async () => {
    const db = env.DB;
    const { results } = await db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name")
      .all<{ name: string }>();
    const all = results.map((t) => t.name).filter((t) => !SESSION_TABLES.has(t));
    const columns = await db.batch<{ name: string }>(all.map((t) => db.prepare(`SELECT name FROM pragma_table_info('${t}')`)));
    return { all, owned: all.filter((_, i) => columns[i]!.results.some((c) => c.name === "application_id")) };
  })());

export const fullSnapshot = async (...applicationIds: number[]): Promise<string> => {
  const db = env.DB;
  const { all, owned } = await listTables();
  const marks = applicationIds.map(() => "?").join(", ");
  const results = await db.batch([
    ...all.map((t) => db.prepare(`SELECT '${t}' AS t, count(*) AS n FROM "${t}"`)),
    ...owned.map((t) => db.prepare(`SELECT '${t}' AS t, * FROM "${t}" WHERE application_id IN (${marks})`).bind(...applicationIds)),
    ...applicationIds.map((id) => db.prepare("SELECT * FROM applications WHERE id = ?").bind(id)),
  ]);
  const rows = results.map((r) => r.results.map((row) => JSON.stringify(row)).sort());
  const files = await Promise.all(applicationIds.map((id) => env.FILES.list({ prefix: `${id}/` })));
  return JSON.stringify({ rows, files: files.map((f) => f.objects.map((o) => o.key)) });
};
