/**
 * `POST /v1/imports/messages` (MESSAGE_IMPORT jobs): TEXT and SYSTEM_TEXT messages stored as
 * channel history in file order, by the rules of sending one (body limits, persisted channels of
 * the application, senders who may write there); bad records reported per row; keyed records
 * imported once (re-runs, repeats in a file, concurrent jobs), unkeyed ones each time; senders'
 * read markers; a chunk delivered again after it committed writes nothing; 5,000 messages across
 * several chunks. Every JSON answer is checked against ChatKitty's schema.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, type ExpectStatic, it } from "vitest";
import { createDb, openSession } from "../../src/db/client";
import worker from "../../src/index";
import { chunkKey, jobPrefix, uploadKey } from "../../src/jobs/files";
import type { JobMessage } from "../../src/jobs/messages";
import { insertJob, startJob } from "../../src/jobs/queries";
import { CHUNK_ROWS } from "../../src/jobs/run";
import { setup } from "../helpers/api";
import { chatKittyClient, expectChatKitty } from "../helpers/chatkitty-schema";
import { fileSetup } from "../helpers/files";

const messageSetup = async (expect: ExpectStatic) => {
  const s = await fileSetup();
  const api = chatKittyClient(expect, s.api);
  const importMessages = async (records: unknown) => {
    const res = await s.upload("/v1/imports/messages", [["file", new File([JSON.stringify(records)], "messages.json")]]);
    expect(res.status).toBe(202);
    expectChatKitty(expect, res, "POST /v1/imports/messages");
    return res.body;
  };
  const finished = async (jobId: number, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await api.get(`/v1/jobs/${jobId}`);
      if (res.body.state === "FINISHED" || res.body.state === "FAILED") return res.body;
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${res.body.state}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const run = async (records: unknown) => finished((await importMessages(records)).id);
  /** A channel's messages, oldest first. */
  const history = async (channelId: number) =>
    ((await api.get(`/v1/channels/${channelId}/messages?size=100`)).body._embedded?.messages ?? []).reverse() as Record<string, any>[];
  const channel = async (body: object) => {
    const res = await api.post("/v1/channels", body);
    expect(res.status).toBe(201);
    return res.body as { id: number };
  };
  return { ...s, api, importMessages, finished, run, history, channel };
};

describe("POST /v1/imports/messages", () => {
  it("stores TEXT and SYSTEM_TEXT messages in file order, with sender, groupTag and properties", async ({ expect }) => {
    const s = await messageSetup(expect);
    for (const name of ["ann", "bob"]) await s.createUser(name);
    const pub = await s.channel({ type: "PUBLIC", name: "lobby", members: [{ username: "ann" }] });
    const priv = await s.channel({ type: "PRIVATE", name: "team", members: [{ username: "ann" }, { username: "bob" }] });
    const res = await s.importMessages([
      { type: "TEXT", channelId: priv.id, user: "ann", body: "first 🐱", properties: { legacyId: 1 } },
      { type: "SYSTEM_TEXT", channelId: priv.id, body: "bob joined", groupTag: "joins" },
      { type: "TEXT", channelId: pub.id, user: "bob", body: "hello lobby" },
      { type: "TEXT", channelId: priv.id, user: "bob", body: "third" },
    ]);
    expect(res).toMatchObject({ type: "MESSAGE_IMPORT", state: "PENDING" });
    const job = await s.finished(res.id);
    expect(job).toMatchObject({ state: "FINISHED", totalRecords: 4, importedRecords: 4, skippedRecords: 0, failedRecords: 0, errors: [] });
    const team = await s.history(priv.id);
    expect(team.map((m) => [m.type, m.body, m.user?.name])).toEqual([
      ["TEXT", "first 🐱", "ann"],
      ["SYSTEM_TEXT", "bob joined", undefined],
      ["TEXT", "third", "bob"],
    ]);
    expect(team[0]).toMatchObject({ channelId: priv.id, properties: { legacyId: 1 }, nestedLevel: 0 });
    expect(team[1]).toMatchObject({ groupTag: "joins", properties: {} });
    // PUBLIC channels are anyone's to write in, members or not, as for POST on a user's behalf.
    expect((await s.history(pub.id)).map((m) => m.body)).toEqual(["hello lobby"]);
  });

  it("moves each sender's read marker to their newest imported message, as sending does", async ({ expect }) => {
    const s = await messageSetup(expect);
    const [ann, bob] = [await s.createUser("ann"), await s.createUser("bob")];
    const priv = await s.channel({ type: "PRIVATE", name: "team", members: [{ username: "ann" }, { username: "bob" }] });
    await s.run([
      { type: "TEXT", channelId: priv.id, user: "ann", body: "1" },
      { type: "TEXT", channelId: priv.id, user: "ann", body: "2" },
      { type: "TEXT", channelId: priv.id, user: "bob", body: "3" },
      { type: "TEXT", channelId: priv.id, user: "ann", body: "4" },
    ]);
    const unread = async (id: number) => (await s.api.get(`/v1/users/${id}/messages/unread/count`)).body.count;
    expect(await unread(ann.id)).toBe(0);
    // Bob read up to his own message ("3"); ann's "4" came after it.
    expect(await unread(bob.id)).toBe(1);
  });

  it("reports each record that breaks a rule with its index, and stores none of it", async ({ expect }) => {
    const s = await messageSetup(expect);
    for (const name of ["ann", "bob"]) await s.createUser(name);
    const priv = await s.channel({ type: "PRIVATE", name: "team", members: [{ username: "ann" }] });
    const open = await s.createChannel("OPEN", "open");
    const gone = await s.channel({ type: "PUBLIC", name: "gone" });
    expect((await s.api.del(`/v1/channels/${gone.id}`)).status).toBe(200);
    const other = await setup();
    const theirs = await other.createChannel("PUBLIC", "theirs");
    const at = { channelId: priv.id };
    const records = [
      { type: "TEXT", ...at, user: "ann", body: "ok" },
      { type: "TEXT", channelId: open.id, user: "ann", body: "to an OPEN channel" },
      { type: "TEXT", channelId: 999_999_999, user: "ann", body: "nowhere" },
      { type: "TEXT", channelId: theirs.id, user: "ann", body: "another application's" },
      { type: "TEXT", channelId: gone.id, user: "ann", body: "deleted" },
      { type: "TEXT", ...at, user: "bob", body: "not a member" },
      { type: "TEXT", ...at, user: "nobody", body: "no such user" },
      { type: "TEXT", ...at, body: "no user" },
      { type: "SYSTEM_TEXT", ...at, user: "ann", body: "system with a user" },
      { type: "TEXT", ...at, user: "ann", body: "" },
      { type: "TEXT", ...at, user: "ann", body: "x".repeat(10_001) },
      { type: "TEXT", ...at, user: "ann", body: "b", groupTag: "  " },
      { type: "TEXT", ...at, user: "ann", body: "b", properties: [1] },
      { type: "TEXT", channelId: String(priv.id), user: "ann", body: "b" },
      { type: "FILE", ...at, user: "ann", file: { url: "https://example.com/a.png" } },
      { type: "TEXT", user: "ann", body: "no channel" },
      { type: "TEXT", ...at, user: "ann", body: "b", idempotencyKey: "" },
      7,
      { type: "TEXT", ...at, user: "ann", body: "x".repeat(10_000) },
      // 5,000 emoji are 10,000 UTF-16 units: the limit counts as the contract does.
      { type: "SYSTEM_TEXT", ...at, body: "🐱".repeat(5000), groupTag: "g".repeat(255) },
    ];
    const job = await s.run(records);
    expect(job).toMatchObject({ state: "FINISHED", totalRecords: 20, importedRecords: 3, failedRecords: 17 });
    expect(job.errors.map((e: { row: number }) => e.row)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    const byRow = new Map<number, string>(job.errors.map((e: { row: number; message: string }) => [e.row, e.message]));
    expect(byRow.get(1)).toMatch(/OPEN/);
    for (const row of [2, 3, 4]) expect(byRow.get(row)).toMatch(/No channel/);
    expect(byRow.get(5)).toMatch(/not a member/);
    expect(byRow.get(6)).toMatch(/nobody/);
    expect(byRow.get(7)).toMatch(/user/);
    expect(byRow.get(8)).toMatch(/user/);
    expect(byRow.get(9)).toMatch(/body/);
    expect(byRow.get(10)).toMatch(/body/);
    expect(byRow.get(11)).toMatch(/groupTag/);
    expect(byRow.get(12)).toMatch(/properties/);
    expect(byRow.get(13)).toMatch(/channelId/);
    expect(byRow.get(14)).toMatch(/type/);
    expect(byRow.get(15)).toMatch(/channelId/);
    expect(byRow.get(16)).toMatch(/idempotencyKey/);
    expect((await s.history(priv.id)).map((m) => m.body.length)).toEqual([2, 10_000, 10_000]);
    expect((await s.api.get("/v1/messages?size=100")).body._embedded.messages).toHaveLength(3);
  });

  it("imports a keyed record once (again, twice in a file, or by two jobs at once); an unkeyed one each time", async ({ expect }) => {
    const s = await messageSetup(expect);
    await s.createUser("ann");
    const pub = await s.channel({ type: "PUBLIC", name: "lobby" });
    const records = [
      { type: "TEXT", channelId: pub.id, user: "ann", body: "keyed", idempotencyKey: "m-1" },
      { type: "TEXT", channelId: pub.id, user: "ann", body: "same key", idempotencyKey: "m-1" },
      { type: "SYSTEM_TEXT", channelId: pub.id, body: "unkeyed" },
    ];
    expect(await s.run(records)).toMatchObject({ importedRecords: 2, skippedRecords: 1, failedRecords: 0 });
    expect(await s.run(records)).toMatchObject({ importedRecords: 1, skippedRecords: 2, failedRecords: 0 });
    expect((await s.history(pub.id)).map((m) => m.body)).toEqual(["keyed", "unkeyed", "unkeyed"]);

    const keyed = Array.from({ length: 50 }, (_, i) => ({
      type: "SYSTEM_TEXT",
      channelId: pub.id,
      body: `k${i}`,
      idempotencyKey: `race-${i}`,
    }));
    const [a, b] = await Promise.all([s.importMessages(keyed), s.importMessages(keyed)]);
    const [ja, jb] = await Promise.all([s.finished(a.id), s.finished(b.id)]);
    expect(ja.importedRecords + jb.importedRecords).toBe(50);
    expect(ja.skippedRecords + jb.skippedRecords).toBe(50);
    const bodies = (await s.history(pub.id)).map((m) => m.body).filter((body: string) => /^k\d+$/.test(body));
    expect(bodies.sort()).toEqual(keyed.map((r) => r.body).sort());
  }, 30_000);

  it("writes nothing when a committed chunk is delivered again", async ({ expect }) => {
    const s = await messageSetup(expect);
    const pub = await s.channel({ type: "PUBLIC", name: "lobby" });
    const db = createDb(openSession(env.DB, "first-primary"));
    // A job of two chunks, the second never delivered, so the job stays RUNNING after the first.
    const prefix = jobPrefix(s.app.id, crypto.randomUUID());
    const job = await insertJob(db, s.app.id, { type: "MESSAGE_IMPORT", fileName: "m.json", fileKey: uploadKey(prefix) });
    const rows = [{ type: "SYSTEM_TEXT", channelId: pub.id, body: "once" }];
    await env.FILES.put(chunkKey(prefix, 0), JSON.stringify({ first: 0, rows }));
    await startJob(db, job.id, 2, 2);
    const deliver = async () => {
      const message: JobMessage = { kind: "chunk", applicationId: s.app.id, jobId: job.id, chunk: 0 };
      const batch = createMessageBatch<JobMessage>("kitty-edge-jobs", [{ id: "m0", timestamp: Date.now(), attempts: 1, body: message }]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      return getQueueResult(batch, ctx);
    };
    expect((await deliver()).explicitAcks).toEqual(["m0"]);
    expect((await deliver()).explicitAcks).toEqual(["m0"]);
    expect((await s.history(pub.id)).map((m) => m.body)).toEqual(["once"]);
    expect((await s.api.get(`/v1/jobs/${job.id}`)).body).toMatchObject({ state: "RUNNING", importedRecords: 1 });
  });

  it(`imports 5,000 messages (${Math.ceil(5000 / CHUNK_ROWS.MESSAGE_IMPORT)} chunks) to completion with exact counts`, async ({
    expect,
  }) => {
    const s = await messageSetup(expect);
    const users = ["ann", "bob", "cy"];
    for (const name of users) await s.createUser(name);
    const priv = await s.channel({ type: "PRIVATE", name: "team", members: users.map((username) => ({ username })) });
    const n = 5000;
    const records: Record<string, unknown>[] = Array.from({ length: n }, (_, i) =>
      i % 7 === 0
        ? { type: "SYSTEM_TEXT", channelId: priv.id, body: `system ${i}`, groupTag: "sys" }
        : {
            type: "TEXT",
            channelId: priv.id,
            user: users[i % 3],
            body: `message ${i} ${"·".repeat(i % 50)}`,
            properties: { i },
            // Runs of unkeyed messages share multi-row inserts; keyed ones go alone.
            ...(i % 50 < 10 ? { idempotencyKey: `msg-${i}` } : {}),
          },
    );
    records[3210] = { type: "TEXT", channelId: priv.id, user: "nobody", body: "bad" };
    const started = Date.now();
    const job = await s.finished((await s.importMessages(records)).id, 55_000);
    console.log(`imported ${n} messages in ${Date.now() - started} ms`);
    expect(job).toMatchObject({ state: "FINISHED", totalRecords: n, importedRecords: n - 1, skippedRecords: 0, failedRecords: 1 });
    expect(job.errors).toEqual([{ row: 3210, message: expect.stringMatching(/nobody/) }]);
    const stored = await env.DB.prepare("select count(*) as n from messages where application_id = ?").bind(s.app.id).first("n");
    expect(stored).toBe(n - 1);
    // Within a chunk, ids follow the file: the newest 100 messages (all of the chunk that committed last) read in file order.
    const newest = await s.api.get(`/v1/channels/${priv.id}/messages?size=100`);
    const rows = newest.body._embedded.messages.map((m: { body: string }) => Number(m.body.split(" ")[1])).reverse();
    expect(rows).toHaveLength(100);
    expect(rows).toEqual([...rows].sort((x, y) => x - y));
    const again = await s.finished((await s.importMessages(records)).id, 55_000);
    const keyed = records.filter((r) => r.idempotencyKey !== undefined).length;
    expect(again).toMatchObject({ importedRecords: n - 1 - keyed, skippedRecords: keyed, failedRecords: 1 });
  }, 90_000);
});
