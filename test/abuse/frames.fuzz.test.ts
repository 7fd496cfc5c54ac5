/**
 * Abuse tests for chat sessions (shared/spec/stompx-protocol.md) under random bytes and random
 * STOMP-ish frames (any command, headers, destination and body; encoded as the SDK does, raw, or
 * cut short), over real WebSockets opened through the Worker, property-based with fast-check.
 * Whatever arrives:
 *
 * - no action is ever answered `InternalServerError`;
 * - the user's `SessionShard` never crashes: a sentinel connection of the same user (same shard)
 *   stays open and keeps answering the `me` relay after every run, and after the barrage a fresh
 *   connection can CONNECT and get the relay;
 * - nothing is written to D1 (nor R2) for a frame that is refused: a snapshot of the whole
 *   database is compared around every run (an action's refusal is its errors-queue MESSAGE with
 *   the SEND's receipt-id, read after a fence: frames of one connection are handled in order).
 *
 * Runs are bounded (RUNS per property) so the file stays well under a minute. A failure prints
 * fast-check's seed and the shrunk input; rerun with `{ seed, path }` in `fc.assert` options.
 * The world, the checks and the shared generators are in test/helpers/fuzz-session.ts.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { connectChat, ERRORS_QUEUE, openChat, sdkFrame, sleep } from "../helpers/chat";
import { snapshot } from "../helpers/db-state";
import { TIMEOUT } from "../helpers/fuzz";
import {
  anyJsonText,
  expectFreshSessionWorks,
  expectNoInternalError,
  expectShardAlive,
  makeWorld,
  RUNS,
  settle,
  type World,
} from "../helpers/fuzz-session";

const utf8 = new TextEncoder();

// ── generators ───────────────────────────────────────────────────────────────────────────────

const idLike = (ids: number[]) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ids.map(String)) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom("0", "-1", "01", "9007199254740993", "99999999999999999", "1e3", "x"),
        fc.nat().map(String),
        fc.string({ maxLength: 6 }),
      ),
    },
  );

/** Every destination the protocol knows, filled with the world's ids (or not quite). */
const destination = (w: World) => {
  const channel = idLike(w.ids.channels);
  const user = idLike([w.ids.user, w.ids.other, w.ids.foreignUser]);
  const message = idLike(w.ids.messages);
  const relayQuery = fc.option(
    fc.oneof(
      fc.webQueryParameters(),
      fc
        .record({
          page: fc.oneof(fc.nat().map(String), fc.string()),
          size: fc.oneof(fc.nat().map(String), fc.string()),
          start: fc.oneof(fc.nat().map(String), fc.string()),
        })
        .map((q) => new URLSearchParams(q).toString()),
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
    fc
      .tuple(
        channel,
        fc.constantFrom(".relay", "/messages.relay", "/unread.relay", "/members.relay", "", "/messages", ".message", ".read", ".join"),
      )
      .map(([id, suffix]) =>
        suffix === "" || suffix === "/messages" ? `/topic/v1/channels/${id}${suffix}` : `/application/v1/channels/${id}${suffix}`,
      ),
    message.map((id) => `/application/v1/messages/${id}.read`),
  );
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(known, relayQuery).map(([d, q]) => (q === undefined ? d : `${d}?${q}`)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "",
        "/",
        "/topic/v1/channels/1/messages/extra",
        `/application/v1/channels/${"9".repeat(600)}.relay`,
        `/application/v1/users/me.relay?${"a=1&".repeat(200)}`,
      ),
    },
  );
};

const headerValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    "",
    ":",
    "a:b",
    "\\",
    "\\n",
    "\\c",
    "\\t",
    "line\nbreak",
    "\r",
    "0",
    "-1",
    "99999999",
    "1.5",
    "application/json",
    "text/plain",
    "auto",
    "client",
  ),
  fc.nat().map(String),
);

const COMMANDS = [
  "CONNECT",
  "STOMP",
  "SEND",
  "SUBSCRIBE",
  "UNSUBSCRIBE",
  "ACK",
  "NACK",
  "BEGIN",
  "COMMIT",
  "ABORT",
  "DISCONNECT",
  "MESSAGE",
  "RECEIPT",
  "ERROR",
];

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
  const head = `${frame.command}\n${Object.entries(frame.headers)
    .map(([k, v]) => `${k}:${v}`)
    .join("\n")}\n\n${frame.body}`;
  const bytes = utf8.encode(frame.encoding === "truncated" ? head : `${head}\0`);
  return frame.encoding === "truncated" ? bytes.slice(0, Math.max(0, bytes.length - 3)) : bytes;
};

/** Is this a SEND whose destination names an action (the only frames that may write)? */
const mayWrite = (frame: FuzzFrame) =>
  frame.command === "SEND" && /\.(update|create-channel|message|read|join)(\?|$)/.test(frame.headers.destination ?? "");

// ── the properties ───────────────────────────────────────────────────────────────────────────

describe("chat sessions under random bytes", () => {
  it("random binary and text messages, before and after CONNECT: the shard survives, nothing is written", { timeout: TIMEOUT }, async ({
    expect,
  }) => {
    const w = await makeWorld();
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(
          fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 1024 }) }, { weight: 1, arbitrary: fc.string({ maxLength: 200 }) }),
          { minLength: 1, maxLength: 4 },
        ),
        async (connected, chunks) => {
          const before = await snapshot(w.appId);
          const client = connected ? (await connectChat(w.app, w.name)).client : await openChat(w.app.key, w.name);
          for (const chunk of chunks) client.sendRaw(chunk);
          if (!connected) {
            // Whatever came before, a CONNECT now is either accepted or refused with an ERROR.
            client.sendRaw(sdkFrame("CONNECT", { "accept-version": "1.2", "heart-beat": "5000,5000" }));
            const deadline = Date.now() + 3000;
            while (
              !client.closed &&
              !client.frames.some((f) => f.command === "CONNECTED" || f.command === "ERROR") &&
              Date.now() < deadline
            )
              await sleep(3);
            expect(
              client.closed || client.frames.some((f) => f.command === "CONNECTED" || f.command === "ERROR"),
              "no answer to CONNECT",
            ).toBeTruthy();
          }
          if (!client.closed && client.frames.some((f) => f.command === "CONNECTED")) await settle(client);
          expectNoInternalError(
            expect,
            client.frames,
            chunks.map((c) => (typeof c === "string" ? c : `${c.length} bytes`)),
          );
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
  it("random commands, headers, destinations and bodies: the shard survives, refused frames write nothing", { timeout: TIMEOUT }, async ({
    expect,
  }) => {
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
          f.headers.receipt !== undefined &&
          client.frames.some((m) => m.headers.destination === ERRORS_QUEUE && m.headers["receipt-id"] === f.headers.receipt);
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
