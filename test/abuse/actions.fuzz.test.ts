/**
 * Abuse tests for chat sessions' actions (shared/spec/stompx-protocol.md): random JSON bodies,
 * near-valid or not, sent as the SDK sends them to every action destination (me.update,
 * me.create-channel, a channel's .message/.read/.join, a message's .read), over real WebSockets
 * opened through the Worker, property-based with fast-check. An action is accepted or refused on
 * the errors queue, never with `InternalServerError`; a refused action writes nothing (a snapshot
 * of the whole database around every run); the user's `SessionShard` survives (a sentinel
 * connection keeps answering), and a fresh session works after the barrage. Also the examples the
 * fuzzing found, kept as plain tests.
 *
 * Runs are bounded (RUNS per property) so the file stays well under a minute. A failure prints
 * fast-check's seed and the shrunk input; rerun with `{ seed, path }` in `fc.assert` options.
 * The world, the checks and the shared generators are in test/helpers/fuzz-session.ts.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { connectChat, ERRORS_QUEUE, receipt, sid } from "../helpers/chat";
import { snapshot } from "../helpers/db-state";
import { plausibleName, safeStringify, TIMEOUT } from "../helpers/fuzz";
import {
  anyJsonText,
  expectFreshSessionWorks,
  expectNoInternalError,
  expectShardAlive,
  makeWorld,
  mostly,
  RUNS,
  settle,
  weird,
} from "../helpers/fuzz-session";

describe("every action destination under random JSON bodies", () => {
  it("me.update, me.create-channel, channel .message/.read/.join, message .read: refused actions write nothing, never an internal error", {
    timeout: TIMEOUT,
  }, async ({ expect }) => {
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
        body: fc.record(
          {
            displayName: mostly(plausibleName),
            displayPictureUrl: mostly(fc.webUrl()),
            properties: mostly(fc.dictionary(fc.string(), fc.jsonValue())),
          },
          { requiredKeys: [] },
        ),
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
        body: fc.record(
          { type: mostly(fc.constantFrom("TEXT", "FILE", "SYSTEM_TEXT")), body: mostly(plausibleName), file: weird, properties: weird },
          { requiredKeys: [] },
        ),
      }),
      fc.record({ destination: channel.map((id) => `/application/v1/channels/${id}.read`), body: fc.jsonValue() }),
      fc.record({ destination: channel.map((id) => `/application/v1/channels/${id}.join`), body: fc.jsonValue() }),
      fc.record({ destination: message.map((id) => `/application/v1/messages/${id}.read`), body: fc.jsonValue() }),
    );
    const payload = fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: anyJsonText });
    const contentType = fc.option(fc.constantFrom("application/json;charset=UTF-8", "application/json", "text/plain", ""), {
      nil: undefined,
    });
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
        expect(
          open,
          `a well-framed SEND closed the session: ${JSON.stringify(shown)}; ${JSON.stringify(client.frames).slice(0, 400)}`,
        ).toBe(true);
        const error = client.frames.find((f) => f.headers.destination === ERRORS_QUEUE && f.headers["receipt-id"] === r);
        expectNoInternalError(expect, client.frames, shown);
        const kind = error ? JSON.parse(error.body).error : "accepted";
        answers[kind] = (answers[kind] ?? 0) + 1;
        if (error)
          expect(await snapshot(w.appId), `a refused action (${error.body}) wrote something: ${JSON.stringify(shown)}`).toBe(before);
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
