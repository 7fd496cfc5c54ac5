/**
 * The Cloudflare API stand-in itself: that it answers as the deploy tests assume (errors in the
 * API's shape, D1 statements split and run as SQLite would, all or nothing), refuses what the
 * real API refuses, and records everything. Mostly direct HTTP calls (fast); two wrangler runs
 * check that wrangler reads its D1 answers: a SQL error reported, a `--file` import executed.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { childEnv, explain, useStandIn, ROOT, runCommand } from "./harness.ts";
import { splitStatements } from "./sql-split.ts";

const standIn = useStandIn();

const call = async (method: string, rest: string, body?: unknown, token = standIn.api.token) => {
  const response = await fetch(`${standIn.api.baseUrl}${rest}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as { success: boolean; result: any; errors: { code: number; message: string }[] },
  };
};
const account = (rest: string) => `/accounts/${standIn.api.accountId}${rest}`;

describe("splitStatements", () => {
  it("splits where SQLite would: not inside strings, identifiers, comments or trigger bodies", () => {
    const sql = [
      "-- leading comment; with a semicolon",
      "CREATE TABLE `a;b` (x text DEFAULT ';');--> statement-breakpoint",
      "CREATE TRIGGER t AFTER INSERT ON `a;b` BEGIN",
      "  UPDATE `a;b` SET x = 'it''s; fine' WHERE x = \"y;\";",
      "  DELETE FROM `a;b` WHERE 0; /* ; */",
      "END;",
      "SELECT 1",
      "--> statement-breakpoint",
    ].join("\n");
    const statements = splitStatements(sql);
    expect(statements).toHaveLength(3);
    expect(statements[0]).toMatch(/^-- leading comment[\s\S]*CREATE TABLE `a;b` \(x text DEFAULT ';'\);$/);
    expect(statements[1]).toMatch(/^--> statement-breakpoint\nCREATE TRIGGER[\s\S]*END;$/);
    expect(statements[2]).toBe("SELECT 1\n--> statement-breakpoint");
    expect(splitStatements("  -- only a comment\n ; ;")).toEqual([]);
  });
});

describe("the Cloudflare API stand-in", () => {
  it("refuses a wrong token and records a route it does not have", async () => {
    expect((await call("GET", account("/d1/database"), undefined, "wrong")).status).toBe(401);
    const missing = await call("GET", account("/storage/kv/namespaces"));
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0]!.message).toBe(`not stubbed: GET ${account("/storage/kv/namespaces")}`);
    expect(standIn.api.unstubbed().map((r) => r.path)).toEqual([account("/storage/kv/namespaces")]);
  });

  it("Queues: creates by name once, lists by name, refuses bad names and consumers it could not run", async () => {
    const created = await call("POST", account("/queues"), { queue_name: "stand-in-jobs" });
    expect(created.body.result).toMatchObject({ queue_name: "stand-in-jobs", queue_id: expect.any(String), consumers: [] });
    const again = await call("POST", account("/queues"), { queue_name: "stand-in-jobs" });
    expect(again.status).toBe(409);
    expect(again.body.success).toBe(false);
    expect((await call("POST", account("/queues"), { queue_name: "Not_Valid" })).status).toBe(400);
    const listed = await call("GET", account("/queues?name=stand-in-jobs&name=other"));
    expect(listed.body.result.map((q: { queue_name: string }) => q.queue_name)).toEqual(["stand-in-jobs"]);
    const id = created.body.result.queue_id;
    // A consumer needs a Worker that exists, and settings within the Queues limits.
    const consumer = { type: "worker", script_name: "no-such-worker", settings: { batch_size: 10 } };
    expect((await call("POST", account(`/queues/${id}/consumers`), consumer)).status).toBe(404);
    expect((await call("POST", account("/queues/nope/consumers"), consumer)).status).toBe(404);
    expect(standIn.api.account.queues.get(id)!.consumers).toEqual([]);
  });

  it("D1: creates by name once, finds by name or id, runs statements all or nothing with D1's errors", async () => {
    const created = await call("POST", account("/d1/database"), { name: "stand-in-db" });
    expect(created.body.result).toMatchObject({ name: "stand-in-db", uuid: expect.any(String) });
    expect((await call("POST", account("/d1/database"), { name: "stand-in-db" })).body.errors[0]!.code).toBe(7502);
    const { uuid } = created.body.result as { uuid: string };
    expect((await call("GET", account("/d1/database/stand-in-db"))).body.result.uuid).toBe(uuid);
    expect((await call("GET", account("/d1/database/nope"))).body.errors[0]!.code).toBe(7404);

    const query = (sql: string, params?: unknown[]) => call("POST", account(`/d1/database/${uuid}/query`), { sql, params });
    const ok = await query(
      "CREATE TABLE t (id integer PRIMARY KEY, v text);--> statement-breakpoint\nINSERT INTO t (v) VALUES ('a'), ('b'); SELECT v FROM t ORDER BY id",
    );
    expect(ok.body.result).toHaveLength(3);
    expect(ok.body.result[1].meta).toMatchObject({ changes: 2, last_row_id: 2 });
    expect(ok.body.result[2].results).toEqual([{ v: "a" }, { v: "b" }]);
    expect((await query("SELECT v FROM t WHERE id = ?", [2])).body.result[0].results).toEqual([{ v: "b" }]);
    const raw = await call("POST", account(`/d1/database/${uuid}/raw`), { sql: "SELECT id, v FROM t ORDER BY id" });
    expect(raw.body.result[0].results).toEqual({
      columns: ["id", "v"],
      rows: [
        [1, "a"],
        [2, "b"],
      ],
    });

    // A failing statement undoes the whole query, and comes back as D1 reports it.
    const failed = await query("INSERT INTO t (v) VALUES ('c'); SELECT * FROM missing");
    expect(failed.status).toBe(400);
    expect(failed.body.success).toBe(false);
    expect(failed.body.errors[0]).toEqual({ code: 7500, message: expect.stringMatching(/no such table: missing.*SQLITE_ERROR/) });
    expect((await query("SELECT count(*) AS n FROM t")).body.result[0].results).toEqual([{ n: 2 }]);
    expect((await query("BEGIN TRANSACTION")).body.errors[0]!.message).toMatch(/SQLITE_AUTH/);
    expect(standIn.api.databaseByName("stand-in-db")!.sqlite.prepare("SELECT v FROM t ORDER BY id").all()).toEqual([
      { v: "a" },
      { v: "b" },
    ]);
  });

  it("R2 and the subdomain: 404 until created, 409 on a duplicate bucket", async () => {
    expect((await call("GET", account("/r2/buckets/b-one"))).body.errors[0]!.code).toBe(10006);
    expect((await call("POST", account("/r2/buckets"), { name: "b-one" })).status).toBe(200);
    expect((await call("POST", account("/r2/buckets"), { name: "b-one" })).status).toBe(409);
    expect((await call("GET", account("/r2/buckets"))).body.result.buckets.map((b: { name: string }) => b.name)).toEqual(["b-one"]);
    expect((await call("GET", account("/workers/subdomain"))).status).toBe(404);
    await call("PUT", account("/workers/subdomain"), { subdomain: "acme" });
    expect((await call("GET", account("/workers/subdomain"))).body.result).toEqual({ subdomain: "acme" });
  });

  it("fails the next matching requests as told, then answers again", async () => {
    standIn.api.failNext("GET", /\/r2\/buckets$/, { status: 503, times: 2 });
    expect((await call("GET", account("/r2/buckets"))).status).toBe(503);
    expect((await call("GET", account("/r2/buckets"))).status).toBe(503);
    expect((await call("GET", account("/r2/buckets"))).status).toBe(200);
    expect(standIn.api.requests.filter((r) => r.injected)).toHaveLength(2);
  });

  it("wrangler reports a D1 SQL error, and runs a --file import on the database", async () => {
    const env = childEnv(standIn.api, standIn.home);
    const wrangler = path.join(ROOT, "node_modules", ".bin", "wrangler");
    let from = standIn.api.requests.length;
    const failed = await runCommand(wrangler, ["d1", "execute", "stand-in-db", "--remote", "--command", "SELECT * FROM missing_table"], {
      cwd: ROOT,
      env,
    });
    expect(failed.code, explain(failed, standIn.api, from)).not.toBe(0);
    expect(failed.output).toMatch(/no such table: missing_table/);

    const file = path.join(standIn.home, "import.sql");
    writeFileSync(file, "INSERT INTO t (v) VALUES ('from a file; really');\nINSERT INTO t (v) VALUES ('second');\n");
    from = standIn.api.requests.length;
    const imported = await runCommand(wrangler, ["d1", "execute", "stand-in-db", "--remote", "--yes", "--file", file], { cwd: ROOT, env });
    expect(imported.code, explain(imported, standIn.api, from)).toBe(0);
    expect(standIn.api.databaseByName("stand-in-db")!.sqlite.prepare("SELECT v FROM t ORDER BY id").all()).toEqual([
      { v: "a" },
      { v: "b" },
      { v: "from a file; really" },
      { v: "second" },
    ]);
    expect(standIn.api.unstubbed().map((r) => r.path)).toEqual([account("/storage/kv/namespaces")]);
    expect(standIn.api.outbound).toEqual([]);
  });
});
