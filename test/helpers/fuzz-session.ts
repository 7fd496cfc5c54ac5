/**
 * The chat-session abuse suites' world and tools (frames.fuzz, actions.fuzz and upgrade.fuzz): an
 * application whose user has channels of every kind, messages and a sentinel connection; the
 * checks that the user's `SessionShard` survived and that nothing reported an internal error; a
 * fence that waits until a connection handled everything sent; generators of odd values and JSON.
 */
import fc from "fast-check";
import type { ExpectStatic } from "vitest";
import { ORIGIN, setup } from "./api";
import { type ChatClient, connectChat, ERRORS_QUEUE, receipt, sdkFrame, sid, sleep, type ServerFrame } from "./chat";
import { mostlyOr, ODD_STRINGS, oddValues, safeStringify } from "./fuzz";

/** Runs per property: bounded, so each file stays well under a minute. */
export const RUNS = 80;

// ── the world ────────────────────────────────────────────────────────────────────────────────

export const makeWorld = async () => {
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
export type World = Awaited<ReturnType<typeof makeWorld>>;

/**
 * The shard is alive: the sentinel (same user, so same shard), open since the world was made,
 * is still open and answers a relay (or, past its frame budget, refuses it: an answer all the same).
 */
export const expectShardAlive = async (expect: ExpectStatic, w: World, context: unknown) => {
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
export const expectFreshSessionWorks = async (expect: ExpectStatic, w: World) => {
  const { client, me } = await connectChat(w.app, w.name);
  expect(me.name).toBe(w.name);
  client.close();
};

/**
 * Waits until the connection has handled everything sent so far (a fence RECEIPT) or has been
 * closed (an ERROR frame ends a session). Returns whether it is still open.
 */
export const settle = async (client: ChatClient, ms = 3000): Promise<boolean> => {
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
export const expectNoInternalError = (expect: ExpectStatic, frames: ServerFrame[], context: unknown) => {
  const internal = frames.filter((f) => /InternalServerError/.test(f.body) || /InternalServerError/.test(f.headers.message ?? ""));
  expect(internal, `internal error after ${JSON.stringify(context)?.slice(0, 400)}`).toEqual([]);
};

// ── generators ───────────────────────────────────────────────────────────────────────────────

/** Values for a field that expects something specific. */
export const weird = oddValues(...ODD_STRINGS);

/** Mostly a plausible value, sometimes anything. */
export const mostly = mostlyOr(weird);

export const anyJsonText = fc.oneof(
  fc.json(),
  fc.anything().map(safeStringify),
  fc.string(),
  fc.constantFrom("", "{", "{}", "[]", "null", '"x"', '{"__proto__":{"polluted":1}}', "\uFEFF{}", "1e999999", "x".repeat(70_000)),
);
