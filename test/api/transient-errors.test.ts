/**
 * Transient failures of D1, R2 and Durable Objects answer `503 ServiceUnavailableError` with
 * `Retry-After`, never 500, and leave nothing half-written. Faults are injected into real request
 * paths by handing the Worker a binding that fails (`worker.fetch(request, {...env, DB: faulty},
 * ctx)`) for one request; everything else is the real D1, R2 and Durable Objects. The classifier
 * (`isTransientError`) is checked over the messages Cloudflare documents, and over failures that
 * must keep their 4xx or 500.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it, type ExpectStatic } from "vitest";
import { isTransientError } from "../../src/db/errors";
import { channelRoomStub } from "../../src/chat/live";
import worker from "../../src/index";
import { ORIGIN, setup, tokenFor, type ApiResponse } from "../helpers/api";
import { expectError } from "../helpers/checks";
import { snapshot } from "../helpers/db-state";

/** One request through the Worker with some bindings replaced. */
const fetchWith = async (bindings: Partial<Env>, url: string, init: RequestInit): Promise<ApiResponse> => {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(url.startsWith("http") ? url : `${ORIGIN}${url}`, init), { ...env, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
};

/** Calls on a binding go to the real one; `override` replaces some of its methods. */
const overriding = <T extends object>(target: T, override: Partial<Record<keyof T, unknown>>): T =>
  new Proxy(target, {
    get(t, prop) {
      if (prop in override) return override[prop as keyof T];
      const value = Reflect.get(t, prop, t);
      return typeof value === "function" ? value.bind(t) : value;
    },
  });

/**
 * `env.DB`, except that statements whose SQL matches `sql` fail with `error()`, alone or in a
 * batch (where, as in D1, the whole batch fails and nothing of it is written). With `after`, the
 * batch is written first and the answer is lost: what a dropped connection does to a commit.
 */
const faultyD1 = (sql: RegExp, error: () => unknown, { after = false } = {}): D1Database => {
  const failing = new WeakSet<object>();
  const original = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement, text: string): D1PreparedStatement => {
    const fails = sql.test(text);
    const fail = async () => {
      throw error();
    };
    const proxy = overriding(statement, {
      bind: (...values: unknown[]) => wrap(statement.bind(...values), text),
      ...(fails ? { run: fail, all: fail, first: fail, raw: fail } : {}),
    });
    if (fails) failing.add(proxy);
    original.set(proxy, statement);
    return proxy;
  };
  // The Worker opens a D1 session on the binding (db/client.ts): the session is this same wrapper.
  const session: Partial<Record<keyof D1DatabaseSession, unknown>> = { getBookmark: () => null };
  const faulty: D1Database = overriding(env.DB, {
    ...session,
    withSession: () => faulty,
    prepare: (text: string) => wrap(env.DB.prepare(text), text),
    batch: async (statements: D1PreparedStatement[]) => {
      const fails = statements.some((s) => failing.has(s));
      if (fails && !after) throw error();
      const results = await env.DB.batch(statements.map((s) => original.get(s) ?? s));
      if (fails) throw error();
      return results;
    },
  });
  return faulty;
};

/** `env.CHANNEL_ROOMS`, whose rooms fail `method` with `error()` (other calls reach the real room). */
const faultyRooms = (method: string, error: () => unknown): Env["CHANNEL_ROOMS"] => {
  const rooms = env.CHANNEL_ROOMS;
  return overriding(rooms, {
    get: (id: DurableObjectId) => overriding(rooms.get(id), { [method]: async () => Promise.reject(error()) }),
  });
};

/** `env.FILES`, whose `method` fails with `error()`. */
const faultyBucket = (method: keyof R2Bucket, error: () => unknown): R2Bucket =>
  overriding(env.FILES, { [method]: async () => Promise.reject(error()) });

const d1Error = (message: string) => new Error(`D1_ERROR: ${message}`);
const flagged = (message: string, flags: { retryable?: boolean; overloaded?: boolean }) => Object.assign(new Error(message), flags);

/** The 503 every transient failure gets: contract error body, Retry-After in seconds. */
const expectUnavailable = (expect: ExpectStatic, res: ApiResponse) => {
  const body = expectError(expect, res, 503, "ServiceUnavailableError");
  expect(res.headers.get("Retry-After")).toMatch(/^[1-9]\d*$/);
  expect(body.message).toMatch(new RegExp(`retry after ${res.headers.get("Retry-After")} seconds`));
  // No internal detail: not the platform's message, nor any SQL.
  expect(JSON.stringify(body)).not.toMatch(/D1_ERROR|insert|select|Durable Object|10001/i);
  return body;
};

const world = async () => {
  const s = await setup();
  const token = await tokenFor(s.app);
  const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const upload = (): RequestInit => {
    const form = new FormData();
    form.append("file", new File(["some bytes"], "notes.txt", { type: "text/plain" }));
    return { method: "POST", headers: { Authorization: `Bearer ${token}` }, body: form };
  };
  const get: RequestInit = { headers: { Authorization: `Bearer ${token}` } };
  return { ...s, json, upload, get };
};

describe("transient D1 failures", () => {
  it.for([
    ["overloaded", () => d1Error("D1 DB is overloaded. Requests queued for too long.")],
    ["reset", () => d1Error("Internal error in D1 DB storage caused object to be reset.")],
    ["internal error", () => d1Error("internal error; reference = 4e0d1b2c3a")],
  ] as const)("while persisting a message (%s): 503, and nothing was written", async ([, error], { expect }) => {
    const w = await world();
    const channel = await w.createChannel("PUBLIC");
    const before = await snapshot(w.app.id);
    const res = await fetchWith({ DB: faultyD1(/insert into "messages"/, error) }, channel._links.messages.href, w.json({ body: "hi" }));
    expectUnavailable(expect, res);
    expect(await snapshot(w.app.id)).toBe(before);
    // The same request afterwards goes through.
    expect((await w.api.post(channel._links.messages.href, { body: "hi" })).status).toBe(201);
  });

  it("on a read (a wrapped query error, the D1 error as its cause): 503", async ({ expect }) => {
    const w = await world();
    const channel = await w.createChannel("PUBLIC");
    const res = await fetchWith(
      { DB: faultyD1(/from "channels"/, () => d1Error("Network connection lost.")) },
      channel._links.self.href,
      w.get,
    );
    expectUnavailable(expect, res);
  });

  it("after the commit (the answer was lost): 503, and a retry with the same Idempotency-Key answers the message written", async ({
    expect,
  }) => {
    const w = await world();
    const channel = await w.createChannel("PUBLIC");
    const href = channel._links.messages.href;
    const request = () => w.json({ body: "exactly once" }, { "Idempotency-Key": "lost-answer" });
    const lost = await fetchWith(
      { DB: faultyD1(/insert into "messages"/, () => d1Error("Network connection lost."), { after: true }) },
      href,
      request(),
    );
    expectUnavailable(expect, lost);
    const retry = await fetchWith({}, href, request());
    expect(retry.status).toBe(201);
    const listed = (await w.api.get(href)).body._embedded.messages as { id: number; body: string }[];
    expect(listed).toEqual([expect.objectContaining({ id: retry.body.id, body: "exactly once" })]);
  });

  it("a failure that is not transient stays a bare 500, without Retry-After", async ({ expect }) => {
    const w = await world();
    const channel = await w.createChannel("PUBLIC");
    const before = await snapshot(w.app.id);
    const res = await fetchWith(
      { DB: faultyD1(/insert into "messages"/, () => new TypeError("Cannot read properties of undefined (reading 'id')")) },
      channel._links.messages.href,
      w.json({ body: "hi" }),
    );
    expectError(expect, res, 500, "InternalServerError");
    expect(res.headers.get("Retry-After")).toBeNull();
    expect(await snapshot(w.app.id)).toBe(before);
  });
});

describe("transient Durable Object failures", () => {
  it.for([
    ["retryable", () => flagged("Durable Object reset because its code was updated.", { retryable: true })],
    ["overloaded", () => flagged("Durable Object is overloaded. Too many requests queued.", { overloaded: true, retryable: false })],
    ["connection lost", () => new Error("Network connection lost.")],
  ] as const)("while an OPEN channel's room holds a message (%s): 503, and the room holds nothing", async ([, error], { expect }) => {
    const w = await world();
    const channel = await w.createChannel("OPEN");
    const before = await snapshot(w.app.id);
    const res = await fetchWith({ CHANNEL_ROOMS: faultyRooms("post", error) }, channel._links.messages.href, w.json({ body: "hi" }));
    expectUnavailable(expect, res);
    expect(await channelRoomStub(env, w.app.id, channel.id).size()).toBe(0);
    expect(await snapshot(w.app.id)).toBe(before);
  });

  it("with an Idempotency-Key (the room's postOnce): 503, then the retry is held once", async ({ expect }) => {
    const w = await world();
    const channel = await w.createChannel("OPEN");
    const request = () => w.json({ body: "hi" }, { "Idempotency-Key": "room-reset" });
    const error = () => flagged("Durable Object reset because its code was updated.", { retryable: true });
    expectUnavailable(expect, await fetchWith({ CHANNEL_ROOMS: faultyRooms("postOnce", error) }, channel._links.messages.href, request()));
    expect((await fetchWith({}, channel._links.messages.href, request())).status).toBe(201);
    expect((await fetchWith({}, channel._links.messages.href, request())).status).toBe(201);
    expect(await channelRoomStub(env, w.app.id, channel.id).size()).toBe(1);
  });
});

describe("transient R2 failures", () => {
  it.for([
    ["internal error", () => new Error("put: We encountered an internal error. Please try again. (10001)")],
    ["unavailable", () => new Error("put: Service Unavailable (10043)")],
  ] as const)("while storing an upload (%s): 503, no object and no message", async ([, error], { expect }) => {
    const w = await world();
    const channel = await w.createChannel("PUBLIC");
    const before = await snapshot(w.app.id);
    const res = await fetchWith({ FILES: faultyBucket("put", error) }, channel._links.messages.href, w.upload());
    expectUnavailable(expect, res);
    expect(await snapshot(w.app.id)).toBe(before);
    expect((await env.FILES.list({ prefix: `${w.app.id}/` })).objects).toEqual([]);
  });
});

describe("isTransientError", () => {
  const wrapped = (message: string) => new Error(`Failed query: insert into "messages" … params: …`, { cause: new Error(message) });

  it.for([
    // D1 (Cloudflare's list of D1_ERRORs whose recommended action is to retry)
    "D1_ERROR: D1 DB is overloaded. Requests queued for too long.",
    "D1_ERROR: D1 DB is overloaded. Too many requests queued.",
    "D1_ERROR: Network connection lost.",
    "D1_ERROR: Internal error in D1 DB storage caused object to be reset.",
    "D1_ERROR: Internal error while starting up D1 DB storage caused object to be reset.",
    "D1_ERROR: D1 DB's storage operation exceeded timeout which caused object to be reset.",
    "D1_ERROR: D1 DB reset because its code was updated.",
    "D1_ERROR: Cannot resolve D1 DB due to transient issue on remote node.",
    "D1_ERROR: internal error; reference = 4e0d1b2c3a5f",
    // Durable Objects, by message alone
    "Durable Object reset because its code was updated.",
    "Durable Object is overloaded. Requests queued for too long.",
    "Cannot resolve Durable Object due to transient issue on remote node.",
    "Network connection lost.",
    // R2 through the Workers API
    "put: We encountered an internal error. Please try again. (10001)",
    "get: We encountered an internal error. Please try again. (10001)",
    "put: Service Unavailable (10043)",
    "put: Reduce your concurrent request rate for the same object. (10058)",
  ])("transient: %s (and wrapped as a query error's cause)", (message, { expect }) => {
    expect(isTransientError(new Error(message))).toBe(true);
    expect(isTransientError(wrapped(message))).toBe(true);
  });

  it("transient: Durable Object errors flagged retryable or overloaded, whatever their message", ({ expect }) => {
    expect(isTransientError(flagged("Something the runtime said", { retryable: true }))).toBe(true);
    expect(isTransientError(flagged("Something the runtime said", { overloaded: true }))).toBe(true);
    expect(isTransientError(new Error("RPC failed", { cause: flagged("reset", { retryable: true }) }))).toBe(true);
  });

  it.for([
    "D1_ERROR: UNIQUE constraint failed: users.application_id, users.name: SQLITE_CONSTRAINT",
    "D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT",
    "D1_ERROR: no such table: idempotency_keys: SQLITE_ERROR",
    "D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'",
    "D1_ERROR: string or blob too big: SQLITE_TOOBIG",
    "put: Your metadata headers exceed the maximum allowed metadata size. (10012)",
    "Channel 7 not found",
  ])("not transient: %s", (message, { expect }) => {
    expect(isTransientError(new Error(message))).toBe(false);
    expect(isTransientError(wrapped(message))).toBe(false);
  });

  it("not transient: bugs, errors flagged not retryable, and things that are not errors", ({ expect }) => {
    expect(isTransientError(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isTransientError(flagged("Durable Object threw", { retryable: false }))).toBe(false);
    expect(isTransientError("Network connection lost.")).toBe(false);
    expect(isTransientError(undefined)).toBe(false);
    expect(isTransientError({ retryable: "yes" })).toBe(false);
  });
});
