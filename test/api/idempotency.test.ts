/**
 * `Idempotency-Key` on `POST {channel messages}`: a retry answers the first request's message and
 * sends nothing, in persisted channels (keys in D1, written with the message) and OPEN ones (keys
 * in the channel's room); the same key with another request is a 409; keys are per application
 * and kept a day (expired ones are ignored, then swept). Every test makes its own application.
 */
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, it, type ExpectStatic } from "vitest";
import { createDb, openSession } from "../../src/db/client";
import { idempotencyKeys } from "../../src/db/schema";
import { channelRoomStub } from "../../src/chat/live";
import { sweepIdempotencyKeys } from "../../src/chat/queries/idempotency";
import { fetchWorker, setup, tokenFor, type ApiResponse, type Client } from "../helpers/api";
import { expectError, expectHal } from "../helpers/checks";

const DAY_MS = 24 * 60 * 60 * 1000;

const keyed = (key: string | undefined): Record<string, string> => (key === undefined ? {} : { "Idempotency-Key": key });

const postKeyed = (api: Client, href: string, body: unknown, key?: string) => api.call("POST", href, body, keyed(key));

/** Bodies (newest first) of the messages a channel lists. */
const listed = async (api: Client, href: string) => {
  const res = await api.get(`${href}?size=100`);
  if (res.status !== 200) throw new Error(`list: ${res.status}`);
  return res.body._embedded.messages as { id?: number; body?: string; file?: { url: string } }[];
};

const parse = async (res: Response): Promise<ApiResponse> => {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
};

/** Same status, same body (so the same message id and time), same Location. */
const expectSameAnswer = (expect: ExpectStatic, retry: ApiResponse, first: ApiResponse) => {
  expect(retry.status).toBe(first.status);
  expect(retry.body).toEqual(first.body);
  expect(retry.headers.get("Location")).toBe(first.headers.get("Location"));
};

const keyRow = (applicationId: number, key: string) =>
  createDb(openSession(env.DB))
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.applicationId, applicationId), eq(idempotencyKeys.key, key)))
    .get();

describe("Idempotency-Key in a persisted channel", () => {
  it("a retry with the same key answers the first message (201, same body and id) and sends nothing", async ({ expect }) => {
    const { api, app, createChannel } = await setup();
    const channel = await createChannel("PUBLIC");
    const href = channel._links.messages.href;
    const first = await postKeyed(api, href, { body: "pay once" }, "order-42");
    expectHal(expect, first, 201);
    expect(first.body.id).toBeGreaterThan(0);
    const retry = await postKeyed(api, href, { body: "pay once" }, "order-42");
    expectHal(expect, retry, 201);
    expectSameAnswer(expect, retry, first);
    // `{type: "TEXT", body}` asks for the same message as `{body}`.
    expectSameAnswer(expect, await postKeyed(api, href, { type: "TEXT", body: "pay once" }, "order-42"), first);
    expect((await listed(api, href)).map((m) => m.id)).toEqual([first.body.id]);
    expect(await keyRow(app.id, "order-42")).toMatchObject({ messageId: first.body.id });
  });

  it("the same key with another body or another channel is a 409 that sends nothing", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const [one, two] = [await createChannel("PUBLIC", "one"), await createChannel("PRIVATE", "two")];
    const first = await postKeyed(api, one._links.messages.href, { body: "hello" }, "k1");
    expectHal(expect, first, 201);
    for (const [href, body] of [
      [one._links.messages.href, { body: "hello!" }],
      [
        one._links.messages.href,
        { type: "FILE", file: { url: "https://example.com/a.pdf", name: "a.pdf", contentType: "application/pdf", size: 1 } },
      ],
      [two._links.messages.href, { body: "hello" }],
    ] as const) {
      const refused = expectError(expect, await postKeyed(api, href, body, "k1"), 409, "DuplicateResourceError");
      expect(refused.message).toMatch(/Idempotency-Key .*different request/);
      expect(refused.properties).toHaveProperty(["Idempotency-Key"]);
    }
    expect((await listed(api, one._links.messages.href)).map((m) => m.id)).toEqual([first.body.id]);
    expect(await listed(api, two._links.messages.href)).toEqual([]);
  });

  it("keys are per application: the same key in another application sends its own message", async ({ expect }) => {
    const a = await setup();
    const b = await setup();
    const [channelA, channelB] = [await a.createChannel("PUBLIC"), await b.createChannel("PUBLIC")];
    const inA = await postKeyed(a.api, channelA._links.messages.href, { body: "same" }, "shared-key");
    const inB = await postKeyed(b.api, channelB._links.messages.href, { body: "same" }, "shared-key");
    expectHal(expect, inA, 201);
    expectHal(expect, inB, 201);
    expect(inB.body.id).not.toBe(inA.body.id);
    expect(await listed(a.api, channelA._links.messages.href)).toHaveLength(1);
    expect(await listed(b.api, channelB._links.messages.href)).toHaveLength(1);
  });

  it("20 concurrent requests with one key send exactly one message, and all 20 answers name it", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = await createChannel("PUBLIC");
    const href = channel._links.messages.href;
    const answers = await Promise.all(Array.from({ length: 20 }, () => postKeyed(api, href, { body: "once" }, "burst")));
    for (const res of answers) expectHal(expect, res, 201);
    const ids = new Set(answers.map((res) => res.body.id));
    expect(ids.size).toBe(1);
    expect((await listed(api, href)).map((m) => m.id)).toEqual([...ids]);
  });

  it("without the header every POST sends a message, as before", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = await createChannel("PUBLIC");
    const href = channel._links.messages.href;
    const [a, b] = [await postKeyed(api, href, { body: "twice" }), await postKeyed(api, href, { body: "twice" })];
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.id).not.toBe(a.body.id);
    expect(await listed(api, href)).toHaveLength(2);
  });

  it("an expired key (older than 24 hours) is a new key: a new message, recorded afresh", async ({ expect }) => {
    const { api, app, createChannel } = await setup();
    const channel = await createChannel("PUBLIC");
    const href = channel._links.messages.href;
    const old = await postKeyed(api, href, { body: "yesterday" }, "daily");
    await createDb(openSession(env.DB))
      .update(idempotencyKeys)
      .set({ createdAt: new Date(Date.now() - DAY_MS - 60_000) })
      .where(and(eq(idempotencyKeys.applicationId, app.id), eq(idempotencyKeys.key, "daily")));
    // Another body too: an expired key remembers nothing, not even what it was used for.
    const fresh = await postKeyed(api, href, { body: "today" }, "daily");
    expectHal(expect, fresh, 201);
    expect(fresh.body.id).not.toBe(old.body.id);
    expect((await listed(api, href)).map((m) => m.body)).toEqual(["today", "yesterday"]);
    const row = await keyRow(app.id, "daily");
    expect(row?.messageId).toBe(fresh.body.id);
    expect(Date.now() - row!.createdAt.getTime()).toBeLessThan(60_000);
    expectSameAnswer(expect, await postKeyed(api, href, { body: "today" }, "daily"), fresh);
  });

  it("a retry after the message was deleted is told so (404), and sends nothing", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = await createChannel("PUBLIC");
    const href = channel._links.messages.href;
    const first = await postKeyed(api, href, { body: "short-lived" }, "gone");
    expect((await api.del(first.body._links.self.href)).status).toBe(200);
    const retry = expectError(expect, await postKeyed(api, href, { body: "short-lived" }, "gone"), 404, "ResourceNotFoundError");
    expect(retry.message).toMatch(/deleted/);
    expect(await listed(api, href)).toEqual([]);
  });
});

describe("Idempotency-Key on uploads", () => {
  const uploadSetup = async () => {
    const s = await setup();
    const token = await tokenFor(s.app);
    const channel = await s.createChannel("PUBLIC");
    const upload = (bytes: string, key: string) => {
      const form = new FormData();
      form.append("file", new File([bytes], "report.txt", { type: "text/plain" }));
      form.append("groupTag", "reports");
      return fetchWorker(channel._links.messages.href, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Idempotency-Key": key },
        body: form,
      }).then(parse);
    };
    const objects = async () => (await env.FILES.list({ prefix: `${s.app.id}/${channel.id}/` })).objects.map((o) => o.key);
    return { ...s, channel, upload, objects };
  };

  it("a retried upload sends one message and stores one object; other bytes under the key are a 409", async ({ expect }) => {
    const { api, channel, upload, objects } = await uploadSetup();
    const first = await upload("quarterly numbers", "upload-1");
    expectHal(expect, first, 201);
    const retry = await upload("quarterly numbers", "upload-1");
    expectSameAnswer(expect, retry, first);
    expectError(expect, await upload("other numbers", "upload-1"), 409, "DuplicateResourceError");
    expect((await listed(api, channel._links.messages.href)).map((m) => m.id)).toEqual([first.body.id]);
    expect(await objects()).toHaveLength(1);
    expect(await (await fetchWorker(first.body.file.url)).text()).toBe("quarterly numbers");
  });

  it("concurrent uploads with one key: one message, and the losers' objects are deleted", async ({ expect }) => {
    const { api, channel, upload, objects } = await uploadSetup();
    const answers = await Promise.all(Array.from({ length: 5 }, () => upload("same bytes", "upload-burst")));
    for (const res of answers) expectHal(expect, res, 201);
    expect(new Set(answers.map((res) => res.body.id)).size).toBe(1);
    expect(await listed(api, channel._links.messages.href)).toHaveLength(1);
    expect(await objects()).toHaveLength(1);
  });
});

describe("Idempotency-Key in an OPEN channel (keys kept by its room)", () => {
  it("a retry answers the held message and the room holds one; another body is a 409", async ({ expect }) => {
    const { api, app, createChannel } = await setup();
    const channel = await createChannel("OPEN");
    const href = channel._links.messages.href;
    const first = await postKeyed(api, href, { body: "ephemeral once" }, "open-1");
    expectHal(expect, first, 201);
    expect(first.body.id).toBeUndefined();
    expectSameAnswer(expect, await postKeyed(api, href, { body: "ephemeral once" }, "open-1"), first);
    expectError(expect, await postKeyed(api, href, { body: "something else" }, "open-1"), 409, "DuplicateResourceError");
    expect(await channelRoomStub(env, app.id, channel.id).size()).toBe(1);
    expect((await listed(api, href)).map((m) => m.body)).toEqual(["ephemeral once"]);
    // Nothing about an OPEN channel's messages is written to D1, keys included.
    expect(await keyRow(app.id, "open-1")).toBeUndefined();
  });

  it("concurrent requests with one key: one held message, every answer the same", async ({ expect }) => {
    const { api, app, createChannel } = await setup();
    const channel = await createChannel("OPEN");
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => postKeyed(api, channel._links.messages.href, { body: "burst" }, "open-burst")),
    );
    for (const res of answers) expect(res.body).toEqual(answers[0]!.body);
    expect(await channelRoomStub(env, app.id, channel.id).size()).toBe(1);
  });
});

describe("Idempotency-Key values", () => {
  it.for([
    ["empty", ""],
    ["256 characters", "k".repeat(256)],
    ["not ASCII", "clé"],
  ])("%s: 400 naming the header, nothing sent", async ([, key], { expect }) => {
    const { api, createChannel } = await setup();
    const channel = await createChannel("PUBLIC");
    const res = await postKeyed(api, channel._links.messages.href, { body: "x" }, key);
    const body = expectError(expect, res, 400, "InvalidRequestError");
    expect(body.message).toMatch(/Idempotency-Key/);
    expect(body.properties).toHaveProperty(["idempotency-key"]);
    expect(await listed(api, channel._links.messages.href)).toEqual([]);
  });

  it("255 printable ASCII characters, spaces and punctuation included, are a key", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = await createChannel("PUBLIC");
    const key = `a b~!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}`.padEnd(255, "z");
    const first = await postKeyed(api, channel._links.messages.href, { body: "x" }, key);
    expectHal(expect, first, 201);
    expectSameAnswer(expect, await postKeyed(api, channel._links.messages.href, { body: "x" }, key), first);
  });
});

describe("sweepIdempotencyKeys", () => {
  it("deletes every key older than 24 hours, however many, and keeps the others", async ({ expect }) => {
    const { api, app, createChannel } = await setup();
    const channel = await createChannel("PUBLIC");
    const kept = await postKeyed(api, channel._links.messages.href, { body: "recent" }, "recent");
    const now = Date.now();
    // 2,500 expired keys: more than one sweep statement deletes.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
       INSERT INTO idempotency_keys (application_id, key, fingerprint, message_id, created_at)
       SELECT ?1, 'old-' || i, 'f', ?2, ?3 - i FROM n`,
    )
      .bind(app.id, kept.body.id, now - DAY_MS)
      .run();
    expect(await sweepIdempotencyKeys(createDb(openSession(env.DB)), now)).toBe(2500);
    const left = await env.DB.prepare("SELECT key FROM idempotency_keys WHERE application_id = ?").bind(app.id).all();
    expect(left.results).toEqual([{ key: "recent" }]);
    expect(await sweepIdempotencyKeys(createDb(openSession(env.DB)), new Date(now))).toBe(0);
  });
});
