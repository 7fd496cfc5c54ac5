/**
 * Signals to a channel's live sessions over HTTP, current form: `POST /v1/channels/{id}/events`,
 * `POST /v1/channels/{id}/keystrokes` and `POST /v1/threads/{id}/keystrokes` (a MAIN thread is its
 * channel). Covers the answers (validated against ChatKitty's schemas), every documented bound at
 * and past it, unicode, other applications' and deleted channels and users, who may type where
 * (403), and a room that cannot be reached (503: nothing is stored, so nothing was done).
 * Delivery to sockets is test/realtime/channel-events.test.ts.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, type ExpectStatic, it } from "vitest";
import { MAX_EVENT_PROPERTIES_BYTES, MAX_EVENT_TYPE_LENGTH } from "../../src/chat/live";
import worker from "../../src/index";
import { type ApiResponse, ORIGIN, setup, tokenFor } from "../helpers/api";
import { expectError, expectHal, expectInvalidField } from "../helpers/checks";
import { chatKittyClient, expectChatKitty } from "../helpers/chatkitty-schema";

const checkedSetup = async (expect: ExpectStatic) => {
  const s = await setup();
  return { ...s, api: chatKittyClient(expect, s.api) };
};
type Checked = Awaited<ReturnType<typeof checkedSetup>>;

const user = async (s: Checked, label = "u") => {
  const res = await s.api.post("/v1/users", { name: `${label}-${crypto.randomUUID()}` });
  if (res.status !== 201) throw new Error(`user: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: number; name: string };
};

const channel = async (s: Checked, body: Record<string, unknown> = { type: "PUBLIC" }) => {
  const res = await s.api.post("/v1/channels", body);
  if (res.status !== 201) throw new Error(`channel: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: number; type: string };
};

const events = (id: number) => `/v1/channels/${id}/events`;
const keystrokes = (id: number) => `/v1/channels/${id}/keystrokes`;
const threadKeystrokes = (id: number) => `/v1/threads/${id}/keystrokes`;

/** `{"k": "<filler>"}` whose JSON is exactly `bytes` UTF-8 bytes, with `unit` (1 or 2 bytes) as filler. */
const propertiesOf = (bytes: number, unit = "x") => {
  const overhead = JSON.stringify({ k: "" }).length;
  const unitBytes = new TextEncoder().encode(unit).byteLength;
  if ((bytes - overhead) % unitBytes !== 0) throw new Error("bytes must fit whole units");
  return { k: unit.repeat((bytes - overhead) / unitBytes) };
};

describe("POST /v1/channels/{id}/events", () => {
  it("answers the event as sessions get it, type and properties kept exactly, also as ChatKitty's SDK sends it", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const ch = await channel(s);
    const properties = { payload: "Boom! 💥", stuff: { favoriteNumber: 42, list: [null, true, 1.5, "مرحبا"] } };
    const res = await s.api.post(events(ch.id), { type: "My Custom Event 🎉", properties });
    expectHal(expect, res);
    const event = expectChatKitty(expect, res, "POST /v1/channels/{id}/events");
    expect(event).toEqual({
      type: "My Custom Event 🎉",
      properties,
      _links: {
        channel: { href: `${ORIGIN}/v1/applications/${s.app.id}/channels/${ch.id}` },
        application: { href: `${ORIGIN}/v1/applications/${s.app.id}` },
      },
    });
    expect(event).not.toHaveProperty("user");
    const vendor = await s.api.call("POST", events(ch.id), { type: "poke" }, { "Content-Type": "application/vnd.chatkitty+json" });
    expectHal(expect, vendor);
    expect(vendor.body).toMatchObject({ type: "poke", properties: {} });
  });

  it("takes a type of up to 100 UTF-16 units and properties of up to 16 KiB as JSON; refuses past either", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const ch = await channel(s);
    expect(MAX_EVENT_TYPE_LENGTH).toBe(100);
    expect(MAX_EVENT_PROPERTIES_BYTES).toBe(16 * 1024);
    for (const type of ["x".repeat(100), "😀".repeat(50), " a "]) {
      expect((await s.api.post(events(ch.id), { type, properties: {} })).body.type).toBe(type);
    }
    for (const properties of [propertiesOf(16 * 1024), propertiesOf(16 * 1024, "é")]) {
      expect((await s.api.post(events(ch.id), { type: "t", properties })).body.properties).toEqual(properties);
    }
    for (const type of ["x".repeat(101), `${"😀".repeat(50)}x`, "", "   ", 7, null]) {
      expectInvalidField(expect, await s.api.post(events(ch.id), { type, properties: {} }), "type");
    }
    expectInvalidField(expect, await s.api.post(events(ch.id), { properties: {} }), "type");
    for (const properties of [propertiesOf(16 * 1024 + 1), propertiesOf(16 * 1024 + 2, "é"), [], "x", 1, null]) {
      expectInvalidField(expect, await s.api.post(events(ch.id), { type: "t", properties }), "properties");
    }
    expectInvalidField(expect, await s.api.post(events(ch.id), '{"type": "\\ud800"}'), "type");
    expectInvalidField(expect, await s.api.post(events(ch.id), []), "body");
    expectError(expect, await s.api.post(events(ch.id), "{"), 400);
  });

  it("answers 404 for another application's channel, a deleted one, an unknown one and a malformed id; an OPEN one takes events", async ({
    expect,
  }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    const theirs = await channel(b);
    const gone = await channel(a);
    expect((await a.api.del(`/v1/channels/${gone.id}`)).status).toBe(200);
    for (const id of [theirs.id, gone.id, 999_999_999]) {
      const body = expectError(expect, await a.api.post(events(id), { type: "t", properties: {} }), 404, "ResourceNotFoundError");
      expect(body.message).toBe(`Channel ${id} not found`);
    }
    expectError(expect, await a.api.post("/v1/channels/abc/events", { type: "t" }), 404);
    // OPEN channels exist in the current form by id (a GET shows them), so their watchers get events too.
    const open = (await a.api.post(`${a.urls.channels}`, { type: "OPEN", name: "open" })).body as { id: number };
    expect((await a.api.post(events(open.id), { type: "t" })).status).toBe(200);
  });
});

describe("POST /v1/channels/{id}/keystrokes and /v1/threads/{id}/keystrokes", () => {
  it("answers the keystrokes with the typist's name, by id or by username, on a channel or its MAIN thread", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await user(s, "jané");
    const ch = await channel(s);
    const byId = await s.api.post(keystrokes(ch.id), { keys: "Hel 👋🏽", user: { id: jane.id } });
    expectHal(expect, byId);
    expect(expectChatKitty(expect, byId, "POST /v1/channels/{id}/keystrokes")).toEqual({
      keys: "Hel 👋🏽",
      username: jane.name,
      _links: {
        user: { href: `${ORIGIN}/v1/applications/${s.app.id}/users/${jane.id}` },
        thread: { href: `${ORIGIN}/v1/threads/${ch.id}` },
        channel: { href: `${ORIGIN}/v1/applications/${s.app.id}/channels/${ch.id}` },
        application: { href: `${ORIGIN}/v1/applications/${s.app.id}` },
      },
    });
    const byName = await s.api.post(threadKeystrokes(ch.id), { keys: "Hello", user: { username: jane.name } });
    expectHal(expect, byName);
    expect(expectChatKitty(expect, byName, "POST /v1/threads/{id}/keystrokes")).toMatchObject({ keys: "Hello", username: jane.name });
    expect(byName.body._links).toEqual(byId.body._links);
  });

  it("takes keys of 0 to 10,000 UTF-16 units; refuses longer, missing or non-string keys and missing or unknown users", async ({
    expect,
  }) => {
    const s = await checkedSetup(expect);
    const other = await checkedSetup(expect);
    const jane = await user(s);
    const stranger = await user(other);
    const ch = await channel(s);
    const by = { id: jane.id };
    for (const keys of ["", "x".repeat(10_000), "😀".repeat(5000), " \n\t"]) {
      expect((await s.api.post(keystrokes(ch.id), { keys, user: by })).body.keys).toBe(keys);
    }
    for (const keys of ["x".repeat(10_001), `${"😀".repeat(5000)}x`, 7, null, undefined]) {
      expectInvalidField(expect, await s.api.post(keystrokes(ch.id), { keys, user: by }), "keys");
    }
    for (const ref of [undefined, { id: 999_999_999 }, { username: "nobody" }, { id: stranger.id }]) {
      expectInvalidField(expect, await s.api.post(keystrokes(ch.id), { keys: "x", user: ref }), "user");
    }
    for (const ref of [{ id: "1" }, { id: -1 }, { username: "" }, 7, null]) {
      expectError(expect, await s.api.post(keystrokes(ch.id), { keys: "x", user: ref }), 400);
    }
    expectInvalidField(expect, await s.api.post(threadKeystrokes(ch.id), { keys: "x".repeat(10_001), user: by }), "keys");
  });

  it("refuses a deleted user, by id or by name (400)", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const deleted = await user(s);
    const ch = await channel(s);
    expect((await s.api.del(`/v1/users/${deleted.id}`)).status).toBe(200);
    for (const ref of [{ id: deleted.id }, { username: deleted.name }]) {
      expectInvalidField(expect, await s.api.post(keystrokes(ch.id), { keys: "x", user: ref }), "user");
    }
  });

  it("lets only members type in PRIVATE and DIRECT channels (403); anyone in PUBLIC and OPEN ones", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const [jane, john, outsider] = [await user(s), await user(s), await user(s)];
    const priv = await channel(s, { type: "PRIVATE", members: [{ id: jane.id }] });
    const direct = await channel(s, { type: "DIRECT", members: [{ id: jane.id }, { id: john.id }] });
    for (const ch of [priv, direct]) {
      for (const url of [keystrokes(ch.id), threadKeystrokes(ch.id)]) {
        expect((await s.api.post(url, { keys: "in", user: { id: jane.id } })).status).toBe(200);
        const refused = expectError(
          expect,
          await s.api.post(url, { keys: "out", user: { username: outsider.name } }),
          403,
          "ForbiddenError",
        );
        expect(refused.error_description).toBe(refused.message);
      }
    }
    const pub = await channel(s);
    const open = (await s.api.post(s.urls.channels, { type: "OPEN", name: "open" })).body as { id: number };
    for (const id of [pub.id, open.id]) {
      expect((await s.api.post(keystrokes(id), { keys: "x", user: { id: outsider.id } })).status).toBe(200);
    }
  });

  it("answers 404 for another application's channel, a deleted one and an unknown one (a thread's as a thread)", async ({ expect }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    const jane = await user(a);
    const theirs = await channel(b);
    const gone = await channel(a);
    expect((await a.api.del(`/v1/channels/${gone.id}`)).status).toBe(200);
    for (const id of [theirs.id, gone.id, 999_999_999]) {
      const body = { keys: "x", user: { id: jane.id } };
      expect(expectError(expect, await a.api.post(keystrokes(id), body), 404).message).toBe(`Channel ${id} not found`);
      expect(expectError(expect, await a.api.post(threadKeystrokes(id), body), 404).message).toBe(`Thread ${id} not found`);
    }
    expectError(expect, await a.api.post("/v1/threads/0/keystrokes", { keys: "x", user: { id: jane.id } }), 404);
  });
});

/** Calls on `target` go to it, but the methods in `override`. */
const overriding = <T extends object>(target: T, override: Record<string, unknown>): T =>
  new Proxy(target, {
    get(t, prop) {
      if (typeof prop === "string" && prop in override) return override[prop];
      const value = Reflect.get(t, prop, t);
      return typeof value === "function" ? value.bind(t) : value;
    },
  });

describe("signals and the channel's room", () => {
  /** One request through the Worker whose rooms fail `signal` with `error()`. */
  const withFailingRooms = async (error: () => unknown, url: string, token: string, body: unknown): Promise<ApiResponse> => {
    let calls = 0;
    const failSignal = async () => {
      calls++;
      throw error();
    };
    const failing = overriding(env.CHANNEL_ROOMS, {
      get: (id: DurableObjectId) => overriding(env.CHANNEL_ROOMS.get(id), { signal: failSignal }),
    });
    const ctx = createExecutionContext();
    const init = {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    };
    const res = await worker.fetch(new Request(`${ORIGIN}${url}`, init), { ...env, CHANNEL_ROOMS: failing }, ctx);
    await waitOnExecutionContext(ctx);
    return { status: res.status, headers: res.headers, body: { ...(await res.json<object>()), calls } };
  };

  it("a room that stays unreachable after retries is a 503 with Retry-After: nothing was delivered", async ({ expect }) => {
    const s = await setup();
    const token = await tokenFor(s.app);
    const ch = (await s.api.post("/v1/channels", { type: "PUBLIC" })).body as { id: number };
    const jane = (await s.api.post("/v1/users", { name: `jane-${crypto.randomUUID()}` })).body as { id: number };
    const reset = () => Object.assign(new Error("Durable Object reset because its code was updated."), { retryable: true });
    for (const [url, body] of [
      [events(ch.id), { type: "t" }],
      [keystrokes(ch.id), { keys: "x", user: { id: jane.id } }],
      [threadKeystrokes(ch.id), { keys: "x", user: { id: jane.id } }],
    ] as const) {
      const res = await withFailingRooms(reset, url, token, body);
      const { calls, ...error } = res.body as { calls: number };
      expectError(expect, { ...res, body: error }, 503, "ServiceUnavailableError");
      expect(res.headers.get("Retry-After")).toMatch(/^[1-9]\d*$/);
      expect(calls, "retried before giving up").toBe(3);
    }
    const bug = await withFailingRooms(() => new Error("a bug"), events(ch.id), token, { type: "t" });
    expect(bug.status).toBe(500);
    expect((bug.body as { calls: number }).calls, "not retried").toBe(1);
  });

  it("the three operations are in /v1/openapi.json", async ({ expect }) => {
    const s = await setup();
    const doc = (await s.api.get("/v1/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
    expect(doc.paths["/v1/channels/{channelId}/events"]).toHaveProperty("post");
    expect(doc.paths["/v1/channels/{channelId}/keystrokes"]).toHaveProperty("post");
    expect(doc.paths["/v1/threads/{threadId}/keystrokes"]).toHaveProperty("post");
  });
});
