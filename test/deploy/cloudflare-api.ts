/**
 * A local stand-in for the part of the Cloudflare API (`/client/v4`) that `npm run deploy` reaches
 * through wrangler: accounts and the token check, D1 (databases kept as real SQLite files, remote
 * SQL executed on them), R2 buckets, Queues (and their Worker consumers), and Workers (scripts, versions, deployments, secrets, static
 * assets, the workers.dev subdomain, cron schedules). Loopback only, on a free port.
 *
 * Every request is recorded (method, path, query, the JSON body or the multipart parts, the answer),
 * including those it has no route for: they are answered 404 "not stubbed: METHOD path", so a test
 * can assert that nothing unexpected was called. The same port doubles as the HTTP(S) proxy of the
 * processes under test (see `env()`), so any attempt to reach another host is refused and recorded
 * in `outbound` instead of leaving the machine.
 *
 * It checks what the real API would refuse: a wrong token, a duplicate database or bucket name, a
 * Durable Object migration whose `old_tag` is not the script's current tag, a binding to a
 * database, bucket or Durable Object class that does not exist, an assets JWT that no completed
 * upload session issued, SQL that SQLite rejects (answered as D1 does, code 7500), a duplicate or
 * invalid queue name, a queue binding or consumer for a queue that does not exist, consumer
 * settings beyond the Queues limits.
 * @example const api = await startCloudflareApi(); … spawn("npm", ["run", "deploy"], { env: { ...process.env, ...api.env() } }); … await api.close();
 */
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { splitStatements } from "./sql-split.ts";

// ---------------------------------------------------------------------------------------------
// What is recorded and kept

/** One part of a multipart body. `json` for JSON parts (the upload's metadata), `text` for other small text parts. */
interface RecordedPart {
  name: string;
  filename?: string;
  type: string;
  size: number;
  json?: unknown;
  text?: string;
}

export interface RecordedRequest {
  /** 1, 2, 3… in arrival order. */
  seq: number;
  method: string;
  /** Without the `/client/v4` prefix, e.g. `/accounts/abc/d1/database`. */
  path: string;
  query: Record<string, string>;
  contentType: string;
  /** How the request authenticated: the API token, an assets-upload JWT, nothing, or something wrong. */
  auth: "token" | "assets-jwt" | "none" | "bad";
  /** The parsed JSON body, when it was JSON. */
  body?: unknown;
  /** The parts of a multipart body. */
  parts?: RecordedPart[];
  /** Any other non-empty body, as text (first 4 KiB). */
  text?: string;
  status: number;
  response: unknown;
  /** No route answers this method and path. */
  unstubbed?: boolean;
  /** Answered by a failure set up with `failNext`. */
  injected?: boolean;
  /** The stand-in itself threw (a bug here, answered 500 with the stack). */
  crashed?: boolean;
}

/** An attempt to reach another host through the proxy that `env()` sets. */
interface OutboundAttempt {
  method: string;
  target: string;
}

interface D1Database {
  uuid: string;
  name: string;
  createdAt: string;
  file: string;
  /** The database itself: read it in assertions. */
  sqlite: DatabaseSync;
}

interface R2Bucket {
  name: string;
  creation_date: string;
  location: string;
  storage_class: string;
}

/** A queue and its Worker consumers (what `GET …/queues` shows). */
interface Queue {
  queue_id: string;
  queue_name: string;
  created_on: string;
  modified_on: string;
  consumers: { consumer_id: string; type: "worker"; script: string; settings: Record<string, unknown>; dead_letter_queue?: string }[];
}

interface Binding {
  type: string;
  name: string;
  [key: string]: unknown;
}

interface AssetManifestEntry {
  hash: string;
  size: number;
}

interface WorkerModule {
  name: string;
  type: string;
  content: Buffer;
}

export interface WorkerVersion {
  id: string;
  number: number;
  createdOn: string;
  /** What made it: a script upload (PUT), a version upload (POST …/versions), a secrets change, a settings PATCH. */
  via: "script-upload" | "version-upload" | "secrets-api" | "settings";
  /** The upload's metadata part as sent (for secrets changes: undefined). */
  metadata?: Record<string, unknown>;
  /** The bindings in effect: `inherit` resolved, kept secrets carried over, secrets with their text. */
  bindings: Binding[];
  modules: WorkerModule[];
  mainModule: string;
  compatibilityDate?: string;
  compatibilityFlags: string[];
  assets?: { manifest: Record<string, AssetManifestEntry>; config: unknown };
}

interface WorkerDeployment {
  id: string;
  createdOn: string;
  source: string;
  strategy: string;
  versions: { version_id: string; percentage: number }[];
  annotations?: unknown;
}

interface WorkerScript {
  name: string;
  createdOn: string;
  /** Oldest first. */
  versions: WorkerVersion[];
  /** Oldest first. */
  deployments: WorkerDeployment[];
  migrationTag?: string;
  /** Classes that Durable Object migrations have created (and not deleted or renamed away). */
  durableObjectClasses: Set<string>;
  subdomainEnabled: boolean;
  previewsEnabled: boolean;
  schedules: { cron: string }[];
  /** Made by `wrangler secret put` for a Worker that did not exist: never wanted here. */
  placeholder: boolean;
}

interface SecretWrite {
  seq: number;
  script: string;
  name: string;
  /** null: deleted. */
  text: string | null;
  via: "secrets-api" | "secrets-bulk" | "script-upload" | "version-upload" | "settings";
}

interface AccountState {
  id: string;
  name: string;
  subdomain?: string;
  /** By uuid. */
  d1: Map<string, D1Database>;
  r2: Map<string, R2Bucket>;
  /** By queue id. */
  queues: Map<string, Queue>;
  scripts: Map<string, WorkerScript>;
  /** Static-asset contents the account holds, by hash (as uploaded: the file's bytes). */
  assets: Map<string, { content: Buffer; type: string }>;
  /** Every secret written, in order, by any route. */
  secretWrites: SecretWrite[];
  /** Things that worked but should never happen in a deploy (e.g. a placeholder Worker made for a secret). */
  anomalies: string[];
}

interface FailureRule {
  method: string;
  path: RegExp;
  status: number;
  code: number;
  message: string;
  /** How many more matching requests fail (Infinity: until `clearFailures()`). */
  remaining: number;
}

export interface CloudflareApi {
  /** `http://127.0.0.1:PORT/client/v4`: wrangler's CLOUDFLARE_API_BASE_URL. */
  baseUrl: string;
  accountId: string;
  token: string;
  requests: RecordedRequest[];
  outbound: OutboundAttempt[];
  state: { accounts: Map<string, AccountState> };
  /** The one account the token opens. */
  account: AccountState;
  /** Environment for a process under test: the API base URL, token and account id, and a proxy that refuses every other host. */
  env(): Record<string, string>;
  /** The next `times` requests matching `method` and `path` are answered `status` with a Cloudflare-style error. */
  failNext(method: string, path: RegExp, options?: { status?: number; code?: number; message?: string; times?: number }): void;
  clearFailures(): void;
  /** Requests no route answered. */
  unstubbed(): RecordedRequest[];
  databaseByName(name: string): D1Database | undefined;
  script(name: string): WorkerScript | undefined;
  /** The version that the newest deployment sends 100% of traffic to. */
  deployedVersion(name: string): WorkerVersion | undefined;
  /** The secrets (name → text) of the script's newest version. */
  secrets(name: string): Record<string, string>;
  /** One line per request, secret values masked: for failure messages. */
  log(from?: number): string;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Answers

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

class ApiError extends Error {
  status: number;
  code: number;
  constructor(status: number, code: number, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const ok = (result: unknown, extra: Record<string, unknown> = {}, status = 200): Reply => ({
  status,
  body: { success: true, errors: [], messages: [], result, ...extra },
});

const failure = (status: number, code: number, message: string): Reply => ({
  status,
  body: { success: false, errors: [{ code, message }], messages: [], result: null },
});

const page = (items: unknown[], pageNumber = 1, perPage = items.length || 20) => ({
  result_info: { page: pageNumber, per_page: perPage, count: items.length, total_count: items.length },
});

const now = () => new Date().toISOString();

// The real API says no more than this (wrangler adds the name).
const WORKER_MISSING = () => new ApiError(404, 10007, "This Worker does not exist on your account.");

// ---------------------------------------------------------------------------------------------
// Requests

interface Ctx {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  raw: Buffer;
  contentType: string;
  params: Record<string, string>;
  account: AccountState;
  rec: RecordedRequest;
}

type Handler = (ctx: Ctx) => Reply | Promise<Reply>;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  /** "token": the API token; "assets": an assets-upload session JWT; "none": the pre-signed D1 upload URL. */
  auth: "token" | "assets" | "none";
  handler: Handler;
}

const compile = (template: string) => {
  const keys: string[] = [];
  const source = template.replace(/:([a-zA-Z]+)/g, (_, key: string) => {
    keys.push(key);
    return "([^/]+)";
  });
  return { pattern: new RegExp(`^${source}$`), keys };
};

const jsonBody = (ctx: Ctx): any => {
  const text = ctx.raw.toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, 10001, `Malformed JSON in request body: ${text.slice(0, 80)}`);
  }
};

const formOf = async (ctx: Ctx): Promise<FormData> => {
  if (!ctx.contentType.startsWith("multipart/form-data"))
    throw new ApiError(400, 10001, `expected a multipart body, got "${ctx.contentType}"`);
  return new Response(new Uint8Array(ctx.raw), { headers: { "content-type": ctx.contentType } }).formData();
};

const recordParts = async (form: FormData): Promise<RecordedPart[]> => {
  const parts: RecordedPart[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === "string") {
      parts.push({ name, type: "text/plain", size: Buffer.byteLength(value), ...jsonOrText(value, "") });
      continue;
    }
    const text = value.size <= 64 * 1024 ? await value.text() : undefined;
    parts.push({
      name,
      filename: value.name,
      type: value.type,
      size: value.size,
      ...(text === undefined ? {} : jsonOrText(text, value.type)),
    });
  }
  return parts;
};

const jsonOrText = (text: string, type: string): { json?: unknown; text?: string } => {
  if (type.includes("json") || /^\s*[[{]/.test(text)) {
    try {
      return { json: JSON.parse(text) };
    } catch {
      // not JSON after all
    }
  }
  return type.startsWith("text/") || type === "" ? { text: text.slice(0, 4096) } : {};
};

// ---------------------------------------------------------------------------------------------
// D1

const D1_TRANSACTION = /^(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i;

/** A statement's text without its leading comments and blanks. */
const stripLeadingComments = (statement: string) => statement.replace(/^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/, "");

const sqliteValue = (value: unknown): SQLInputValue => {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "string") return value;
  if (Array.isArray(value)) return new Uint8Array(value as number[]);
  throw new ApiError(400, 7500, `D1_ERROR: Type '${typeof value}' not supported for value '${String(value)}': SQLITE_MISMATCH`);
};

const d1Value = (value: unknown) => (value instanceof Uint8Array ? Array.from(value) : typeof value === "bigint" ? Number(value) : value);

interface StatementResult {
  columns: string[];
  rows: unknown[][];
  meta: Record<string, unknown>;
}

/** Runs a D1 query (one or more statements) on the database, all or nothing, as D1 does. */
const runD1 = (db: D1Database, sql: string, params: unknown[] = []): StatementResult[] => {
  const statements = splitStatements(sql);
  if (statements.length === 0) throw new ApiError(400, 7500, "D1_ERROR: No SQL statements detected.: SQLITE_ERROR");
  if (params.length > 0 && statements.length > 1) {
    throw new ApiError(400, 7500, "D1_ERROR: parameters were given for more than one statement: SQLITE_ERROR");
  }
  const { sqlite } = db;
  const results: StatementResult[] = [];
  sqlite.exec("SAVEPOINT d1_query");
  try {
    for (const statement of statements) {
      if (D1_TRANSACTION.test(stripLeadingComments(statement))) {
        throw new ApiError(
          400,
          7500,
          "D1_ERROR: To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements.: SQLITE_AUTH",
        );
      }
      const started = performance.now();
      let prepared: ReturnType<DatabaseSync["prepare"]>;
      try {
        prepared = sqlite.prepare(statement);
      } catch (error) {
        throw new ApiError(400, 7500, `D1_ERROR: ${(error as Error).message}: SQLITE_ERROR`);
      }
      const columns = prepared.columns().map((c) => c.name);
      const bound = params.map(sqliteValue);
      let rows: unknown[][] = [];
      let changes = 0;
      let lastRowId = 0;
      try {
        if (columns.length > 0) {
          prepared.setReturnArrays(true);
          rows = (prepared.all(...bound) as unknown as unknown[][]).map((row) => row.map(d1Value));
        } else {
          const info = prepared.run(...bound);
          changes = Number(info.changes);
          lastRowId = Number(info.lastInsertRowid);
        }
      } catch (error) {
        const message = (error as Error).message;
        const kind = /constraint/i.test(message) ? "SQLITE_CONSTRAINT" : "SQLITE_ERROR";
        throw new ApiError(400, 7500, `D1_ERROR: ${message}: ${kind}`);
      }
      const duration = performance.now() - started;
      results.push({
        columns,
        rows,
        meta: {
          served_by: "cloudflare-api-stand-in",
          served_by_region: "WEUR",
          served_by_primary: true,
          timings: { sql_duration_ms: duration },
          duration,
          changes,
          last_row_id: lastRowId,
          changed_db: changes > 0 || columns.length === 0,
          size_after: databaseSize(sqlite),
          rows_read: rows.length,
          rows_written: changes,
          total_attempts: 1,
        },
      });
    }
    sqlite.exec("RELEASE d1_query");
  } catch (error) {
    sqlite.exec("ROLLBACK TO d1_query");
    sqlite.exec("RELEASE d1_query");
    throw error;
  }
  return results;
};

const databaseSize = (sqlite: DatabaseSync) => {
  const row = sqlite.prepare("SELECT page_count * page_size AS size FROM pragma_page_count(), pragma_page_size()").get() as {
    size: number;
  };
  return Number(row.size);
};

const d1Info = (db: D1Database) => ({
  uuid: db.uuid,
  name: db.name,
  created_at: db.createdAt,
  version: "production",
  num_tables: Number(
    (db.sqlite.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").get() as { n: number })
      .n,
  ),
  file_size: databaseSize(db.sqlite),
  running_in_region: "WEUR",
  read_replication: { mode: "disabled" },
});

// ---------------------------------------------------------------------------------------------
// Workers

const SECRET_TYPES = new Set(["secret_text", "secret_key"]);

const binding = (b: unknown): Binding => {
  if (typeof b !== "object" || b === null || typeof (b as Binding).name !== "string" || typeof (b as Binding).type !== "string") {
    throw new ApiError(400, 10021, `Invalid binding: ${JSON.stringify(b)}`);
  }
  return b as Binding;
};

/** A binding as the settings/versions endpoints show it: secrets without their text. */
const shown = (b: Binding): Binding => {
  if (!SECRET_TYPES.has(b.type)) return b;
  const { text: _text, ...rest } = b;
  return rest as Binding;
};

const mimeOfModule = (type: string) => type.split(";")[0]!.trim();

// ---------------------------------------------------------------------------------------------
// The server

export const startCloudflareApi = async (options: { subdomain?: string } = {}): Promise<CloudflareApi> => {
  const dir = mkdtempSync(path.join(tmpdir(), "cloudflare-api-"));
  const accountId = randomBytes(16).toString("hex");
  const token = `test-token-${randomBytes(12).toString("hex")}`;
  const jwtKey = randomBytes(32);
  const account: AccountState = {
    id: accountId,
    name: "Deploy test account",
    subdomain: options.subdomain,
    d1: new Map(),
    r2: new Map(),
    queues: new Map(),
    scripts: new Map(),
    assets: new Map(),
    secretWrites: [],
    anomalies: [],
  };
  const accounts = new Map([[accountId, account]]);
  const requests: RecordedRequest[] = [];
  const outbound: OutboundAttempt[] = [];
  let failures: FailureRule[] = [];
  let port = 0;

  // Assets upload sessions, by session JWT; completion JWTs, to their manifest.
  interface AssetSession {
    script: string;
    manifest: Record<string, AssetManifestEntry>;
    needed: Set<string>;
    completionJwt?: string;
  }
  const assetSessions = new Map<string, AssetSession>();
  const completedAssets = new Map<string, Record<string, AssetManifestEntry>>();
  // Pending D1 imports, by upload id.
  const d1Uploads = new Map<string, { db: string; sql?: Buffer; etag?: string }>();

  const signJwt = (payload: Record<string, unknown>) => {
    const head = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");
    const body = Buffer.from(JSON.stringify({ ...payload, exp: Math.floor(Date.now() / 1000) + 3600 })).toString("base64url");
    const signature = createHmac("sha256", jwtKey).update(`${head}.${body}`).digest("base64url");
    return `${head}.${body}.${signature}`;
  };

  // -- D1 --------------------------------------------------------------------------------------

  const databaseByName = (name: string) => [...account.d1.values()].find((db) => db.name === name);

  const findDatabase = (acc: AccountState, key: string) => {
    const db = acc.d1.get(key) ?? [...acc.d1.values()].find((d) => d.name === key);
    if (!db) throw new ApiError(404, 7404, `The database ${key} could not be found`);
    return db;
  };

  const createDatabase = (acc: AccountState, name: unknown) => {
    if (typeof name !== "string" || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name)) {
      throw new ApiError(400, 7400, `The database name "${String(name)}" is invalid`);
    }
    if ([...acc.d1.values()].some((d) => d.name === name)) throw new ApiError(400, 7502, "A database with that name already exists");
    const uuid = randomUUID();
    const file = path.join(dir, `${uuid}.sqlite`);
    const sqlite = new DatabaseSync(file);
    // D1 enforces foreign keys.
    sqlite.exec("PRAGMA foreign_keys = ON");
    const db: D1Database = { uuid, name, createdAt: now(), file, sqlite };
    acc.d1.set(uuid, db);
    return db;
  };

  // -- Workers ---------------------------------------------------------------------------------

  const scriptOf = (acc: AccountState, name: string) => {
    const script = acc.scripts.get(name);
    if (!script) throw WORKER_MISSING();
    return script;
  };

  const latestVersion = (script: WorkerScript) => script.versions.at(-1);

  const deployedVersionOf = (script: WorkerScript) => {
    const deployment = script.deployments.at(-1);
    const id = deployment?.versions.find((v) => v.percentage === 100)?.version_id;
    return script.versions.find((v) => v.id === id);
  };

  const deploy = (script: WorkerScript, version: WorkerVersion, source: string, annotations?: unknown) => {
    const deployment: WorkerDeployment = {
      id: randomUUID(),
      createdOn: now(),
      source,
      strategy: "percentage",
      versions: [{ version_id: version.id, percentage: 100 }],
      annotations,
    };
    script.deployments.push(deployment);
    return deployment;
  };

  const newScript = (acc: AccountState, name: string): WorkerScript => {
    const script: WorkerScript = {
      name,
      createdOn: now(),
      versions: [],
      deployments: [],
      durableObjectClasses: new Set(),
      subdomainEnabled: false,
      previewsEnabled: false,
      schedules: [],
      placeholder: false,
    };
    acc.scripts.set(name, script);
    return script;
  };

  /** The classes after applying a migration's steps; throws as the API would on a bad step. */
  const applyMigrations = (script: WorkerScript, migrations: any): { tag?: string; classes: Set<string> } => {
    const classes = new Set(script.durableObjectClasses);
    if (migrations === undefined || migrations === null) return { tag: script.migrationTag, classes };
    const oldTag: string | undefined = migrations.old_tag ?? undefined;
    if (oldTag !== script.migrationTag) {
      throw new ApiError(
        400,
        10079,
        `Cannot apply migrations: the script's current migration tag is ${JSON.stringify(script.migrationTag ?? null)}, the upload expects old_tag ${JSON.stringify(oldTag ?? null)}`,
      );
    }
    const steps: any[] = Array.isArray(migrations.steps) ? migrations.steps : [migrations];
    for (const step of steps) {
      for (const name of [...(step.new_classes ?? []), ...(step.new_sqlite_classes ?? [])]) {
        if (classes.has(name)) throw new ApiError(400, 10074, `Cannot create Durable Object class ${name}: it already exists`);
        classes.add(name);
      }
      for (const { from, to } of step.renamed_classes ?? []) {
        if (!classes.has(from)) throw new ApiError(400, 10074, `Cannot rename Durable Object class ${from}: no such class`);
        classes.delete(from);
        classes.add(to);
      }
      for (const name of step.deleted_classes ?? []) {
        if (!classes.delete(name)) throw new ApiError(400, 10074, `Cannot delete Durable Object class ${name}: no such class`);
      }
    }
    if (typeof migrations.new_tag !== "string") throw new ApiError(400, 10074, "migrations.new_tag is missing");
    return { tag: migrations.new_tag, classes };
  };

  /**
   * The bindings a new version gets: `inherit` bindings resolved from the newest version, bindings
   * of the `keep_bindings` types that the upload does not name carried over from it; checked
   * against the account's resources.
   */
  const resolveBindings = (
    acc: AccountState,
    script: WorkerScript,
    metadata: Record<string, any>,
    classes: Set<string>,
    mainModule: WorkerModule,
  ): Binding[] => {
    const previous = latestVersion(script)?.bindings ?? [];
    const sent = (Array.isArray(metadata.bindings) ? metadata.bindings : []).map(binding);
    const names = new Set<string>();
    const out: Binding[] = [];
    for (const b of sent) {
      if (names.has(b.name)) throw new ApiError(400, 10021, `Binding name '${b.name}' is used more than once`);
      names.add(b.name);
      if (b.type === "inherit") {
        const from = previous.find((p) => p.name === (b.old_name ?? b.name));
        if (!from) throw new ApiError(400, 10021, `Cannot inherit binding '${b.name}': the previous version has no binding of that name`);
        out.push({ ...from, name: b.name });
        continue;
      }
      out.push(b);
    }
    const keep = new Set<string>(Array.isArray(metadata.keep_bindings) ? metadata.keep_bindings : []);
    if (metadata.keep_secrets === true) for (const t of SECRET_TYPES) keep.add(t);
    if (metadata.keep_vars === true) for (const t of ["plain_text", "json"]) keep.add(t);
    for (const p of previous) if (keep.has(p.type) && !names.has(p.name)) out.push(p);

    const moduleText = mainModule.content.toString("utf8");
    for (const b of out) {
      switch (b.type) {
        case "d1":
          if (!acc.d1.has(String(b.id ?? b.database_id))) {
            throw new ApiError(
              400,
              10021,
              `D1 binding '${b.name}' references database '${String(b.id ?? b.database_id)}' which was not found`,
            );
          }
          break;
        case "r2_bucket":
          if (!acc.r2.has(String(b.bucket_name))) {
            throw new ApiError(400, 10085, `R2 binding '${b.name}' references bucket '${String(b.bucket_name)}' which does not exist`);
          }
          break;
        case "durable_object_namespace":
          if (b.script_name !== undefined && b.script_name !== script.name) break;
          if (!classes.has(String(b.class_name))) {
            throw new ApiError(
              400,
              10061,
              `Cannot create binding for class '${String(b.class_name)}' because it is not currently configured to implement Durable Objects. Did you forget to apply a Durable Object migration?`,
            );
          }
          if (!new RegExp(`export\\s*(\\{[^}]*\\b${b.class_name}\\b[^}]*\\}|class\\s+${b.class_name}\\b)`).test(moduleText)) {
            throw new ApiError(400, 10070, `Durable Object class '${String(b.class_name)}' is not exported by the main module`);
          }
          break;
        case "ratelimit": {
          const simple = b.simple as { limit?: unknown; period?: unknown } | undefined;
          if (typeof b.namespace_id !== "string" || !/^\d+$/.test(b.namespace_id) || !simple || !Number.isInteger(simple.limit)) {
            throw new ApiError(400, 10021, `Invalid ratelimit binding '${b.name}': ${JSON.stringify(b)}`);
          }
          if (simple.period !== 10 && simple.period !== 60)
            throw new ApiError(400, 10021, `ratelimit '${b.name}': period must be 10 or 60`);
          break;
        }
        case "queue":
          if (![...acc.queues.values()].some((q) => q.queue_name === b.queue_name)) {
            throw new ApiError(400, 11000, `Queue binding '${b.name}' references queue '${String(b.queue_name)}' which does not exist`);
          }
          break;
        case "secret_text":
          if (typeof b.text !== "string") throw new ApiError(400, 10021, `secret_text binding '${b.name}' has no text`);
          break;
        default:
          break;
      }
    }
    return out;
  };

  /** A script or version upload: checks it, makes the version, records the secrets it writes. */
  const upload = async (ctx: Ctx, script: WorkerScript, via: "script-upload" | "version-upload") => {
    const form = await formOf(ctx);
    const metadataPart = form.get("metadata");
    if (metadataPart === null) throw new ApiError(400, 10021, "The upload has no metadata part");
    const metadata = JSON.parse(typeof metadataPart === "string" ? metadataPart : await metadataPart.text()) as Record<string, any>;
    const mainName: unknown = metadata.main_module ?? metadata.body_part;
    const modules: WorkerModule[] = [];
    for (const [name, value] of form.entries()) {
      if (name === "metadata" || typeof value === "string") continue;
      modules.push({ name, type: mimeOfModule(value.type), content: Buffer.from(await value.arrayBuffer()) });
    }
    const main = modules.find((m) => m.name === mainName);
    if (!main) throw new ApiError(400, 10021, `No such module: main_module "${String(mainName)}" names no part of the upload`);
    if (metadata.compatibility_date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(metadata.compatibility_date))) {
      throw new ApiError(400, 10021, `Invalid compatibility_date ${JSON.stringify(metadata.compatibility_date)}`);
    }
    const { tag, classes } = applyMigrations(script, metadata.migrations);
    const bindings = resolveBindings(ctx.account, script, metadata, classes, main);

    let assets: WorkerVersion["assets"];
    if (metadata.assets !== undefined) {
      const manifest = completedAssets.get(String(metadata.assets.jwt));
      if (!manifest) throw new ApiError(400, 10204, "The assets JWT is not the completion token of an upload session");
      assets = { manifest, config: metadata.assets.config };
    } else if (metadata.keep_assets === true) {
      assets = latestVersion(script)?.assets;
    }

    const version: WorkerVersion = {
      id: randomUUID(),
      number: script.versions.length + 1,
      createdOn: now(),
      via,
      metadata,
      bindings,
      modules,
      mainModule: main.name,
      compatibilityDate: metadata.compatibility_date,
      compatibilityFlags: metadata.compatibility_flags ?? [],
      assets,
    };
    script.versions.push(version);
    if (via === "script-upload") {
      // A script upload deploys at once and applies its migrations.
      script.migrationTag = tag;
      script.durableObjectClasses = classes;
      deploy(script, version, "wrangler", metadata.annotations);
    } else if (metadata.migrations !== undefined) {
      throw new ApiError(400, 10211, "Durable Object migrations are not supported in a version upload: deploy with a script upload");
    }
    for (const b of metadata.bindings ?? []) {
      if (SECRET_TYPES.has(b.type) && typeof b.text === "string") {
        ctx.account.secretWrites.push({ seq: ctx.rec.seq, script: script.name, name: b.name, text: b.text, via });
      }
    }
    return version;
  };

  /** A new version that changes only secrets (as `wrangler secret put` does), deployed at once. */
  const changeSecrets = (ctx: Ctx, script: WorkerScript, changes: Record<string, string | null>, via: SecretWrite["via"]) => {
    const latest = latestVersion(script);
    const deployed = deployedVersionOf(script);
    if (latest && deployed && latest.id !== deployed.id) {
      throw new ApiError(
        400,
        10215,
        "Secret edit failed. You attempted to modify a secret, but the latest version of your Worker isn't currently deployed. Please ensure that the latest version of your Worker is fully deployed (wrangler versions deploy) before modifying secrets.",
      );
    }
    if (!latest) throw WORKER_MISSING();
    let bindings = latest.bindings.filter((b) => !(b.name in changes));
    for (const [name, text] of Object.entries(changes)) {
      if (text !== null) bindings = [...bindings, { type: "secret_text", name, text }];
      ctx.account.secretWrites.push({ seq: ctx.rec.seq, script: script.name, name, text, via });
    }
    const version: WorkerVersion = {
      ...latest,
      id: randomUUID(),
      number: script.versions.length + 1,
      createdOn: now(),
      via: "secrets-api",
      metadata: undefined,
      bindings,
    };
    script.versions.push(version);
    deploy(script, version, "secret");
    return version;
  };

  const versionView = (script: WorkerScript, v: WorkerVersion) => ({
    id: v.id,
    number: v.number,
    metadata: {
      created_on: v.createdOn,
      modified_on: v.createdOn,
      source: v.via === "secrets-api" ? "api" : "wrangler",
      author_email: "deploy-test@example.com",
    },
    annotations: (v.metadata?.annotations as Record<string, unknown> | undefined) ?? {},
    resources: {
      bindings: v.bindings.map(shown),
      script: { etag: `etag-${v.id}`, handlers: ["fetch", "scheduled"], last_deployed_from: "wrangler" },
      script_runtime: { compatibility_date: v.compatibilityDate, compatibility_flags: v.compatibilityFlags, usage_model: "standard" },
    },
    startup_time_ms: 5,
    script_name: script.name,
  });

  const deploymentView = (d: WorkerDeployment) => ({
    id: d.id,
    source: d.source,
    strategy: d.strategy,
    versions: d.versions,
    annotations: d.annotations ?? {},
    created_on: d.createdOn,
    author_email: "deploy-test@example.com",
  });

  // -- Routes ------------------------------------------------------------------------------------

  const routes: Route[] = [];
  const route = (method: string, template: string, handler: Handler, auth: Route["auth"] = "token") => {
    routes.push({ method, ...compile(template), auth, handler });
  };
  const A = "/accounts/:account";

  // Who am I (wrangler asks after a failed call, and without CLOUDFLARE_ACCOUNT_ID).
  route("GET", "/user/tokens/verify", () => ok({ id: "test-token", status: "active" }));
  route("GET", "/user", () => ok({ id: "test-user", email: "deploy-test@example.com" }));
  route("GET", "/accounts", () => ok([{ id: accountId, name: account.name }], page([1])));
  route("GET", "/memberships", () =>
    ok([{ id: "membership", status: "accepted", account: { id: accountId, name: account.name }, permissions: {} }], page([1])),
  );
  route("GET", A, (ctx) => ok({ id: ctx.account.id, name: ctx.account.name }));

  // D1
  route("GET", `${A}/d1/database`, (ctx) => {
    const name = ctx.query.get("name");
    const all = [...ctx.account.d1.values()].filter((d) => !name || d.name === name);
    const pageNumber = Number(ctx.query.get("page") ?? 1);
    const perPage = Number(ctx.query.get("per_page") ?? 1000);
    const items = all.slice((pageNumber - 1) * perPage, pageNumber * perPage).map(d1Info);
    return ok(items, { result_info: { page: pageNumber, per_page: perPage, count: items.length, total_count: all.length } });
  });
  route("POST", `${A}/d1/database`, (ctx) => ok(d1Info(createDatabase(ctx.account, jsonBody(ctx).name))));
  route("GET", `${A}/d1/database/:db`, (ctx) => ok(d1Info(findDatabase(ctx.account, ctx.params.db!))));
  route("DELETE", `${A}/d1/database/:db`, (ctx) => {
    const db = findDatabase(ctx.account, ctx.params.db!);
    db.sqlite.close();
    ctx.account.d1.delete(db.uuid);
    return ok(null);
  });
  for (const kind of ["query", "raw"] as const) {
    route("POST", `${A}/d1/database/:db/${kind}`, (ctx) => {
      const db = findDatabase(ctx.account, ctx.params.db!);
      const body = jsonBody(ctx);
      if (typeof body.sql !== "string") throw new ApiError(400, 7400, "The request body has no sql");
      const results = runD1(db, body.sql, Array.isArray(body.params) ? body.params : []);
      return ok(
        results.map(({ columns, rows, meta }) => ({
          results: kind === "raw" ? { columns, rows } : rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]]))),
          success: true,
          meta,
        })),
      );
    });
  }
  // `wrangler d1 execute --remote --file`: init → PUT to upload_url → ingest (→ poll).
  route("POST", `${A}/d1/database/:db/import`, (ctx) => {
    const db = findDatabase(ctx.account, ctx.params.db!);
    const body = jsonBody(ctx);
    if (body.action === "init") {
      const id = randomUUID();
      d1Uploads.set(id, { db: db.uuid });
      return ok({ success: true, filename: `${id}.sql`, upload_url: `http://127.0.0.1:${port}/__d1-upload/${id}` });
    }
    if (body.action === "ingest" || body.action === "poll") {
      const id = String(body.filename ?? "").replace(/\.sql$/, "");
      const pending = d1Uploads.get(id);
      if (body.action === "poll") return ok({ success: true, status: "complete", messages: [], at_bookmark: "b" });
      if (!pending?.sql || pending.db !== db.uuid) throw new ApiError(400, 7400, `No uploaded file ${String(body.filename)}`);
      if (body.etag !== pending.etag) throw new ApiError(400, 7400, "etag mismatch");
      d1Uploads.delete(id);
      try {
        const results = runD1(db, pending.sql.toString("utf8"));
        const rowsWritten = results.reduce((n, r) => n + Number(r.meta.rows_written), 0);
        return ok({
          success: true,
          status: "complete",
          messages: ["Import complete"],
          at_bookmark: "b",
          result: {
            num_queries: results.length,
            final_bookmark: "b",
            meta: { duration: 1, rows_read: 0, rows_written: rowsWritten, size_after: databaseSize(db.sqlite) },
          },
        });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        return ok({ success: true, status: "error", messages: [], errors: [error.message], at_bookmark: "b" });
      }
    }
    throw new ApiError(400, 7400, `Unknown import action ${JSON.stringify(body.action)}`);
  });
  route(
    "PUT",
    "/__d1-upload/:id",
    (ctx) => {
      const pending = d1Uploads.get(ctx.params.id!);
      if (!pending) return failure(404, 7404, "No such upload");
      pending.sql = ctx.raw;
      pending.etag = createHash("md5").update(ctx.raw).digest("hex");
      return { status: 200, body: "", headers: { ETag: `"${pending.etag}"` } };
    },
    "none",
  );

  // R2
  route("GET", `${A}/r2/buckets`, (ctx) => ok({ buckets: [...ctx.account.r2.values()] }));
  route("POST", `${A}/r2/buckets`, (ctx) => {
    const { name } = jsonBody(ctx);
    if (typeof name !== "string" || !/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name)) {
      throw new ApiError(400, 10005, `The bucket name "${String(name)}" is not valid.`);
    }
    if (ctx.account.r2.has(name)) throw new ApiError(409, 10004, "The bucket you tried to create already exists, and you own it.");
    const bucket: R2Bucket = { name, creation_date: now(), location: "WEUR", storage_class: "Standard" };
    ctx.account.r2.set(name, bucket);
    return ok(bucket);
  });
  route("GET", `${A}/r2/buckets/:bucket`, (ctx) => {
    const bucket = ctx.account.r2.get(ctx.params.bucket!);
    if (!bucket) throw new ApiError(404, 10006, "The specified bucket does not exist.");
    return ok(bucket);
  });

  // Queues
  const findQueue = (acc: AccountState, id: string) => {
    const queue = acc.queues.get(id);
    if (!queue) throw new ApiError(404, 11000, "Queue does not exist");
    return queue;
  };
  /** Consumer settings within the limits the real API enforces (Queues limits). */
  const consumerOf = (acc: AccountState, body: any, consumerId: string): Queue["consumers"][number] => {
    if (body.type !== "worker" || typeof body.script_name !== "string")
      throw new ApiError(400, 11001, "Invalid consumer: type worker and script_name required");
    if (!acc.scripts.has(body.script_name)) throw new ApiError(404, 10007, "This Worker does not exist on your account.");
    const settings = body.settings ?? {};
    const within = (value: unknown, min: number, max: number) =>
      value === undefined || (Number.isInteger(value) && (value as number) >= min && (value as number) <= max);
    if (!within(settings.batch_size, 1, 100) || !within(settings.max_retries, 0, 100) || !within(settings.max_wait_time_ms, 0, 60_000)) {
      throw new ApiError(400, 11001, `Invalid consumer settings: ${JSON.stringify(settings)}`);
    }
    return { consumer_id: consumerId, type: "worker", script: body.script_name, settings, dead_letter_queue: body.dead_letter_queue };
  };
  route("GET", `${A}/queues`, (ctx) => {
    const names = ctx.query.getAll("name");
    const queues = [...ctx.account.queues.values()].filter((q) => names.length === 0 || names.includes(q.queue_name));
    return ok(queues, page(queues));
  });
  route("POST", `${A}/queues`, (ctx) => {
    const { queue_name: name } = jsonBody(ctx);
    if (typeof name !== "string" || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) {
      throw new ApiError(400, 11002, `Queue name "${String(name)}" is invalid: lowercase letters, digits and dashes, at most 63`);
    }
    if ([...ctx.account.queues.values()].some((q) => q.queue_name === name))
      throw new ApiError(409, 11009, "A queue with this name already exists");
    const queue: Queue = {
      queue_id: randomBytes(16).toString("hex"),
      queue_name: name,
      created_on: now(),
      modified_on: now(),
      consumers: [],
    };
    ctx.account.queues.set(queue.queue_id, queue);
    return ok(queue);
  });
  route("GET", `${A}/queues/:queue`, (ctx) => ok(findQueue(ctx.account, ctx.params.queue!)));
  route("POST", `${A}/queues/:queue/consumers`, (ctx) => {
    const queue = findQueue(ctx.account, ctx.params.queue!);
    const consumer = consumerOf(ctx.account, jsonBody(ctx), randomBytes(16).toString("hex"));
    if (queue.consumers.some((c) => c.script === consumer.script))
      throw new ApiError(409, 11004, "This Worker already consumes this queue");
    queue.consumers.push(consumer);
    return ok(consumer);
  });
  route("PUT", `${A}/queues/:queue/consumers/:consumer`, (ctx) => {
    const queue = findQueue(ctx.account, ctx.params.queue!);
    const index = queue.consumers.findIndex((c) => c.consumer_id === ctx.params.consumer);
    if (index < 0) throw new ApiError(404, 11005, "Consumer does not exist");
    const consumer = consumerOf(ctx.account, jsonBody(ctx), ctx.params.consumer!);
    queue.consumers[index] = consumer;
    return ok(consumer);
  });

  // Workers: the account's workers.dev subdomain
  route("GET", `${A}/workers/subdomain`, (ctx) => {
    if (!ctx.account.subdomain) throw new ApiError(404, 10007, "This subdomain does not exist");
    return ok({ subdomain: ctx.account.subdomain });
  });
  route("PUT", `${A}/workers/subdomain`, (ctx) => {
    const { subdomain } = jsonBody(ctx);
    if (typeof subdomain !== "string" || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(subdomain)) {
      throw new ApiError(400, 10032, `Invalid subdomain ${JSON.stringify(subdomain)}`);
    }
    ctx.account.subdomain = subdomain;
    return ok({ subdomain });
  });
  route("GET", `${A}/workers/subdomains/:name`, () => ok({ available: true }));

  // Workers: scripts
  route("GET", `${A}/workers/services/:name`, (ctx) => {
    const script = ctx.account.scripts.get(ctx.params.name!);
    if (!script) throw new ApiError(404, 10090, "This Worker does not exist on your account.");
    return ok({
      id: script.name,
      default_environment: {
        environment: "production",
        created_on: script.createdOn,
        modified_on: latestVersion(script)?.createdOn ?? script.createdOn,
        script: {
          id: script.name,
          tag: `tag-${script.name}`,
          etag: `etag-${latestVersion(script)?.id ?? "none"}`,
          handlers: ["fetch", "scheduled"],
          last_deployed_from: "wrangler",
          migration_tag: script.migrationTag,
        },
      },
      created_on: script.createdOn,
      modified_on: script.createdOn,
    });
  });
  route("GET", `${A}/workers/workers/:name`, (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    return ok({
      id: `worker-${script.name}`,
      name: script.name,
      subdomain: { enabled: script.subdomainEnabled, previews_enabled: script.previewsEnabled },
      observability: { enabled: false },
      logpush: false,
      tags: [],
      tail_consumers: [],
      created_on: script.createdOn,
      updated_on: latestVersion(script)?.createdOn ?? script.createdOn,
    });
  });
  route("PUT", `${A}/workers/scripts/:name`, async (ctx) => {
    const name = ctx.params.name!;
    const existed = ctx.account.scripts.get(name);
    const script = existed ?? newScript(ctx.account, name);
    let version: WorkerVersion;
    try {
      version = await upload(ctx, script, "script-upload");
    } catch (error) {
      if (!existed) ctx.account.scripts.delete(name);
      throw error;
    }
    const metadata = version.metadata ?? {};
    // `wrangler secret put` on a missing Worker uploads this placeholder first.
    if (
      !existed &&
      version.modules.length === 1 &&
      /^export default \{ fetch\(\) \{\} \}\s*$/.test(version.modules[0]!.content.toString())
    ) {
      script.placeholder = true;
      ctx.account.anomalies.push(`#${ctx.rec.seq}: a placeholder Worker "${name}" was created (wrangler secret put on a missing Worker)`);
    }
    return ok({
      id: name,
      etag: `etag-${version.id}`,
      handlers: ["fetch", "scheduled"],
      modified_on: version.createdOn,
      created_on: script.createdOn,
      usage_model: "standard",
      compatibility_date: metadata.compatibility_date,
      has_assets: version.assets !== undefined,
      has_modules: true,
      deployment_id: version.id,
      startup_time_ms: 5,
    });
  });
  route("GET", `${A}/workers/scripts/:name/settings`, (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    const v = latestVersion(script);
    return ok({
      bindings: (v?.bindings ?? []).map(shown),
      compatibility_date: v?.compatibilityDate,
      compatibility_flags: v?.compatibilityFlags ?? [],
      logpush: false,
      observability: { enabled: false },
      placement: {},
      tail_consumers: [],
      usage_model: "standard",
      tags: [],
    });
  });
  route("PATCH", `${A}/workers/scripts/:name/settings`, async (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    const form = await formOf(ctx);
    const part = form.get("settings");
    const settings = JSON.parse(typeof part === "string" ? part : ((await part?.text()) ?? "{}")) as Record<string, any>;
    if (settings.bindings === undefined) return ok({ bindings: (latestVersion(script)?.bindings ?? []).map(shown) });
    const latest = latestVersion(script);
    if (!latest) throw WORKER_MISSING();
    const mainModule = latest.modules.find((m) => m.name === latest.mainModule)!;
    const bindings = resolveBindings(ctx.account, script, { ...settings, keep_bindings: [] }, script.durableObjectClasses, mainModule);
    for (const b of settings.bindings) {
      if (SECRET_TYPES.has(b.type) && typeof b.text === "string") {
        ctx.account.secretWrites.push({ seq: ctx.rec.seq, script: script.name, name: b.name, text: b.text, via: "settings" });
      }
    }
    const version: WorkerVersion = {
      ...latest,
      id: randomUUID(),
      number: script.versions.length + 1,
      createdOn: now(),
      via: "settings",
      bindings,
    };
    script.versions.push(version);
    deploy(script, version, "settings");
    return ok({ bindings: bindings.map(shown) });
  });
  route("GET", `${A}/workers/scripts/:name/script-settings`, (ctx) => {
    scriptOf(ctx.account, ctx.params.name!);
    return ok({ logpush: false, tail_consumers: null, observability: { enabled: false }, tags: [] });
  });
  route("PATCH", `${A}/workers/scripts/:name/script-settings`, (ctx) => {
    scriptOf(ctx.account, ctx.params.name!);
    const body = jsonBody(ctx);
    return ok({ logpush: false, tail_consumers: null, observability: body.observability ?? { enabled: false }, tags: body.tags ?? [] });
  });
  route("POST", `${A}/workers/scripts/:name/versions`, async (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    const version = await upload(ctx, script, "version-upload");
    return ok(versionView(script, version));
  });
  route("GET", `${A}/workers/scripts/:name/versions`, (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    const items = [...script.versions].reverse().map((v) => versionView(script, v));
    return ok({ items }, page(items));
  });
  route("GET", `${A}/workers/scripts/:name/versions/:version`, (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    const version = script.versions.find((v) => v.id === ctx.params.version);
    if (!version) throw new ApiError(404, 10217, `No version ${ctx.params.version}`);
    return ok(versionView(script, version));
  });
  route("POST", `${A}/workers/scripts/:name/deployments`, (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    const body = jsonBody(ctx);
    const versions: { version_id: string; percentage: number }[] = body.versions ?? [];
    if (versions.reduce((sum, v) => sum + v.percentage, 0) !== 100)
      throw new ApiError(400, 10218, "Version percentages must add up to 100");
    for (const v of versions) {
      if (!script.versions.some((x) => x.id === v.version_id)) throw new ApiError(400, 10217, `No version ${v.version_id}`);
    }
    const deployment: WorkerDeployment = {
      id: randomUUID(),
      createdOn: now(),
      source: "wrangler",
      strategy: body.strategy ?? "percentage",
      versions,
      annotations: body.annotations,
    };
    script.deployments.push(deployment);
    return ok(deploymentView(deployment));
  });
  route("GET", `${A}/workers/scripts/:name/deployments`, (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    return ok({ deployments: [...script.deployments].reverse().map(deploymentView) });
  });
  route("GET", `${A}/workers/scripts/:name/subdomain`, (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    return ok({ enabled: script.subdomainEnabled, previews_enabled: script.previewsEnabled });
  });
  route("POST", `${A}/workers/scripts/:name/subdomain`, (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    const body = jsonBody(ctx);
    script.subdomainEnabled = body.enabled === true;
    script.previewsEnabled = body.previews_enabled ?? script.previewsEnabled;
    return ok({ enabled: script.subdomainEnabled, previews_enabled: script.previewsEnabled });
  });
  route("GET", `${A}/workers/scripts/:name/schedules`, (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    return ok({ schedules: script.schedules.map((s) => ({ ...s, created_on: script.createdOn, modified_on: script.createdOn })) });
  });
  route("PUT", `${A}/workers/scripts/:name/schedules`, (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    const body = jsonBody(ctx);
    if (!Array.isArray(body) || body.some((s) => typeof s?.cron !== "string")) throw new ApiError(400, 10021, "Expected [{cron}]");
    script.schedules = body.map((s: { cron: string }) => ({ cron: s.cron }));
    return ok({ schedules: script.schedules.map((s) => ({ ...s, created_on: now(), modified_on: now() })) });
  });

  // Workers: secrets
  route("GET", `${A}/workers/scripts/:name/secrets`, (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    const secrets = (latestVersion(script)?.bindings ?? [])
      .filter((b) => SECRET_TYPES.has(b.type))
      .map((b) => ({ name: b.name, type: b.type }));
    return ok(secrets, page(secrets));
  });
  route("GET", `${A}/workers/scripts/:name/secrets/:secret`, (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    const name = decodeURIComponent(ctx.params.secret!);
    const secret = latestVersion(script)?.bindings.find((b) => SECRET_TYPES.has(b.type) && b.name === name);
    if (!secret) throw new ApiError(404, 10056, `Secret ${name} not found`);
    return ok({ name, type: secret.type });
  });
  route("PUT", `${A}/workers/scripts/:name/secrets`, (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    const body = jsonBody(ctx);
    if (typeof body.name !== "string" || typeof body.text !== "string" || body.type !== "secret_text") {
      throw new ApiError(400, 10021, "Expected {name, text, type: secret_text}");
    }
    changeSecrets(ctx, script, { [body.name]: body.text }, "secrets-api");
    return ok({ name: body.name, type: body.type });
  });
  route("DELETE", `${A}/workers/scripts/:name/secrets/:secret`, (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    changeSecrets(ctx, script, { [decodeURIComponent(ctx.params.secret!)]: null }, "secrets-api");
    return ok(null);
  });
  route("PATCH", `${A}/workers/scripts/:name/secrets-bulk`, (ctx) => {
    const script = scriptOf(ctx.account, ctx.params.name!);
    const { secrets } = jsonBody(ctx) as { secrets?: Record<string, { text: string } | null> };
    const changes = Object.fromEntries(Object.entries(secrets ?? {}).map(([name, s]) => [name, s === null ? null : s.text]));
    changeSecrets(ctx, script, changes, "secrets-bulk");
    return ok({ secrets: Object.keys(changes) });
  });

  // Workers: static assets
  route("POST", `${A}/workers/scripts/:name/assets-upload-session`, (ctx) => {
    const { manifest } = jsonBody(ctx) as { manifest?: Record<string, AssetManifestEntry> };
    if (!manifest || typeof manifest !== "object") throw new ApiError(400, 10021, "Expected {manifest}");
    for (const [p, entry] of Object.entries(manifest)) {
      if (!p.startsWith("/") || !/^[0-9a-f]{32}$/.test(entry.hash) || !Number.isInteger(entry.size)) {
        throw new ApiError(400, 10021, `Invalid manifest entry ${p}: ${JSON.stringify(entry)}`);
      }
    }
    const needed = [...new Set(Object.values(manifest).map((e) => e.hash))].filter((h) => !ctx.account.assets.has(h));
    const jwt = signJwt({ kind: "assets-upload-session", sid: randomUUID(), script: ctx.params.name });
    if (needed.length === 0) {
      completedAssets.set(jwt, manifest);
      return ok({ jwt, buckets: [] });
    }
    assetSessions.set(jwt, { script: ctx.params.name!, manifest, needed: new Set(needed) });
    const buckets: string[][] = [];
    for (let i = 0; i < needed.length; i += 20) buckets.push(needed.slice(i, i + 20));
    return ok({ jwt, buckets });
  });
  route(
    "POST",
    `${A}/workers/assets/upload`,
    async (ctx) => {
      const session = assetSessions.get(bearer(ctx.headers) ?? "");
      if (!session) throw new ApiError(401, 8000013, "Unauthorized: not an assets upload session JWT");
      if (ctx.query.get("base64") !== "true") throw new ApiError(400, 10021, "Expected ?base64=true");
      const form = await formOf(ctx);
      for (const [hash, value] of form.entries()) {
        if (typeof value === "string") throw new ApiError(400, 10021, `Part ${hash} is not a file`);
        if (!session.needed.has(hash)) throw new ApiError(400, 10021, `Hash ${hash} was not asked for`);
        const content = Buffer.from(await value.text(), "base64");
        const sizes = Object.values(session.manifest).filter((e) => e.hash === hash);
        if (!sizes.some((e) => e.size === content.length))
          throw new ApiError(400, 10021, `Asset ${hash}: ${content.length} bytes, not the manifest's size`);
        ctx.account.assets.set(hash, { content, type: value.type });
        session.needed.delete(hash);
      }
      if (session.needed.size > 0) return ok({ jwt: null }, {}, 202);
      session.completionJwt ??= signJwt({ kind: "assets-completion", sid: randomUUID() });
      completedAssets.set(session.completionJwt, session.manifest);
      return ok({ jwt: session.completionJwt }, {}, 201);
    },
    "assets",
  );

  route("GET", "/zones", () => ok([], page([])));
  // `wrangler r2 bucket info` asks GraphQL analytics for the bucket's size: an empty series.
  route("POST", "/graphql", (ctx) => {
    const { operationName } = jsonBody(ctx);
    if (operationName !== "getR2StorageMetrics")
      throw new ApiError(400, 10000, `GraphQL operation ${String(operationName)} is not stubbed`);
    return { status: 200, body: { data: { viewer: { accounts: [{ r2StorageAdaptiveGroups: [] }] } }, errors: null } };
  });

  // -- Dispatch ----------------------------------------------------------------------------------

  const bearer = (headers: IncomingMessage["headers"]) => /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1];

  const handle = async (method: string, rawPath: string, ctxBase: Omit<Ctx, "params" | "account" | "path">): Promise<Reply> => {
    const prefix = "/client/v4";
    const apiPath = rawPath.startsWith(`${prefix}/`) ? rawPath.slice(prefix.length) : rawPath;
    ctxBase.rec.path = apiPath;
    const rule = failures.find((f) => f.remaining > 0 && f.method === method && f.path.test(apiPath));
    if (rule) {
      rule.remaining--;
      ctxBase.rec.injected = true;
      return failure(rule.status, rule.code, rule.message);
    }
    for (const r of routes) {
      if (r.method !== method) continue;
      const match = r.pattern.exec(r.auth === "none" ? rawPath : apiPath);
      if (!match) continue;
      if (r.auth !== "none" && !rawPath.startsWith(`${prefix}/`)) continue;
      const params = Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(match[i + 1]!)]));
      const token_ = bearer(ctxBase.headers);
      if (r.auth === "token") {
        if (token_ !== token) {
          ctxBase.rec.auth = token_ === undefined ? "none" : "bad";
          return failure(401, 10000, "Authentication error");
        }
        ctxBase.rec.auth = "token";
      } else if (r.auth === "assets") {
        ctxBase.rec.auth = token_ !== undefined && assetSessions.has(token_) ? "assets-jwt" : "bad";
      }
      let acc = account;
      if (params.account !== undefined) {
        const found = accounts.get(params.account);
        if (!found) return failure(403, 9109, `Unauthorized to access requested resource (account ${params.account})`);
        acc = found;
      }
      try {
        return await r.handler({ ...ctxBase, path: apiPath, params, account: acc });
      } catch (error) {
        if (error instanceof ApiError) return failure(error.status, error.code, error.message);
        throw error;
      }
    }
    ctxBase.rec.unstubbed = true;
    return failure(404, 10000, `not stubbed: ${method} ${apiPath}`);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const target = req.url ?? "/";
      if (/^[a-z]+:\/\//i.test(target)) {
        // A proxy request (absolute URL): something tried to reach another host.
        outbound.push({ method: req.method ?? "?", target });
        res.writeHead(403, { "content-type": "text/plain" }).end("The deploy tests allow no outbound connection\n");
        return;
      }
      const raw = Buffer.concat(chunks);
      const url = new URL(target, "http://127.0.0.1");
      const contentType = req.headers["content-type"] ?? "";
      const rec: RecordedRequest = {
        seq: requests.length + 1,
        method: req.method ?? "GET",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        contentType,
        auth: "none",
        status: 0,
        response: undefined,
      };
      requests.push(rec);
      let reply: Reply;
      try {
        if (contentType.startsWith("multipart/form-data")) {
          rec.parts = await recordParts(await new Response(new Uint8Array(raw), { headers: { "content-type": contentType } }).formData());
        } else if (raw.length > 0) {
          const text = raw.toString("utf8");
          try {
            rec.body = JSON.parse(text);
          } catch {
            rec.text = text.slice(0, 4096);
          }
        }
        reply = await handle(rec.method, url.pathname, {
          method: rec.method,
          query: url.searchParams,
          headers: req.headers,
          raw,
          contentType,
          rec,
        });
      } catch (error) {
        rec.crashed = true;
        reply = failure(500, 10013, `stand-in error: ${(error as Error).stack ?? String(error)}`);
      }
      rec.status = reply.status;
      rec.response = reply.body;
      const payload = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, { "content-type": typeof reply.body === "string" ? "text/plain" : "application/json", ...reply.headers });
      res.end(payload);
    });
  });
  // HTTPS through the proxy: CONNECT host:443.
  server.on("connect", (req, socket) => {
    outbound.push({ method: "CONNECT", target: req.url ?? "?" });
    socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  const api: CloudflareApi = {
    baseUrl: `${origin}/client/v4`,
    accountId,
    token,
    requests,
    outbound,
    state: { accounts },
    account,
    env: () => ({
      CLOUDFLARE_API_BASE_URL: `${origin}/client/v4`,
      CLOUDFLARE_API_TOKEN: token,
      CLOUDFLARE_ACCOUNT_ID: accountId,
      HTTP_PROXY: origin,
      HTTPS_PROXY: origin,
      http_proxy: origin,
      https_proxy: origin,
      NO_PROXY: "127.0.0.1,localhost",
      no_proxy: "127.0.0.1,localhost",
    }),
    failNext: (method, pathPattern, opts = {}) => {
      failures.push({
        method,
        path: pathPattern,
        status: opts.status ?? 500,
        code: opts.code ?? 10013,
        message: opts.message ?? "An unknown error has occurred (injected by the test)",
        remaining: opts.times ?? 1,
      });
    },
    clearFailures: () => {
      failures = [];
    },
    unstubbed: () => requests.filter((r) => r.unstubbed),
    databaseByName,
    script: (name) => account.scripts.get(name),
    deployedVersion: (name) => {
      const script = account.scripts.get(name);
      return script && deployedVersionOf(script);
    },
    secrets: (name) => {
      const script = account.scripts.get(name);
      const bindings = (script && latestVersion(script)?.bindings) ?? [];
      return Object.fromEntries(bindings.filter((b) => SECRET_TYPES.has(b.type)).map((b) => [b.name, String(b.text)]));
    },
    log: (from = 0) => formatRequests(requests.slice(from)),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const acc of accounts.values()) for (const db of acc.d1.values()) if (db.sqlite.isOpen) db.sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return api;
};

/** Masks secret values in a recorded body: secret_text bindings' and `PUT …/secrets` texts. */
const masked = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(masked);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    const secret = o.type === "secret_text" || o.type === "secret_key";
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, secret && k === "text" ? "«secret»" : masked(v)]));
  }
  return value;
};

/** One line per request (and the error of a failed one): `#12 POST /accounts/…/d1/database → 200 {"name":"x"}`. */
const formatRequests = (requests: readonly RecordedRequest[]) =>
  requests
    .map((r) => {
      const query = new URLSearchParams(r.query).toString();
      let body = "";
      if (r.parts) {
        const metadata = r.parts.find((p) => p.name === "metadata")?.json;
        body = ` multipart[${r.parts.map((p) => p.name).join(",")}]${metadata ? ` metadata=${JSON.stringify(masked(metadata)).slice(0, 400)}` : ""}`;
      } else if (r.body !== undefined) body = ` ${JSON.stringify(masked(r.body)).slice(0, 300)}`;
      const errors = (r.response as { errors?: { code: number; message: string }[] } | undefined)?.errors;
      const error =
        r.status >= 400 && errors?.length
          ? ` ! ${errors
              .map((e) => `${e.code} ${e.message}`)
              .join("; ")
              .slice(0, 300)}`
          : "";
      return `#${r.seq} ${r.method} ${r.path}${query ? `?${query}` : ""} → ${r.status}${r.injected ? " (injected)" : ""}${body.replaceAll("\n", "\\n")}${error}`;
    })
    .join("\n");
