/**
 * `npm run deploy` and `npm run keys -- rotate` end to end, without the network: against a local
 * stand-in for the Cloudflare API (./cloudflare-api.ts) that runs remote D1 SQL on real SQLite
 * files and keeps what wrangler uploads. The tests share one stand-in (one fresh account) and run
 * in order, each on what the previous ones left: a first deploy, a re-run, a re-run with a new
 * migration, `--create-app`, `--env staging`, a key rotation.
 *
 * What the deployment should look like is read from the repository: wrangler.toml (through
 * wrangler's own config reader, as `wrangler deploy` reads it), migrations/, public/.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { WorkerVersion } from "./cloudflare-api.ts";
import {
  apiPath,
  assetFiles,
  d1Queries,
  explain,
  useStandIn,
  keyPairWorks,
  migrationFiles,
  npmRun,
  occurrences,
  ROOT,
  wranglerConfig,
} from "./harness.ts";

const SECRET = "JWT_PRIVATE_KEY";

const standIn = useStandIn();

const deploy = async (args: string[] = [], cwd = ROOT) => {
  const from = standIn.api.requests.length;
  const result = await npmRun(standIn.api, standIn.home, "deploy", args, cwd);
  return { result, from, requests: standIn.api.requests.slice(from), why: explain(result, standIn.api, from) };
};

const top = wranglerConfig();
const staging = wranglerConfig("staging");

const secretWrites = (script: string) => standIn.api.account.secretWrites.filter((w) => w.script === script && w.name === SECRET);

const signingKeys = (dbName: string) =>
  standIn.api
    .databaseByName(dbName)!
    .sqlite.prepare("SELECT kid, public_jwk, created_at, retired_at, accepted_until FROM signing_keys ORDER BY created_at")
    .all() as { kid: string; public_jwk: string; created_at: number; retired_at: number | null; accepted_until: number | null }[];

const bindingsByName = (version: WorkerVersion) => Object.fromEntries(version.bindings.map((b) => [b.name, b]));

/** The bindings wrangler.toml declares, as the upload must carry them (secrets aside). */
const expectedBindings = (config: ReturnType<typeof wranglerConfig>, databaseId: string) => ({
  ...Object.fromEntries(Object.entries(config.vars).map(([name, text]) => [name, { name, type: "plain_text", text }])),
  ...Object.fromEntries(
    config.d1_databases.map((d) => [d.binding, expect.objectContaining({ name: d.binding, type: "d1", id: databaseId })]),
  ),
  ...Object.fromEntries(config.r2_buckets.map((b) => [b.binding, { name: b.binding, type: "r2_bucket", bucket_name: b.bucket_name }])),
  ...Object.fromEntries(
    config.durable_objects.bindings.map((b) => [
      b.name,
      expect.objectContaining({ name: b.name, type: "durable_object_namespace", class_name: b.class_name }),
    ]),
  ),
  ...Object.fromEntries(
    (config.queues.producers ?? []).map((q) => [
      q.binding,
      expect.objectContaining({ name: q.binding, type: "queue", queue_name: q.queue }),
    ]),
  ),
  ...Object.fromEntries(
    config.ratelimits.map((r) => [r.name, { name: r.name, type: "ratelimit", namespace_id: r.namespace_id, simple: r.simple }]),
  ),
});

/** The account's queues, name → the scripts consuming it and their settings. */
const queuesOf = () =>
  Object.fromEntries(
    [...standIn.api.account.queues.values()].map((q) => [
      q.queue_name,
      q.consumers.map((c) => ({ script: c.script, settings: c.settings })),
    ]),
  );

/** The consumer settings wrangler.toml declares for the script, as the Queues API takes them. */
const expectedConsumers = (config: ReturnType<typeof wranglerConfig>) =>
  Object.fromEntries(
    (config.queues.consumers ?? []).map((c) => [
      c.queue,
      [
        {
          script: config.name,
          settings: expect.objectContaining({
            batch_size: c.max_batch_size,
            max_retries: c.max_retries,
            max_wait_time_ms: (c.max_batch_timeout ?? 0) * 1000,
          }),
        },
      ],
    ]),
  );

const queueCreations = (requests: typeof standIn.api.requests) =>
  requests
    .filter((r) => r.method === "POST" && r.path === apiPath(standIn.api, "/queues"))
    .map((r) => (r.body as { queue_name: string }).queue_name);

/** Checks common to every run: nothing unstubbed or outbound, every request authenticated. */
const expectCleanRun = (requests: typeof standIn.api.requests) => {
  expect(requests.filter((r) => r.unstubbed || r.crashed).map((r) => `${r.method} ${r.path} → ${JSON.stringify(r.response)}`)).toEqual([]);
  expect(standIn.api.outbound).toEqual([]);
  expect(requests.filter((r) => r.auth === "bad" || (r.auth === "none" && !r.path.startsWith("/__d1-upload/")))).toEqual([]);
  expect(standIn.api.account.anomalies).toEqual([]);
};

describe("npm run deploy against a stand-in Cloudflare API", () => {
  let firstSecret: string;

  it("deploys to a fresh account: subdomain, database, bucket, migrations, signing key, Worker with its bindings and assets", async () => {
    const { result, requests, why } = await deploy();
    expect(result.code, why).toBe(0);
    expectCleanRun(requests);

    // The account: a workers.dev subdomain, one database and one bucket, named as wrangler.toml says.
    expect(standIn.api.account.subdomain, why).toBeTruthy();
    expect(requests.filter((r) => r.method === "PUT" && r.path === apiPath(standIn.api, "/workers/subdomain"))).toHaveLength(1);
    expect([...standIn.api.account.d1.values()].map((d) => d.name)).toEqual(top.d1_databases.map((d) => d.database_name));
    expect([...standIn.api.account.r2.keys()]).toEqual(top.r2_buckets.map((b) => b.bucket_name));
    // The jobs queue: created once (before the upload that binds it), consumed by this Worker.
    expect(top.queues.producers?.length).toBeGreaterThan(0);
    expect(queueCreations(requests), why).toEqual([...new Set(top.queues.producers!.map((q) => q.queue))]);
    expect(queuesOf()).toEqual(expectedConsumers(top));
    expect(result.stdout).toContain(`Deployed ${top.name} to https://${top.name}.${standIn.api.account.subdomain}.workers.dev`);

    // Every migration applied, in order, and the schema there.
    const db = standIn.api.databaseByName(top.d1_databases[0]!.database_name)!;
    const applied = db.sqlite.prepare("SELECT name FROM d1_migrations ORDER BY id").all() as { name: string }[];
    expect(applied.map((m) => m.name)).toEqual(migrationFiles(top));
    const tables = (db.sqlite.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map(
      (t) => t.name,
    );
    expect(tables).toEqual(expect.arrayContaining(["applications", "client_credentials", "users", "channels", "messages", "signing_keys"]));

    // The signing key: set once, a P-256 private JWK with a kid whose public half is in signing_keys.
    const writes = secretWrites(top.name);
    expect(writes, why).toHaveLength(1);
    firstSecret = writes[0]!.text!;
    const jwk = JSON.parse(firstSecret) as JsonWebKey & { kid?: string };
    expect(jwk).toMatchObject({ kty: "EC", crv: "P-256", kid: expect.stringMatching(/\S/) });
    expect(typeof jwk.d).toBe("string");
    const keys = signingKeys(db.name);
    expect(keys).toEqual([expect.objectContaining({ kid: jwk.kid, retired_at: null, accepted_until: null })]);
    const publicJwk = JSON.parse(keys[0]!.public_jwk) as JsonWebKey;
    expect(publicJwk).not.toHaveProperty("d");
    expect(publicJwk).toMatchObject({ kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y });
    expect(await keyPairWorks(jwk, publicJwk)).toBe(true);
    expect(result.output).not.toContain(jwk.d!);
    expect(standIn.api.secrets(top.name)[SECRET]).toBe(firstSecret);

    // The Worker: one upload that deploys, with everything wrangler.toml declares.
    const script = standIn.api.script(top.name)!;
    const version = standIn.api.deployedVersion(top.name)!;
    expect(version, why).toBeDefined();
    expect(version.compatibilityDate).toBe(top.compatibility_date);
    expect(bindingsByName(version)).toEqual({
      ...expectedBindings(top, db.uuid),
      [SECRET]: { name: SECRET, type: "secret_text", text: firstSecret },
    });
    const lastTag = top.migrations.at(-1)!.tag;
    expect(version.metadata?.migrations).toEqual({ new_tag: lastTag, steps: top.migrations.map(({ tag: _tag, ...step }) => step) });
    expect(script.migrationTag).toBe(lastTag);
    expect([...script.durableObjectClasses].sort()).toEqual(top.durable_objects.bindings.map((b) => b.class_name).sort());
    expect(script.schedules.map((s) => s.cron)).toEqual(top.triggers.crons ?? []);
    expect(script.subdomainEnabled).toBe(true);

    // The assets: the manifest is public/ minus what is ignored, each file uploaded with its bytes.
    const files = assetFiles(top);
    expect(files.has("/v1/explorer/index.html")).toBe(true);
    expect(Object.keys(version.assets!.manifest).sort()).toEqual([...files.keys()].sort());
    for (const [file, bytes] of files) {
      const entry = version.assets!.manifest[file]!;
      expect(entry.size, file).toBe(bytes.length);
      expect(standIn.api.account.assets.get(entry.hash)?.content.equals(bytes), file).toBe(true);
    }
    const headersFile = path.join(ROOT, top.assets!.directory, "_headers");
    expect(version.assets!.config).toMatchObject({
      html_handling: top.assets!.html_handling,
      not_found_handling: top.assets!.not_found_handling,
      ...(existsSync(headersFile) ? { _headers: readFileSync(headersFile, "utf8") } : {}),
    });
  });

  it("re-runs without creating anything: no new database, bucket, secret or migration; a new version of the code", async () => {
    const versionsBefore = standIn.api.script(top.name)!.versions.length;
    const writesBefore = standIn.api.account.secretWrites.length;
    const { result, requests, why } = await deploy();
    expect(result.code, why).toBe(0);
    expectCleanRun(requests);
    expect(result.stdout).toContain(`Deployed ${top.name} to https://${top.name}.${standIn.api.account.subdomain}.workers.dev`);

    const writes = requests.filter((r) => r.method !== "GET");
    expect(
      writes.filter((r) => r.path === apiPath(standIn.api, "/d1/database") || r.path === apiPath(standIn.api, "/r2/buckets")),
      why,
    ).toEqual([]);
    expect(writes.filter((r) => r.path === apiPath(standIn.api, "/workers/subdomain"))).toEqual([]);
    expect(writes.filter((r) => /\/secrets(-bulk)?(\/|$)/.test(r.path))).toEqual([]);
    expect(standIn.api.account.secretWrites.length).toBe(writesBefore);
    // D1: only wrangler's look at d1_migrations (its CREATE IF NOT EXISTS and the listing).
    for (const sql of d1Queries(requests))
      expect(sql, why).toMatch(/^\s*(CREATE TABLE IF NOT EXISTS "d1_migrations"|SELECT \*\s+FROM "d1_migrations")/);

    expect(standIn.api.account.d1.size).toBe(1);
    expect(standIn.api.account.r2.size).toBe(1);
    // The queue is found, not created again, and keeps one consumer (updated, not added).
    expect(queueCreations(requests), why).toEqual([]);
    expect(result.stdout).toMatch(/Queue "[^"]+": exists/);
    expect(queuesOf()).toEqual(expectedConsumers(top));
    const script = standIn.api.script(top.name)!;
    expect(script.versions.length, why).toBe(versionsBefore + 1);
    const version = standIn.api.deployedVersion(top.name)!;
    expect(version).toBe(script.versions.at(-1));
    expect(standIn.api.secrets(top.name)[SECRET]).toBe(firstSecret);
    const db = standIn.api.databaseByName(top.d1_databases[0]!.database_name)!;
    expect(bindingsByName(version)).toEqual({
      ...expectedBindings(top, db.uuid),
      [SECRET]: { name: SECRET, type: "secret_text", text: firstSecret },
    });
  });

  it("applies a migration added since the last run, and only that one", async () => {
    // A copy of what deploy reads, with one more migration; the code and assets are the repository's.
    const copy = mkdtempSync(path.join(tmpdir(), "deploy-test-repo-"));
    try {
      for (const file of ["wrangler.toml", "package.json", "tsconfig.json"]) cpSync(path.join(ROOT, file), path.join(copy, file));
      for (const dir of ["scripts", "migrations"]) cpSync(path.join(ROOT, dir), path.join(copy, dir), { recursive: true });
      for (const dir of ["src", "public", "node_modules"]) symlinkSync(path.join(ROOT, dir), path.join(copy, dir));
      const migration = "9999_deploy-test.sql";
      writeFileSync(path.join(copy, "migrations", migration), "CREATE TABLE `deploy_test_marker` (`id` integer PRIMARY KEY NOT NULL);\n");

      const { result, requests, why } = await deploy([], copy);
      expect(result.code, why).toBe(0);
      expectCleanRun(requests);
      const db = standIn.api.databaseByName(top.d1_databases[0]!.database_name)!;
      const applied = (db.sqlite.prepare("SELECT name FROM d1_migrations ORDER BY id").all() as { name: string }[]).map((m) => m.name);
      expect(applied).toEqual([...migrationFiles(top), migration]);
      expect(db.sqlite.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'deploy_test_marker'").get()).toEqual({ n: 1 });
      const migrationSql = d1Queries(requests).filter(
        (sql) => !/^\s*(CREATE TABLE IF NOT EXISTS "d1_migrations"|SELECT \*\s+FROM "d1_migrations")/.test(sql),
      );
      expect(migrationSql, why).toHaveLength(1);
      expect(migrationSql[0]).toContain("deploy_test_marker");
      expect(standIn.api.account.d1.size).toBe(1);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("--create-app leaves an application and one credential in the database; the secret is printed once and hashes to what is stored", async () => {
    const { result, requests, why } = await deploy(["--create-app", "Acme Prod"]);
    expect(result.code, why).toBe(0);
    expectCleanRun(requests);

    const clientId = /^ {2}Client id: +(\S+)$/m.exec(result.stdout)?.[1];
    const clientSecret = /^ {2}Client secret: +(\S+)$/m.exec(result.stdout)?.[1];
    expect(clientId, why).toBeDefined();
    expect(clientSecret, why).toBeDefined();
    expect(occurrences(result.output, clientSecret!)).toBe(1);

    const db = standIn.api.databaseByName(top.d1_databases[0]!.database_name)!.sqlite;
    const apps = db.prepare("SELECT id, name FROM applications WHERE name = 'Acme Prod'").all() as { id: number; name: string }[];
    expect(apps).toHaveLength(1);
    const credentials = db.prepare("SELECT client_id, secret_hash FROM client_credentials WHERE application_id = ?").all(apps[0]!.id);
    expect(credentials).toEqual([{ client_id: clientId, secret_hash: createHash("sha256").update(clientSecret!, "utf8").digest("hex") }]);

    expect(standIn.api.account.d1.size).toBe(1);
    expect(secretWrites(top.name)).toHaveLength(1);
    expect(standIn.api.secrets(top.name)[SECRET]).toBe(firstSecret);
  });

  it("--env staging deploys a separate Worker with its own database, bucket and key, and leaves the top-level one alone", async () => {
    expect(staging.name).not.toBe(top.name);
    const topDb = standIn.api.databaseByName(top.d1_databases[0]!.database_name)!;
    const dump = (db: typeof topDb) =>
      JSON.stringify(
        ["d1_migrations", "signing_keys", "applications", "client_credentials"].map((t) => db.sqlite.prepare(`SELECT * FROM ${t}`).all()),
      );
    const topBefore = {
      dump: dump(topDb),
      versions: standIn.api.script(top.name)!.versions.length,
      deployments: standIn.api.script(top.name)!.deployments.length,
    };

    const { result, requests, why } = await deploy(["--env", "staging"]);
    expect(result.code, why).toBe(0);
    expectCleanRun(requests);
    expect(result.stdout).toContain(`Deployed ${staging.name} to https://${staging.name}.${standIn.api.account.subdomain}.workers.dev`);

    // Its own resources, next to the top-level ones.
    const stagingDbName = staging.d1_databases[0]!.database_name;
    const stagingBucket = staging.r2_buckets[0]!.bucket_name;
    expect(stagingDbName).not.toBe(top.d1_databases[0]!.database_name);
    expect([...standIn.api.account.d1.values()].map((d) => d.name).sort()).toEqual(
      [top.d1_databases[0]!.database_name, stagingDbName].sort(),
    );
    expect([...standIn.api.account.r2.keys()].sort()).toEqual([top.r2_buckets[0]!.bucket_name, stagingBucket].sort());
    expect(queueCreations(requests), why).toEqual(staging.queues.producers!.map((q) => q.queue));
    expect(queuesOf()).toEqual({ ...expectedConsumers(top), ...expectedConsumers(staging) });
    const stagingDb = standIn.api.databaseByName(stagingDbName)!;
    const applied = stagingDb.sqlite.prepare("SELECT name FROM d1_migrations ORDER BY id").all() as { name: string }[];
    expect(applied.map((m) => m.name)).toEqual(migrationFiles(staging));

    const writes = secretWrites(staging.name);
    expect(writes, why).toHaveLength(1);
    const jwk = JSON.parse(writes[0]!.text!) as JsonWebKey & { kid: string };
    expect(jwk.d).not.toBe((JSON.parse(firstSecret) as JsonWebKey).d);
    const keys = signingKeys(stagingDbName);
    expect(keys.map((k) => k.kid)).toEqual([jwk.kid]);
    expect(await keyPairWorks(jwk, JSON.parse(keys[0]!.public_jwk))).toBe(true);
    expect(result.output).not.toContain(jwk.d!);

    const version = standIn.api.deployedVersion(staging.name)!;
    expect(version.compatibilityDate).toBe(staging.compatibility_date);
    expect(bindingsByName(version)).toEqual({
      ...expectedBindings(staging, stagingDb.uuid),
      [SECRET]: { name: SECRET, type: "secret_text", text: writes[0]!.text },
    });
    expect(standIn.api.script(staging.name)!.migrationTag).toBe(staging.migrations.at(-1)!.tag);

    // The top-level deployment: not touched, not even read by name.
    expect(dump(topDb)).toBe(topBefore.dump);
    expect(standIn.api.script(top.name)!.versions.length).toBe(topBefore.versions);
    expect(standIn.api.script(top.name)!.deployments.length).toBe(topBefore.deployments);
    const touchingTop = requests.filter(
      (r) =>
        r.path.includes(`/workers/scripts/${top.name}/`) ||
        r.path.endsWith(`/workers/scripts/${top.name}`) ||
        r.path.includes(topDb.uuid) ||
        r.path.endsWith(`/r2/buckets/${top.r2_buckets[0]!.bucket_name}`),
    );
    expect(touchingTop.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it("npm run keys -- rotate installs a new key and retires the old one for the token lifetime plus a margin", async () => {
    const old = JSON.parse(standIn.api.secrets(top.name)[SECRET]!) as JsonWebKey & { kid: string };
    const writesBefore = secretWrites(top.name).length;
    const from = standIn.api.requests.length;
    const before = Date.now();
    const result = await npmRun(standIn.api, standIn.home, "keys", ["rotate"]);
    const after = Date.now();
    const requests = standIn.api.requests.slice(from);
    const why = explain(result, standIn.api, from);
    expect(result.code, why).toBe(0);
    expectCleanRun(requests);

    const writes = secretWrites(top.name).slice(writesBefore);
    expect(writes, why).toHaveLength(1);
    const fresh = JSON.parse(writes[0]!.text!) as JsonWebKey & { kid: string };
    expect(fresh.kid).not.toBe(old.kid);
    expect(standIn.api.secrets(top.name)[SECRET]).toBe(writes[0]!.text);
    // The Worker keeps everything else (the secret went in as a new version of the same code).
    const db = standIn.api.databaseByName(top.d1_databases[0]!.database_name)!;
    expect(bindingsByName(standIn.api.deployedVersion(top.name)!)).toEqual({
      ...expectedBindings(top, db.uuid),
      [SECRET]: { name: SECRET, type: "secret_text", text: writes[0]!.text },
    });

    const keys = Object.fromEntries(signingKeys(db.name).map((k) => [k.kid, k]));
    expect(Object.keys(keys).sort()).toEqual([old.kid, fresh.kid].sort());
    expect(keys[fresh.kid]).toMatchObject({ retired_at: null, accepted_until: null });
    expect(await keyPairWorks(fresh, JSON.parse(keys[fresh.kid]!.public_jwk))).toBe(true);
    const retired = keys[old.kid]!;
    expect(retired.retired_at).toBeGreaterThanOrEqual(before);
    expect(retired.retired_at).toBeLessThanOrEqual(after);
    const ttlMs = Number(top.vars.TOKEN_TTL_SECONDS) * 1000;
    expect(retired.accepted_until! - retired.retired_at!).toBeGreaterThanOrEqual(ttlMs);
    expect(retired.accepted_until! - retired.retired_at!).toBeLessThanOrEqual(ttlMs + 10 * 60_000);

    expect(result.output).not.toContain(old.d!);
    expect(result.output).not.toContain(fresh.d!);
  });
});
