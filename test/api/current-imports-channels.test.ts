/**
 * `POST /v1/imports/channels` (CHANNEL_IMPORT jobs): PUBLIC, PRIVATE and DIRECT channels created
 * by the rules of `POST /v1/channels`, each with its members in one transaction; bad records
 * reported per row; DIRECT channels that exist and records whose idempotencyKey was imported are
 * skipped; other applications' users are unknown; a 5,000-record file across several chunks.
 * Every JSON answer is checked against ChatKitty's schema.
 */
import { describe, type ExpectStatic, it } from "vitest";
import { CHUNK_ROWS } from "../../src/jobs/run";
import { setup } from "../helpers/api";
import { chatKittyClient, expectChatKitty } from "../helpers/chatkitty-schema";
import { fileSetup } from "../helpers/files";

const channelSetup = async (expect: ExpectStatic) => {
  const s = await fileSetup();
  const api = chatKittyClient(expect, s.api);
  const importChannels = async (records: unknown) => {
    const res = await s.upload("/v1/imports/channels", [["file", new File([JSON.stringify(records)], "channels.json")]]);
    expect(res.status).toBe(202);
    expectChatKitty(expect, res, "POST /v1/imports/channels");
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
  const run = async (records: unknown) => finished((await importChannels(records)).id);
  const channels = async () => (await api.get("/v1/channels?size=100")).body._embedded.channels as Record<string, any>[];
  const memberNames = async (channelId: number) =>
    (await api.get(`/v1/channels/${channelId}/members?size=100`)).body._embedded.users.map((u: { name: string }) => u.name).sort();
  return { ...s, api, importChannels, finished, run, channels, memberNames };
};

describe("POST /v1/imports/channels", () => {
  it("creates PUBLIC, PRIVATE and DIRECT channels with their members, creator, names and properties", async ({ expect }) => {
    const s = await channelSetup(expect);
    for (const name of ["ann", "bob", "cy", "zoë 🐱"]) await s.createUser(name);
    const res = await s.importChannels([
      { type: "PUBLIC", name: "general", displayName: "General", members: ["ann", "bob"], creator: "cy", properties: { topic: "all" } },
      { type: "PRIVATE", members: ["zoë 🐱"] },
      { type: "DIRECT", members: ["ann", "zoë 🐱"], properties: { pinned: true } },
    ]);
    expect(res).toMatchObject({ type: "CHANNEL_IMPORT", state: "PENDING" });
    const job = await s.finished(res.id);
    expect(job).toMatchObject({ state: "FINISHED", totalRecords: 3, importedRecords: 3, skippedRecords: 0, failedRecords: 0, errors: [] });

    const [general, secret, direct] = await s.channels();
    expect(general).toMatchObject({ type: "PUBLIC", name: "general", displayName: "General", properties: { topic: "all" } });
    expect(general!.creator).toMatchObject({ name: "cy" });
    expect(await s.memberNames(general!.id)).toEqual(["ann", "bob", "cy"]);
    // ChatKitty: a name left out "defaults to a random UUID", as POST /v1/channels gives one.
    expect(secret).toMatchObject({ type: "PRIVATE", name: expect.stringMatching(/^[0-9a-f-]{36}$/), properties: {} });
    expect(await s.memberNames(secret!.id)).toEqual(["zoë 🐱"]);
    expect(direct).toMatchObject({ type: "DIRECT", properties: { pinned: true } });
    expect(direct!.members.map((u: { name: string }) => u.name).sort()).toEqual(["ann", "zoë 🐱"]);
    expect((await s.api.get("/v1/channels?size=1")).body.page.totalElements).toBe(3);
  });

  it("reports each record that breaks a rule with its index, and creates none of it", async ({ expect }) => {
    const s = await channelSetup(expect);
    const many = Array.from({ length: 101 }, (_, i) => `m${i}`);
    for (const name of ["ann", "bob", ...many]) await s.createUser(name);
    const other = await setup();
    await other.createUser("outsider");
    const records = [
      { type: "PUBLIC", name: "ok", members: ["ann"] },
      { type: "PUBLIC", name: "ghost", members: ["ann", "nobody"] },
      { type: "PUBLIC", name: "bad-creator", members: [], creator: "nobody" },
      { type: "DIRECT", members: ["ann"] },
      { type: "DIRECT", members: many.slice(0, 11) },
      { type: "OPEN", name: "open", members: [] },
      { type: "PUBLIC", name: "no-members" },
      { type: "PUBLIC", name: "   ", members: [] },
      { type: "PUBLIC", name: "x".repeat(256), members: [] },
      { type: "PRIVATE", name: "too-many", members: many },
      { type: "PUBLIC", name: "props", members: [], properties: [1] },
      { type: "PUBLIC", name: "tenant", members: ["outsider"] },
      { type: "PUBLIC", name: "empty-key", members: [], idempotencyKey: "" },
      { type: "PUBLIC", name: "long-key", members: [], idempotencyKey: "k".repeat(256) },
      "not an object",
      { type: "PRIVATE", name: "y".repeat(255), members: many.slice(0, 100), idempotencyKey: "k".repeat(255) },
      { type: "DIRECT", members: many.slice(0, 10) },
    ];
    const job = await s.run(records);
    expect(job).toMatchObject({ state: "FINISHED", totalRecords: 17, importedRecords: 3, skippedRecords: 0, failedRecords: 14 });
    expect(job.errors.map((e: { row: number }) => e.row)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    const byRow = new Map<number, string>(job.errors.map((e: { row: number; message: string }) => [e.row, e.message]));
    expect(byRow.get(1)).toMatch(/nobody/);
    expect(byRow.get(2)).toMatch(/nobody/);
    expect(byRow.get(3)).toMatch(/DIRECT/);
    expect(byRow.get(4)).toMatch(/DIRECT/);
    expect(byRow.get(5)).toMatch(/type/);
    expect(byRow.get(6)).toMatch(/members/);
    expect(byRow.get(7)).toMatch(/name/);
    expect(byRow.get(8)).toMatch(/name/);
    expect(byRow.get(9)).toMatch(/members/);
    expect(byRow.get(10)).toMatch(/properties/);
    expect(byRow.get(11)).toMatch(/outsider/);
    expect(byRow.get(12)).toMatch(/idempotencyKey/);
    expect(byRow.get(13)).toMatch(/idempotencyKey/);
    const names = (await s.channels()).map((c) => c.name ?? c.type);
    expect(names).toEqual(["ok", "y".repeat(255), "DIRECT"]);
    const [, big] = await s.channels();
    expect(await s.memberNames(big!.id)).toHaveLength(100);
  });

  it("skips DIRECT channels that exist and keyed records imported before; unkeyed PUBLIC and PRIVATE ones are new channels each time", async ({
    expect,
  }) => {
    const s = await channelSetup(expect);
    const [ann, bob] = [await s.createUser("ann"), await s.createUser("bob")];
    await s.createUser("cy");
    const made = await s.api.post("/v1/channels", { type: "DIRECT", members: [{ id: ann.id }, { id: bob.id }] });
    expect(made.status).toBe(201);
    const records = [
      { type: "DIRECT", members: ["bob", "ann"] },
      { type: "PUBLIC", name: "keyed", members: ["ann"], idempotencyKey: "chan-1" },
      { type: "PUBLIC", name: "keyed again", members: ["bob"], idempotencyKey: "chan-1" },
      { type: "PRIVATE", name: "unkeyed", members: ["cy"] },
      { type: "DIRECT", members: ["cy", "ann"], idempotencyKey: "dm-1" },
      { type: "DIRECT", members: ["ann", "cy"] },
    ];
    const first = await s.run(records);
    expect(first).toMatchObject({ importedRecords: 3, skippedRecords: 3, failedRecords: 0 });
    const again = await s.run(records);
    // The unkeyed PRIVATE channel is the only record nothing identifies: names are not unique.
    expect(again).toMatchObject({ importedRecords: 1, skippedRecords: 5, failedRecords: 0 });
    const names = (await s.channels()).map((c) => `${c.type}:${c.name ?? ""}`);
    expect(names).toEqual(["DIRECT:", "PUBLIC:keyed", "PRIVATE:unkeyed", "DIRECT:", "PRIVATE:unkeyed"]);
    // The key is the record's, whatever it says: another record with an imported key is skipped.
    const third = await s.run([{ type: "PRIVATE", name: "different", members: [], idempotencyKey: "chan-1" }]);
    expect(third).toMatchObject({ importedRecords: 0, skippedRecords: 1 });
    // Keys are per application.
    const other = await channelSetup(expect);
    await other.createUser("ann");
    expect(await other.run([{ type: "PUBLIC", name: "keyed", members: ["ann"], idempotencyKey: "chan-1" }])).toMatchObject({
      importedRecords: 1,
    });
  }, 20_000);

  it(`imports 5,000 channels (${Math.ceil(5000 / CHUNK_ROWS.CHANNEL_IMPORT)} chunks) to completion with exact counts`, async ({
    expect,
  }) => {
    const s = await channelSetup(expect);
    const users = Array.from({ length: 20 }, (_, i) => `u${i}`);
    for (const name of users) await s.createUser(name);
    const n = 5000;
    const records: Record<string, unknown>[] = Array.from({ length: n }, (_, i) =>
      i % 5 === 4
        ? { type: "DIRECT", members: [users[i % 20], users[(i + 1 + (i % 19)) % 20]], idempotencyKey: `c${i}` }
        : {
            type: i % 2 ? "PRIVATE" : "PUBLIC",
            name: `c-${i}`,
            members: [users[i % 20], users[(i + 7) % 20], users[(i + 13) % 20]],
            creator: users[(i + 3) % 20],
            properties: { i },
            idempotencyKey: i % 3 === 0 ? `c${i}` : undefined,
          },
    );
    records[2345] = { type: "PUBLIC", name: "bad", members: ["nobody"], idempotencyKey: "bad" };
    const started = Date.now();
    const job = await s.finished((await s.importChannels(records)).id, 55_000);
    console.log(`imported ${n} channels in ${Date.now() - started} ms`);
    // DIRECT records name at most 190 distinct pairs: the rest are skipped as existing.
    const direct = new Set(records.flatMap((r, i) => (i % 5 === 4 && i !== 2345 ? [[...(r.members as string[])].sort().join(",")] : [])));
    const groups = records.filter((_, i) => i % 5 !== 4 && i !== 2345).length;
    expect(job).toMatchObject({
      state: "FINISHED",
      totalRecords: n,
      importedRecords: groups + direct.size,
      skippedRecords: n / 5 - direct.size,
      failedRecords: 1,
    });
    expect(job.errors).toEqual([{ row: 2345, message: expect.stringMatching(/nobody/) }]);
    expect((await s.api.get("/v1/channels?size=1")).body.page.totalElements).toBe(groups + direct.size);
    const filter = encodeURIComponent(JSON.stringify({ i: 4998 }));
    const last = (await s.api.get(`/v1/channels?properties=${filter}`)).body._embedded.channels[0];
    expect(last).toMatchObject({ name: "c-4998", properties: { i: 4998 } });
    expect(await s.memberNames(last.id)).toEqual(
      [users[4998 % 20], users[(4998 + 7) % 20], users[(4998 + 13) % 20], users[(4998 + 3) % 20]].sort(),
    );
  }, 60_000);
});
