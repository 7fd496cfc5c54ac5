/**
 * Abuse tests for chat sessions (shared/spec/stompx-protocol.md): random bytes, random STOMP-ish
 * frames and random JSON bodies to every action destination, over real WebSockets opened through
 * the Worker, property-based with fast-check. Whatever arrives:
 *
 * - the upgrade never answers ≥ 500, and no action is ever answered `InternalServerError`;
 * - the user's `SessionShard` never crashes: a sentinel connection of the same user (same shard)
 *   stays open and keeps answering the `me` relay after every run, and after the barrage a fresh
 *   connection can CONNECT and get the relay;
 * - nothing is written to D1 (nor R2) for a frame that is refused: a snapshot of the whole
 *   database is compared around every run (an action's refusal is its errors-queue MESSAGE with
 *   the SEND's receipt-id, read after a fence: frames of one connection are handled in order).
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, it, type ExpectStatic } from "vitest";
import { fetchWorker, ORIGIN, setup } from "../helpers/api";
import {
  ChatClient,
  connectChat,
  ERRORS_QUEUE,
  openChat,
  openSocket,
  receipt,
  sdkFrame,
  sid,
  sleep,
  type ServerFrame,
} from "../helpers/chat";
import { snapshot } from "../helpers/db-state";

const RUNS = 80;
const TIMEOUT = 60_000;
const utf8 = new TextEncoder();

// ── the world ────────────────────────────────────────────────────────────────────────────────

const makeWorld = async () => {
  const mine = await setup();
  const theirs = await setup();
  const name = `fuzz-${crypto.randomUUID()}`;
  const [user, other, theirUser] = await Promise.all([mine.createUser(name), mine.createUser(), theirs.createUser()]);
  const [pub, pubNotJoined, priv, privNotMember, open, theirChannel] = await Promise.all([
    mine.createChannel("PUBLIC", "pub"),
    mine.createChannel("PUBLIC", "pub-not-joined"),
    mine.createChannel("PRIVATE", "priv"),
    mine.createChannel("PRIVATE", "priv-not-member"),
    mine.createChannel("OPEN", "open"),
    theirs.createChannel("PUBLIC", "theirs"),
  ]);
  const href = (id: number) => `${ORIGIN}/v1/applications/${mine.app.id}/users/${id}`;
  for (const channel of [pub, priv]) {
    const res = await mine.api.post(`${mine.urls.channels}/${channel.id}/members`, { href: href(user.id) });
    if (res.status !== 200) throw new Error(`member ${channel.type}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const direct = await mine.api.post(mine.urls.channels, { type: "DIRECT", members: [href(user.id), href(other.id)] });
  const inPub = await mine.api.post(`${mine.urls.channels}/${pub.id}/messages`, { body: "in pub" });
  const inPrivNotMember = await mine.api.post(`${mine.urls.channels}/${privNotMember.id}/messages`, { body: "secret" });
  const theirMessage = await theirs.api.post(`${theirs.urls.channels}/${theirChannel.id}/messages`, { body: "theirs" });
  if ([direct, inPub, inPrivNotMember, theirMessage].some((r) => r.status !== 201)) throw new Error("fixture");
  const sentinel = await connectChat(mine.app, name);
  // OPEN channels are joined by their users themselves.
  const join = receipt();
  sentinel.client.send("SEND", { destination: `/application/v1/channels/${open.id}.join`, receipt: join }, "{}");
  await sentinel.client.fence();
  if (sentinel.client.frames.some((f) => f.headers["receipt-id"] === join)) throw new Error("joining the OPEN channel failed");
  return {
    app: mine.app,
    appId: mine.app.id,
    name,
    me: sentinel.me,
    sentinel: sentinel.client,
    ids: {
      user: user.id as number,
      other: other.id as number,
      foreignUser: theirUser.id as number,
      channels: [pub, pubNotJoined, priv, privNotMember, open, direct.body, theirChannel].map((c) => c.id as number).concat([999_999_999]),
      messages: [inPub.body.id, inPrivNotMember.body.id, theirMessage.body.id, 999_999_999] as number[],
    },
  };
};
type World = Awaited<ReturnType<typeof makeWorld>>;

/**
 * The shard is alive: the sentinel (same user, so same shard), open since the world was made,
 * is still open and answers a relay (or, past its frame budget, refuses it: an answer all the same).
 */
const expectShardAlive = async (expect: ExpectStatic, w: World, context: unknown) => {
  expect(w.sentinel.closed, `the sentinel connection closed after ${JSON.stringify(context)?.slice(0, 300)}`).toBeUndefined();
  const id = sid();
  w.sentinel.send("SUBSCRIBE", { id, destination: "/application/v1/users/me.relay", ack: "auto" });
  const answer = await w.sentinel.take(
    "the sentinel's relay answer",
    (f) => f.command === "MESSAGE" && (f.headers.subscription === id || f.headers["subscription-id"] === id),
  );
  if (answer.headers.subscription === id) expect(JSON.parse(answer.body).resource?.name).toBe(w.name);
  else expect(JSON.parse(answer.body).error).toBe("TooManyRequestsError");
  w.sentinel.frames.length = 0;
};

/** After the barrage: a brand-new session of the same user CONNECTs and gets its `me` relay. */
const expectFreshSessionWorks = async (expect: ExpectStatic, w: World) => {
  const { client, me } = await connectChat(w.app, w.name);
  expect(me.name).toBe(w.name);
  client.close();
};

/**
 * Waits until the connection has handled everything sent so far (a fence RECEIPT) or has been
 * closed (an ERROR frame ends a session). Returns whether it is still open.
 */
const settle = async (client: ChatClient, ms = 3000): Promise<boolean> => {
  if (client.closed) return false;
  const r = receipt();
  client.sendRaw(sdkFrame("SUBSCRIBE", { id: "subscription-id-errors", destination: ERRORS_QUEUE, ack: "auto", receipt: r }));
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    // Its RECEIPT, or its refusal (a connection over its frame budget): either way, handled.
    if (client.frames.some((f) => f.headers["receipt-id"] === r)) return true;
    if (client.closed) return false;
    await sleep(3);
  }
  throw new Error(`connection neither answered a fence nor closed within ${ms} ms; frames: ${JSON.stringify(client.frames).slice(0, 800)}`);
};

/** No frame the server sent reports an unexpected failure (the session's 500). */
const expectNoInternalError = (expect: ExpectStatic, frames: ServerFrame[], context: unknown) => {
  const internal = frames.filter((f) => /InternalServerError/.test(f.body) || /InternalServerError/.test(f.headers.message ?? ""));
  expect(internal, `internal error after ${JSON.stringify(context)?.slice(0, 400)}`).toEqual([]);
};

// ── generators ───────────────────────────────────────────────────────────────────────────────

const weird = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("", " ", "x".repeat(256), "x".repeat(10_001), "\u0000", "OPEN", "PUBLIC", "PRIVATE", "DIRECT", "TEXT", "FILE"),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue(),
);
const mostly = <T,>(plausible: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 1, arbitrary: weird });
const plausibleName = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }));

const safeStringify = (v: unknown) => {
  try {
    return JSON.stringify(v) ?? "null";
  } catch {
    return "{}";
  }
};

const anyJsonText = fc.oneof(
  fc.json(),
  fc.anything().map(safeStringify),
  fc.string(),
  fc.constantFrom("", "{", "{}", "[]", "null", "\"x\"", '{"__proto__":{"polluted":1}}', "\uFEFF{}", "1e999999", "x".repeat(70_000)),
);

const idLike = (ids: number[]) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ids.map(String)) },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom("0", "-1", "01", "9007199254740993", "99999999999999999", "1e3", "x"), fc.nat().map(String), fc.string({ maxLength: 6 })) },
  );

/** Every destination the protocol knows, filled with the world's ids (or not quite). */
const destination = (w: World) => {
  const channel = idLike(w.ids.channels);
  const user = idLike([w.ids.user, w.ids.other, w.ids.foreignUser]);
  const message = idLike(w.ids.messages);
  const relayQuery = fc.option(
    fc.oneof(
      fc.webQueryParameters(),
      fc.record({ page: fc.oneof(fc.nat().map(String), fc.string()), size: fc.oneof(fc.nat().map(String), fc.string()), start: fc.oneof(fc.nat().map(String), fc.string()) }).map(
        (q) => new URLSearchParams(q).toString(),
      ),
    ),
    { nil: undefined },
  );
  const known = fc.oneof(
    fc.constantFrom(
      "/user/queue/v1/errors",
      "/application/v1/users/me.relay",
      "/application/v1/users/me/read-file-access-grant.relay",
      "/application/v1/users/me/write-file-access-grant.relay",
      "/application/v1/users/me/channels.relay",
      "/application/v1/users/me/joinable-channels.relay",
      "/application/v1/users/me/unread-channels.count.relay",
      "/application/v1/users/me/unread-channels.relay",
      "/application/v1/users/me.update",
      "/application/v1/users/me.create-channel",
    ),
    user.map((id) => `/application/v1/users/${id}.relay`),
    user.map((id) => `/topic/v1/users/${id}/channels`),
    user.map((id) => `/topic/v1/users/${id}/notifications`),
    fc.tuple(channel, fc.constantFrom(".relay", "/messages.relay", "/unread.relay", "/members.relay", "", "/messages", ".message", ".read", ".join")).map(
      ([id, suffix]) => (suffix === "" || suffix === "/messages" ? `/topic/v1/channels/${id}${suffix}` : `/application/v1/channels/${id}${suffix}`),
    ),
    message.map((id) => `/application/v1/messages/${id}.read`),
  );
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(known, relayQuery).map(([d, q]) => (q === undefined ? d : `${d}?${q}`)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    { weight: 1, arbitrary: fc.constantFrom("", "/", "/topic/v1/channels/1/messages/extra", `/application/v1/channels/${"9".repeat(600)}.relay`, "/application/v1/users/me.relay?" + "a=1&".repeat(200)) },
  );
};

const headerValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom("", ":", "a:b", "\\", "\\n", "\\c", "\\t", "line\nbreak", "\r", "0", "-1", "99999999", "1.5", "application/json", "text/plain", "auto", "client"),
  fc.nat().map(String),
);

const COMMANDS = ["CONNECT", "STOMP", "SEND", "SUBSCRIBE", "UNSUBSCRIBE", "ACK", "NACK", "BEGIN", "COMMIT", "ABORT", "DISCONNECT", "MESSAGE", "RECEIPT", "ERROR"];

interface FuzzFrame {
  command: string;
  headers: Record<string, string>;
  body: string;
  encoding: "sdk" | "raw" | "truncated";
}

const stompFrame = (w: World): fc.Arbitrary<FuzzFrame> =>
  fc.record({
    command: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...COMMANDS) },
      { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("send", "Subscribe", " SEND", "SEND ", "")) },
    ),
    headers: fc
      .record(
        {
          destination: destination(w),
          id: fc.oneof(fc.constant(undefined), fc.constant("subscription-id-errors"), headerValue),
          receipt: fc.oneof(fc.constant(undefined), headerValue),
          "content-length": headerValue,
          "content-type": headerValue,
          ack: headerValue,
          extra: headerValue,
        },
        { requiredKeys: [] },
      )
      .map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>),
    body: fc.oneof(anyJsonText, fc.string({ maxLength: 200 })),
    encoding: fc.constantFrom("sdk", "sdk", "raw", "truncated"),
  });

/** A fuzz frame as bytes: the SDK's encoding (escaped, with content-length), raw, or cut short. */
const encode = (frame: FuzzFrame): Uint8Array => {
  if (frame.encoding === "sdk") {
    const { "content-length": _cl, ...headers } = frame.headers;
    try {
      return sdkFrame(frame.command, headers, frame.body);
    } catch {
      /* fall through to raw */
    }
  }
  const head = `${frame.command}\n${Object.entries(frame.headers).map(([k, v]) => `${k}:${v}`).join("\n")}\n\n${frame.body}`;
  const bytes = utf8.encode(frame.encoding === "truncated" ? head : `${head}\0`);
  return frame.encoding === "truncated" ? bytes.slice(0, Math.max(0, bytes.length - 3)) : bytes;
};

/** Is this a SEND whose destination names an action (the only frames that may write)? */
const mayWrite = (frame: FuzzFrame) => frame.command === "SEND" && /\.(update|create-channel|message|read|join)(\?|$)/.test(frame.headers.destination ?? "");

// ── the properties ───────────────────────────────────────────────────────────────────────────

describe("chat sessions under random bytes", () => {
  it("random binary and text messages, before and after CONNECT: the shard survives, nothing is written", { timeout: TIMEOUT }, async ({ expect }) => {
    const w = await makeWorld();
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 1024 }) }, { weight: 1, arbitrary: fc.string({ maxLength: 200 }) }), { minLength: 1, maxLength: 4 }),
        async (connected, chunks) => {
          const before = await snapshot(w.appId);
          const client = connected ? (await connectChat(w.app, w.name)).client : await openChat(w.app.key, w.name);
          for (const chunk of chunks) client.sendRaw(chunk);
          if (!connected) {
            // Whatever came before, a CONNECT now is either accepted or refused with an ERROR.
            client.sendRaw(sdkFrame("CONNECT", { "accept-version": "1.2", "heart-beat": "5000,5000" }));
            const deadline = Date.now() + 3000;
            while (!client.closed && !client.frames.some((f) => f.command === "CONNECTED" || f.command === "ERROR") && Date.now() < deadline) await sleep(3);
            expect(client.closed || client.frames.some((f) => f.command === "CONNECTED" || f.command === "ERROR"), "no answer to CONNECT").toBeTruthy();
          }
          if (!client.closed && client.frames.some((f) => f.command === "CONNECTED")) await settle(client);
          expectNoInternalError(expect, client.frames, chunks.map((c) => (typeof c === "string" ? c : `${c.length} bytes`)));
          client.close();
          expect(await snapshot(w.appId), "random bytes wrote something").toBe(before);
          await expectShardAlive(expect, w, chunks.length);
        },
      ),
      { numRuns: RUNS },
    );
    await expectFreshSessionWorks(expect, w);
    w.sentinel.close();
  });
});

describe("chat sessions under random STOMP frames", () => {
  it("random commands, headers, destinations and bodies: the shard survives, refused frames write nothing", { timeout: TIMEOUT }, async ({ expect }) => {
    const w = await makeWorld();
    let client = (await connectChat(w.app, w.name)).client;
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stompFrame(w), { minLength: 1, maxLength: 4 }), async (frames) => {
        // A fresh connection now and then: each has a frame budget (300 per 10 s).
        if (client.closed || sent > 200) {
          client.close();
          client = (await connectChat(w.app, w.name)).client;
          sent = 0;
        }
        sent += frames.length + 1;
        client.frames.length = 0;
        const before = await snapshot(w.appId);
        for (const frame of frames) client.sendRaw(encode(frame));
        const open = await settle(client);
        expectNoInternalError(expect, client.frames, frames);
        const writers = frames.filter(mayWrite);
        // Only SENDs to actions may write; each one that was refused said so on the errors queue.
        const refused = (f: FuzzFrame) =>
          f.headers.receipt !== undefined && client.frames.some((m) => m.headers.destination === ERRORS_QUEUE && m.headers["receipt-id"] === f.headers.receipt);
        if (writers.every(refused)) {
          if (!open) await sleep(20); // frames in flight on a connection closed by an ERROR are dropped
          expect(await snapshot(w.appId), `refused frames wrote something: ${JSON.stringify(frames).slice(0, 600)}`).toBe(before);
        }
        await expectShardAlive(expect, w, frames);
      }),
      { numRuns: RUNS },
    );
    client.close();
    await expectFreshSessionWorks(expect, w);
    w.sentinel.close();
  });
});

describe("every action destination under random JSON bodies", () => {
  it("me.update, me.create-channel, channel .message/.read/.join, message .read: refused actions write nothing, never an internal error", { timeout: TIMEOUT }, async ({ expect }) => {
    const w = await makeWorld();
    let client = (await connectChat(w.app, w.name)).client;
    // Carriers for the results of accepted actions (so they are told apart from silence).
    await client.subscribe(sid(), w.me._topics.channels);
    const channel = fc.constantFrom(...w.ids.channels);
    const message = fc.constantFrom(...w.ids.messages);
    const member = fc.oneof(
      fc.record({ id: fc.constantFrom(w.ids.user, w.ids.other, w.ids.foreignUser, 999_999_999) }),
      fc.record({ id: weird }),
      weird,
    );
    const action = fc.oneof(
      fc.record({
        destination: fc.constant("/application/v1/users/me.update"),
        body: fc.record({ displayName: mostly(plausibleName), displayPictureUrl: mostly(fc.webUrl()), properties: mostly(fc.dictionary(fc.string(), fc.jsonValue())) }, { requiredKeys: [] }),
      }),
      fc.record({
        destination: fc.constant("/application/v1/users/me.create-channel"),
        body: fc.record(
          {
            type: mostly(fc.constantFrom("OPEN", "PUBLIC", "PRIVATE", "DIRECT", "open")),
            name: mostly(plausibleName),
            members: mostly(fc.array(member, { maxLength: 12 })),
            properties: mostly(fc.dictionary(fc.string(), fc.jsonValue())),
          },
          { requiredKeys: [] },
        ),
      }),
      fc.record({
        destination: channel.map((id) => `/application/v1/channels/${id}.message`),
        body: fc.record({ type: mostly(fc.constantFrom("TEXT", "FILE", "SYSTEM_TEXT")), body: mostly(plausibleName), file: weird, properties: weird }, { requiredKeys: [] }),
      }),
      fc.record({ destination: channel.map((id) => `/application/v1/channels/${id}.read`), body: fc.jsonValue() }),
      fc.record({ destination: channel.map((id) => `/application/v1/channels/${id}.join`), body: fc.jsonValue() }),
      fc.record({ destination: message.map((id) => `/application/v1/messages/${id}.read`), body: fc.jsonValue() }),
    );
    const payload = fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: anyJsonText });
    const contentType = fc.option(fc.constantFrom("application/json;charset=UTF-8", "application/json", "text/plain", ""), { nil: undefined });
    const answers: Record<string, number> = {};
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(action, payload, contentType, async ({ destination: dest, body }, raw, type) => {
        // A fresh connection now and then: each has a frame budget (300 per 10 s).
        if (client.closed || sent > 200) {
          client.close();
          client = (await connectChat(w.app, w.name)).client;
          await client.subscribe(sid(), w.me._topics.channels);
          sent = 0;
        }
        sent += 2;
        client.frames.length = 0;
        const text = raw ?? safeStringify(body);
        const before = await snapshot(w.appId);
        const r = receipt();
        client.send("SEND", { destination: dest, receipt: r, ...(type === undefined ? {} : { "content-type": type }) }, text);
        const open = await settle(client);
        const shown = { dest, body: text.slice(0, 300) };
        expect(open, `a well-framed SEND closed the session: ${JSON.stringify(shown)}; ${JSON.stringify(client.frames).slice(0, 400)}`).toBe(true);
        const error = client.frames.find((f) => f.headers.destination === ERRORS_QUEUE && f.headers["receipt-id"] === r);
        expectNoInternalError(expect, client.frames, shown);
        const kind = error ? JSON.parse(error.body).error : "accepted";
        answers[kind] = (answers[kind] ?? 0) + 1;
        if (error) expect(await snapshot(w.appId), `a refused action (${error.body}) wrote something: ${JSON.stringify(shown)}`).toBe(before);
        await expectShardAlive(expect, w, shown);
      }),
      { numRuns: RUNS * 2 },
    );
    // Both kinds of outcome happened: the fuzzing reached the handlers.
    expect(answers.accepted ?? 0, JSON.stringify(answers)).toBeGreaterThan(0);
    expect(Object.keys(answers).length, JSON.stringify(answers)).toBeGreaterThan(3);
    client.close();
    await expectFreshSessionWorks(expect, w);
    w.sentinel.close();
  });
});

describe("examples the fuzzing found", () => {
  // Found by the property above: `{}` (or an empty SEND body, or only unknown fields) reached
  // drizzle as an UPDATE with nothing to set, which throws ("No values to set") and was answered
  // as InternalServerError. Nothing to change is a no-op: the current user comes back unchanged.
  it.for([["{}"], [""], ['{"unknown":1}'], ['{"displayName":null}']])(
    "me.update with %j: answered without an internal error",
    async ([body], { expect }) => {
      const w = await makeWorld();
      const { client } = await connectChat(w.app, w.name);
      await client.subscribe(sid(), w.me._topics.channels);
      const r = receipt();
      client.send("SEND", { destination: "/application/v1/users/me.update", receipt: r }, body);
      const answer = await client.take("me.update answer", (f) => f.headers["receipt-id"] === r);
      expect(answer.headers.destination, answer.body).not.toBe(ERRORS_QUEUE);
      expect(JSON.parse(answer.body)).toMatchObject({ type: "me.updated", resource: { name: w.name } });
      client.close();
      w.sentinel.close();
    },
  );
});

describe("the session upgrade under random query strings", () => {
  it("GET /stompx/websocket with random api keys, user names and auth params: 101 or 426, never a 5xx; unknown keys write nothing", { timeout: TIMEOUT }, async ({ expect }) => {
    const { app } = await setup();
    const locked = await setup();
    await env.DB.prepare("UPDATE applications SET require_authenticated_sessions = 1 WHERE id = ?").bind(locked.app.id).run();
    const lockedUser = await locked.createUser();
    const name = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: "grapheme", maxLength: 20 }),
      fc.constantFrom("", " ", "undefined", "null", lockedUser.name, "x".repeat(256), "%", "a&b=c"),
    );
    const key = fc.oneof(fc.constantFrom(app.key, locked.app.key, "", "undefined"), fc.uuid(), fc.string({ maxLength: 80 }));
    const authParams = fc.option(
      fc.oneof(fc.json(), fc.record({ token: weird }).map(safeStringify), fc.string({ maxLength: 50 }), fc.constant("x".repeat(5000))),
      { nil: undefined },
    );
    await fc.assert(
      fc.asyncProperty(fc.record({ key, name, authParams, upgrade: fc.boolean(), extra: fc.option(fc.webQueryParameters(), { nil: undefined }) }), async (q) => {
        const query = [
          `api_key=${encodeURIComponent(q.key)}`,
          `stompx_user=${encodeURIComponent(q.name)}`,
          ...(q.authParams === undefined ? [] : [`stompx_auth_params=${encodeURIComponent(q.authParams)}`]),
          ...(q.extra ? [q.extra] : []),
        ].join("&");
        const guarded = q.key !== app.key;
        const before = await snapshot(locked.app.id, { tableSizes: false });
        const beforeMine = guarded ? await snapshot(app.id) : undefined;
        let res: Response;
        if (q.upgrade) {
          try {
            res = await openSocket(query);
          } catch (e) {
            if (e instanceof URIError) return;
            throw e;
          }
        } else {
          res = await fetchWorker(`/stompx/websocket?${query}`);
        }
        expect(res.status, `${query.slice(0, 300)} → ${res.status}`).toBe(q.upgrade ? 101 : 426);
        if (res.webSocket) {
          const client = new ChatClient(res.webSocket);
          client.send("CONNECT", { "accept-version": "1.2", "heart-beat": "5000,5000" });
          const answer = await client.take("CONNECTED or ERROR", (f) => f.command === "CONNECTED" || f.command === "ERROR");
          expectNoInternalError(expect, [answer], query);
          client.close();
        } else {
          await res.text();
        }
        // The locked application admits nobody without a valid token (none is ever sent), and an
        // unknown key names no application: neither writes anything.
        expect(await snapshot(locked.app.id, { tableSizes: false }), query.slice(0, 300)).toBe(before);
        if (beforeMine) expect(await snapshot(app.id), query.slice(0, 300)).toBe(beforeMine);
      }),
      { numRuns: RUNS },
    );
  });
});
