/**
 * Imports as background jobs (`POST /v1/imports/users`, `POST /v1/imports/channels/{id}/members`,
 * `GET /v1/jobs[/{id}]`): the upload answers 202 with a PENDING job, and the JOBS queue (miniflare
 * delivers it, as Cloudflare would) splits the file into chunks and imports them; the test polls
 * the job as a client would. Also: idempotencyKey of users and members, records over the size
 * limit, chunks bounded by size. Every JSON answer is checked against ChatKitty's schema
 * (ApplicationJobResource and its page).
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, type ExpectStatic, it } from "vitest";
import { createDb, openSession } from "../../src/db/client";
import worker from "../../src/index";
import { jobPrefix, uploadKey } from "../../src/jobs/files";
import { type JobMessage, sendJobMessages } from "../../src/jobs/messages";
import { insertJob } from "../../src/jobs/queries";
import { CHUNK_ROWS } from "../../src/jobs/run";
import { type ApiResponse, setup } from "../helpers/api";
import { expectError } from "../helpers/checks";
import { chatKittyClient, expectChatKitty } from "../helpers/chatkitty-schema";
import { fileSetup, objectsUnder } from "../helpers/files";

const importSetup = async (expect: ExpectStatic) => {
  const s = await fileSetup();
  const api = chatKittyClient(expect, s.api);
  /** Uploads `records` (JSON, or text as it is) as an import's file; a 202 is checked against ChatKitty's schema. */
  const importFile = async (href: string, operation: string, records: unknown, name = "import.json"): Promise<ApiResponse> => {
    const text = typeof records === "string" ? records : JSON.stringify(records);
    const res = await s.upload(href, [["file", new File([text], name, { type: "application/json" })]]);
    if (res.status === 202) expectChatKitty(expect, res, operation);
    return res;
  };
  const importUsers = (records: unknown, name = "users.json") => importFile("/v1/imports/users", "POST /v1/imports/users", records, name);
  /** Polls the job (as the SDKs' callers do) until it ends; fails the test after `timeoutMs`. */
  const finished = async (jobId: number, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await api.get(`/v1/jobs/${jobId}`);
      expect(res.status).toBe(200);
      if (res.body.state === "FINISHED" || res.body.state === "FAILED") return res.body;
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${res.body.state} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const userNamed = async (name: string) => (await api.get(`/v1/users?name=${encodeURIComponent(name)}`)).body._embedded.users[0];
  return { ...s, api, importFile, importUsers, finished, userNamed };
};

describe("POST /v1/imports/users", () => {
  it("answers 202 with a PENDING USER_IMPORT job, which the queue runs to FINISHED", async ({ expect }) => {
    const s = await importSetup(expect);
    const res = await s.importUsers(
      [
        { name: "jane", displayName: "Jane Doe", guest: false, properties: { favoriteNumber: 42 } },
        {
          name: "joe",
          displayName: "Joe",
          isGuest: true,
          properties: {},
          displayPicture: { url: "https://example.com/joe.png", name: "joe.png", contentType: "image/png", size: 10 },
        },
      ],
      "people.json",
    );
    expect(res.status).toBe(202);
    expect(res.headers.get("Location")).toBe(res.body._links.self.href);
    expect(res.body).toMatchObject({ type: "USER_IMPORT", state: "PENDING", file: "people.json", importedRecords: 0 });

    const job = await s.finished(res.body.id);
    expect(job).toMatchObject({ state: "FINISHED", totalRecords: 2, importedRecords: 2, skippedRecords: 0, failedRecords: 0, errors: [] });
    expect(Date.parse(job.endedTime)).toBeGreaterThanOrEqual(Date.parse(job.createdTime));
    expect(await s.userNamed("jane")).toMatchObject({ displayName: "Jane Doe", isGuest: false, properties: { favoriteNumber: 42 } });
    expect(await s.userNamed("joe")).toMatchObject({ isGuest: true, displayPictureUrl: "https://example.com/joe.png" });
    // The upload and its chunks are gone once the job ended.
    expect(await objectsUnder(`jobs/${s.app.id}/`)).toEqual([]);
  });

  it("reports each bad record with its index and imports the rest; no record is half-imported", async ({ expect }) => {
    const s = await importSetup(expect);
    const res = await s.importUsers([
      { name: "ok-1", displayName: "One", guest: false, properties: {} },
      { name: "   ", displayName: "Blank", guest: false, properties: {} },
      "not an object",
      { name: "bad-props", displayName: "P", guest: false, properties: [1] },
      { name: "bad-guest", displayName: "G", guest: "yes", properties: {} },
      { name: "bad-picture", displayName: "Pic", guest: false, properties: {}, displayPicture: { url: "javascript:alert(1)" } },
      { name: "ok-2", properties: {} },
    ]);
    const job = await s.finished(res.body.id);
    expect(job).toMatchObject({ state: "FINISHED", totalRecords: 7, importedRecords: 2, skippedRecords: 0, failedRecords: 5 });
    expect(job.errors.map((e: { row: number }) => e.row)).toEqual([1, 2, 3, 4, 5]);
    for (const e of job.errors) expect(e.message).toEqual(expect.any(String));
    expect(job.errors[0].message).toMatch(/name/);
    for (const name of ["bad-props", "bad-guest", "bad-picture"]) expect(await s.userNamed(name)).toBeUndefined();
    expect(await s.userNamed("ok-2")).toMatchObject({ displayName: "ok-2", isGuest: false });
  });

  it("is safe to run again: names already there (or twice in the file) are skipped, never duplicated or changed", async ({ expect }) => {
    const s = await importSetup(expect);
    await s.createUser("existing");
    const records = [
      { name: "existing", displayName: "Changed?", guest: true, properties: { x: 1 } },
      { name: "fresh", displayName: "Fresh", guest: false, properties: {} },
      { name: "fresh", displayName: "Fresh again", guest: false, properties: {} },
    ];
    const first = await s.finished((await s.importUsers(records)).body.id);
    expect(first).toMatchObject({ importedRecords: 1, skippedRecords: 2, failedRecords: 0 });
    const again = await s.finished((await s.importUsers(records)).body.id);
    expect(again).toMatchObject({ state: "FINISHED", importedRecords: 0, skippedRecords: 3, failedRecords: 0 });
    expect(await s.userNamed("existing")).toMatchObject({ displayName: "existing", isGuest: false, properties: {} });
    expect(await s.userNamed("fresh")).toMatchObject({ displayName: "Fresh" });
    expect((await s.api.get("/v1/users?size=100")).body.page.totalElements).toBe(2);
  });

  it("skips a record whose idempotencyKey was imported (per application and kind of record), whatever its name", async ({ expect }) => {
    const s = await importSetup(expect);
    const first = await s.finished(
      (
        await s.importUsers([
          { name: "keyed", properties: {}, idempotencyKey: "u-1" },
          { name: "same-key", properties: {}, idempotencyKey: "u-1" },
          { name: "other", properties: {}, idempotencyKey: "u-2" },
          { name: "bad-key", properties: {}, idempotencyKey: "" },
          { name: "long-key", properties: {}, idempotencyKey: "k".repeat(256) },
          { name: "max-key", properties: {}, idempotencyKey: "🔑".repeat(127) },
        ])
      ).body.id,
    );
    expect(first).toMatchObject({ importedRecords: 3, skippedRecords: 1, failedRecords: 2 });
    expect(first.errors.map((e: { row: number; message: string }) => [e.row, e.message.includes("idempotencyKey")])).toEqual([
      [3, true],
      [4, true],
    ]);
    const again = await s.finished((await s.importUsers([{ name: "renamed", properties: {}, idempotencyKey: "u-2" }])).body.id);
    expect(again).toMatchObject({ importedRecords: 0, skippedRecords: 1 });
    expect(await s.userNamed("renamed")).toBeUndefined();
    expect(await s.userNamed("same-key")).toBeUndefined();
    // A member record's key is another kind: the same text names nothing imported there.
    const channel = await s.createChannel("PUBLIC", "keys");
    const members = await s.importFile(`/v1/imports/channels/${channel.id}/members`, "POST /v1/imports/channels/{id}/members", [
      { username: "keyed", idempotencyKey: "u-1" },
    ]);
    expect(await s.finished(members.body.id)).toMatchObject({ importedRecords: 1, skippedRecords: 0 });
  }, 20_000);

  it("refuses files that are not a JSON array, and requests without a file, up front (no job)", async ({ expect }) => {
    const s = await importSetup(expect);
    for (const text of ["{not json", '{"name":"x"}', "42", '"[]"']) {
      expectError(expect, await s.importUsers(text), 400, "InvalidRequestError");
    }
    expectError(expect, await s.upload("/v1/imports/users", [["other", "x"]]), 400, "InvalidRequestError");
    expectError(expect, await s.upload("/v1/imports/users", [["file", new File([], "empty.json")]]), 400, "InvalidRequestError");
    expectError(expect, await s.send("/v1/imports/users", { headers: { "Content-Type": "application/json" }, body: "[]" }), 415);
    expect((await s.api.get("/v1/jobs")).body.page.totalElements).toBe(0);
  });

  it("finishes an empty array at once", async ({ expect }) => {
    const s = await importSetup(expect);
    const job = await s.finished((await s.importUsers([])).body.id);
    expect(job).toMatchObject({ state: "FINISHED", totalRecords: 0, importedRecords: 0 });
  });

  it("takes the boundary-less multipart body chatkitty-platform-sdk 2.4.0 sends", async ({ expect }) => {
    const s = await importSetup(expect);
    const boundary = "--------------------------012345678901234567890123";
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="u.json"\r\nContent-Type: application/json\r\n\r\n[{"name":"sdk-user","displayName":"S","guest":false,"properties":{}}]\r\n--${boundary}--\r\n`;
    const res = await s.send("/v1/imports/users", { headers: { "Content-Type": "multipart/form-data" }, body });
    expect(res.status).toBe(202);
    expect(await s.finished(res.body.id)).toMatchObject({ state: "FINISHED", importedRecords: 1 });
  });

  it(`imports 10,000 users (${Math.ceil(10_000 / CHUNK_ROWS.USER_IMPORT)} chunks, several queue messages) within the test's time`, async ({
    expect,
  }) => {
    const s = await importSetup(expect);
    const n = 10_000;
    const records = Array.from({ length: n }, (_, i) => ({ name: `u${i}`, displayName: `U ${i}`, guest: false, properties: { i } }));
    records[4321] = { name: "", displayName: "bad", guest: false, properties: { i: 4321 } };
    const started = Date.now();
    const res = await s.importUsers(records);
    expect(res.status).toBe(202);
    const job = await s.finished(res.body.id, 50_000);
    console.log(`imported ${n} users in ${Date.now() - started} ms`);
    expect(job).toMatchObject({ state: "FINISHED", totalRecords: n, importedRecords: n - 1, skippedRecords: 0, failedRecords: 1 });
    expect(job.errors).toEqual([{ row: 4321, message: expect.stringMatching(/name/) }]);
    expect((await s.api.get("/v1/users?size=1")).body.page.totalElements).toBe(n - 1);
    expect(await s.userNamed("u9999")).toMatchObject({ properties: { i: 9999 } });
  }, 60_000);
});

describe("POST /v1/imports/channels/{id}/members", () => {
  const importMembers = (s: Awaited<ReturnType<typeof importSetup>>, channelId: number, records: unknown) =>
    s.importFile(`/v1/imports/channels/${channelId}/members`, "POST /v1/imports/channels/{id}/members", records);
  const memberNames = async (s: Awaited<ReturnType<typeof importSetup>>, channelId: number) =>
    (await s.api.get(`/v1/channels/${channelId}/members?size=100`)).body._embedded.users.map((u: { name: string }) => u.name).sort();

  it("adds the named users as members, reports unknown names and bad records per row, and is safe to run again", async ({ expect }) => {
    const s = await importSetup(expect);
    const channel = await s.createChannel("PRIVATE", "imported-members");
    for (const name of ["ann", "bob", "cy"]) await s.createUser(name);
    const records = [{ username: "ann" }, { username: "nobody" }, { username: "bob" }, { user: "cy" }, 7, { username: "ann" }];
    const res = await importMembers(s, channel.id, records);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ type: "CHANNEL_MEMBERS_IMPORT", state: "PENDING" });
    const job = await s.finished(res.body.id);
    expect(job).toMatchObject({ state: "FINISHED", totalRecords: 6, importedRecords: 2, skippedRecords: 1, failedRecords: 3 });
    expect(job.errors.map((e: { row: number }) => e.row)).toEqual([1, 3, 4]);
    expect(job.errors[0].message).toMatch(/nobody/);
    expect(await memberNames(s, channel.id)).toEqual(["ann", "bob"]);

    const again = await s.finished((await importMembers(s, channel.id, records)).body.id);
    expect(again).toMatchObject({ importedRecords: 0, skippedRecords: 3, failedRecords: 3 });
    expect(await memberNames(s, channel.id)).toEqual(["ann", "bob"]);
  });

  it("skips a record whose idempotencyKey was imported, even naming another user or channel", async ({ expect }) => {
    const s = await importSetup(expect);
    const [a, b] = [await s.createChannel("PRIVATE", "a"), await s.createChannel("PUBLIC", "b")];
    for (const name of ["ann", "bob", "cy"]) await s.createUser(name);
    const first = await s.finished(
      (
        await importMembers(s, a.id, [
          { username: "ann", idempotencyKey: "m-1" },
          { username: "bob", idempotencyKey: "m-1" },
          { username: "cy", idempotencyKey: "m-2" },
        ])
      ).body.id,
    );
    expect(first).toMatchObject({ importedRecords: 2, skippedRecords: 1, failedRecords: 0 });
    expect(await memberNames(s, a.id)).toEqual(["ann", "cy"]);
    const second = await s.finished(
      (
        await importMembers(s, b.id, [
          { username: "bob", idempotencyKey: "m-2" },
          { username: "bob", idempotencyKey: "m-3" },
        ])
      ).body.id,
    );
    expect(second).toMatchObject({ importedRecords: 1, skippedRecords: 1 });
    expect(await memberNames(s, b.id)).toEqual(["bob"]);
  }, 20_000);

  it("refuses up front a channel that is not there (or another application's), an OPEN channel, and a DIRECT one", async ({ expect }) => {
    const s = await importSetup(expect);
    const other = await setup();
    const theirs = await other.createChannel("PUBLIC", "theirs");
    expectError(expect, await importMembers(s, theirs.id, []), 404, "ResourceNotFoundError");
    expectError(expect, await importMembers(s, 999_999_999, []), 404, "ResourceNotFoundError");
    const open = await s.createChannel("OPEN", "open");
    expectError(expect, await importMembers(s, open.id, []), 404, "ResourceNotFoundError");
    const [a, b] = [await s.createUser("d1"), await s.createUser("d2")];
    const direct = await s.api.post("/v1/channels", { type: "DIRECT", members: [{ id: a.id }, { id: b.id }] });
    expectError(expect, await importMembers(s, direct.body.id, [{ username: "d1" }]), 400, "InvalidRequestError");
    expect((await s.api.get("/v1/jobs")).body.page.totalElements).toBe(0);
  });
});

describe("GET /v1/jobs", () => {
  it("pages the application's jobs, filters by running, and sorts by id or createdTime", async ({ expect }) => {
    const s = await importSetup(expect);
    const a = (await s.importUsers([{ name: "a", properties: {} }])).body;
    const b = (await s.importUsers([{ name: "b", properties: {} }])).body;
    await s.finished(a.id);
    await s.finished(b.id);
    const all = await s.api.get("/v1/jobs?size=1");
    expect(all.status).toBe(200);
    expect(all.body.page).toEqual({ size: 1, totalElements: 2, totalPages: 2, number: 0 });
    expect(all.body._embedded.jobs.map((j: { id: number }) => j.id)).toEqual([a.id]);
    expect(all.body._links.next.href).toContain("/v1/jobs?");
    const desc = await s.api.get("/v1/jobs?sort=createdTime,desc");
    expect(desc.body._embedded.jobs.map((j: { id: number }) => j.id)).toEqual([b.id, a.id]);
    expect((await s.api.get("/v1/jobs?running=false")).body.page.totalElements).toBe(2);
    expect((await s.api.get("/v1/jobs?running=true")).body.page.totalElements).toBe(0);
    expectError(expect, await s.api.get("/v1/jobs?running=maybe"), 400, "InvalidRequestError");
    expectError(expect, await s.api.get("/v1/jobs?sort=state"), 400, "InvalidRequestError");
  });

  it("keeps jobs to their application: another application's job is 404, and never listed", async ({ expect }) => {
    const s = await importSetup(expect);
    const job = (await s.importUsers([{ name: "mine", properties: {} }])).body;
    await s.finished(job.id);
    const other = await setup();
    const api = chatKittyClient(expect, other.api);
    expectError(expect, await api.get(`/v1/jobs/${job.id}`), 404, "ResourceNotFoundError");
    expect((await api.get("/v1/jobs")).body.page.totalElements).toBe(0);
    expect((await api.get("/v1/users?name=mine")).body.page.totalElements).toBe(0);
    expectError(expect, await s.api.get("/v1/jobs/999999999"), 404, "ResourceNotFoundError");
  });
});

describe("the JOBS queue consumer", () => {
  /** A job whose upload holds `text`, made as the upload route makes one, but not queued. */
  const storedJob = async (appId: number, text: string) => {
    const fileKey = uploadKey(jobPrefix(appId, crypto.randomUUID()));
    await env.FILES.put(fileKey, text);
    return insertJob(createDb(openSession(env.DB)), appId, { type: "USER_IMPORT", fileName: "stored.json", fileKey });
  };
  const deliver = async (messages: JobMessage[], attempts = 1) => {
    const batch = createMessageBatch<JobMessage>(
      "kitty-edge-jobs",
      messages.map((body, i) => ({ id: `m${i}`, timestamp: Date.now(), attempts, body })),
    );
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    return getQueueResult(batch, ctx);
  };

  it("fails a job whose upload is not a JSON array, with why", async ({ expect }) => {
    const s = await importSetup(expect);
    const job = await storedJob(s.app.id, '{"not":"an array"}');
    const result = await deliver([{ kind: "split", applicationId: s.app.id, jobId: job.id }]);
    expect(result.explicitAcks).toEqual(["m0"]);
    const failed = (await s.api.get(`/v1/jobs/${job.id}`)).body;
    expect(failed).toMatchObject({ state: "FAILED", failure: expect.stringMatching(/JSON array/), endedTime: expect.any(String) });
  });

  it("retries a step that throws, and fails its job after the last attempt (callers see an end)", async ({ expect }) => {
    const s = await importSetup(expect);
    const job = await storedJob(s.app.id, "[{not json");
    const split: JobMessage = { kind: "split", applicationId: s.app.id, jobId: job.id };
    expect((await deliver([split], 1)).retryMessages.map((m) => m.msgId)).toEqual(["m0"]);
    expect((await s.api.get(`/v1/jobs/${job.id}`)).body.state).toBe("PENDING");
    expect((await deliver([split], 4)).explicitAcks).toEqual(["m0"]);
    expect((await s.api.get(`/v1/jobs/${job.id}`)).body).toMatchObject({ state: "FAILED", failure: expect.any(String) });
    expect(await objectsUnder(`jobs/${s.app.id}/`)).toEqual([]);
  });

  it("ignores a redelivered split or chunk of a finished job, and a message naming another application", async ({ expect }) => {
    const s = await importSetup(expect);
    const res = await s.importUsers([{ name: "once", properties: {} }]);
    const before = await s.finished(res.body.id);
    const other = await setup();
    const result = await deliver([
      { kind: "split", applicationId: s.app.id, jobId: before.id },
      { kind: "chunk", applicationId: s.app.id, jobId: before.id, chunk: 0 },
      { kind: "split", applicationId: other.app.id, jobId: before.id },
    ]);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1", "m2"]);
    expect((await s.api.get(`/v1/jobs/${before.id}`)).body).toEqual(before);
    expect((await s.api.get("/v1/users")).body.page.totalElements).toBe(1);
  });

  it("reports a record over 1 MiB of JSON, and splits large records into chunks of at most 4 MiB", async ({ expect }) => {
    const s = await importSetup(expect);
    const big = (name: string, chars: number) => ({ name, properties: { blob: "x".repeat(chars) } });
    const records = [...Array.from({ length: 9 }, (_, i) => big(`big-${i}`, 900_000)), big("too-big", 1_048_576), big("last", 10)];
    const job = await storedJob(s.app.id, JSON.stringify(records));
    await sendJobMessages(env.JOBS, [{ kind: "split", applicationId: s.app.id, jobId: job.id }]);
    const done = await s.finished(job.id, 30_000);
    expect(done).toMatchObject({ state: "FINISHED", totalRecords: 11, importedRecords: 10, failedRecords: 1 });
    expect(done.errors).toEqual([{ row: 9, message: expect.stringMatching(/at most 1048576 characters/) }]);
    const chunks = await env.DB.prepare("select count(*) as n from job_chunks where job_id = ?").bind(job.id).first("n");
    expect(chunks).toBe(3);
    expect((await s.userNamed("big-8")).properties.blob).toHaveLength(900_000);
  }, 40_000);

  it("imports a 100,000-user file (over the test upload limit, so stored as the route stores one) through the real queue", async ({
    expect,
  }) => {
    const s = await importSetup(expect);
    const n = 100_000;
    const records = Array.from({ length: n }, (_, i) => ({ name: `user-${i}`, displayName: `User ${i}`, guest: false, properties: {} }));
    const started = Date.now();
    const job = await storedJob(s.app.id, JSON.stringify(records));
    await sendJobMessages(env.JOBS, [{ kind: "split", applicationId: s.app.id, jobId: job.id }]);
    const done = await s.finished(job.id, 55_000);
    console.log(`imported ${n} users in ${Date.now() - started} ms`);
    expect(done).toMatchObject({ state: "FINISHED", totalRecords: n, importedRecords: n, failedRecords: 0 });
    expect((await s.api.get("/v1/users?size=1")).body.page.totalElements).toBe(n);
  }, 60_000);
});
