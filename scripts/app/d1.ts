/**
 * The CLI's database: a Drizzle client (`drizzle-orm/sqlite-proxy`) over src/db/schema.ts whose
 * statements run through `wrangler d1 execute`, against the local D1 of `npm run dev` or, with
 * `--remote`, the deployed one. Statements are built by Drizzle's query builder; since
 * `d1 execute --command` binds no parameters, each `?` is replaced by a SQL literal
 * (`sqlLiteral`, the one quoting rule) before the statements go to wrangler.
 *
 * Run several statements with `db.batch([...])`: one `d1 execute` call, whose statements D1 runs
 * as one batch (all or nothing). Each statement run on its own costs a wrangler start-up.
 * @example const { db } = openDatabase(values, usage)
 * @example const [, rows] = await db.batch([db.update(t).set(…), db.select().from(t)])
 */
import { drizzle, type SqliteRemoteDatabase } from "drizzle-orm/sqlite-proxy";
import { CliError, applyLocalMigrations, d1Execute, sqlString } from "../lib.mjs";
import { UsageError, type Values } from "./cli.ts";

type Method = "run" | "all" | "values" | "get";

interface Statement {
  sql: string;
  params: unknown[];
  method: Method;
}

/**
 * A parameter as a SQLite literal. Drizzle has already mapped values to what the driver stores
 * (booleans to 0/1, `timestamp_ms` dates to numbers); strings go through lib.mjs `sqlString`,
 * which refuses control characters and unpaired surrogates rather than escaping them.
 * @example sqlLiteral("it's") // "'it''s'"
 */
const sqlLiteral = (value: unknown): string => {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "string") return sqlString(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`SQL parameter is not a finite number: ${value}`);
    return String(value);
  }
  if (typeof value === "bigint") return String(value);
  if (typeof value === "boolean") return value ? "1" : "0";
  throw new TypeError(`SQL parameter of an unsupported type: ${Object.prototype.toString.call(value)}`);
};

/**
 * `sql` with each `?` placeholder replaced by the literal of the next parameter. Placeholders
 * are looked for outside string literals ('…'), quoted identifiers ("…", `…`, […]) and comments.
 * @example inlineParams(`select "id" from "t" where "k" = ?`, ["a'b"]) // `… where "k" = 'a''b'`
 */
const inlineParams = (sql: string, params: readonly unknown[]): string => {
  const closers: Record<string, string> = { "'": "'", '"': '"', "`": "`", "[": "]" };
  let out = "";
  let next = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const closer = closers[c];
    let end: number;
    if (closer !== undefined) {
      // A doubled quote inside a literal or identifier is an escaped quote: the scan continues.
      end = sql.indexOf(closer, i + 1);
      while (end !== -1 && closer !== "]" && sql[end + 1] === closer) end = sql.indexOf(closer, end + 2);
      end = end === -1 ? sql.length : end + 1;
    } else if (sql.startsWith("--", i)) {
      end = sql.indexOf("\n", i);
      end = end === -1 ? sql.length : end + 1;
    } else if (sql.startsWith("/*", i)) {
      end = sql.indexOf("*/", i + 2);
      end = end === -1 ? sql.length : end + 2;
    } else if (c === "?") {
      if (/[0-9A-Za-z_$:@]/.test(sql[i + 1] ?? "")) throw new Error(`only anonymous "?" placeholders are supported: ${sql}`);
      if (next >= params.length) throw new Error(`more placeholders than parameters (${params.length}): ${sql}`);
      out += sqlLiteral(params[next++]);
      i += 1;
      continue;
    } else {
      end = i + 1;
    }
    out += sql.slice(i, end);
    i = end;
  }
  if (next !== params.length) throw new Error(`${params.length} parameters for ${next} placeholders: ${sql}`);
  return out;
};

/**
 * Rows as the proxy driver expects them: arrays of column values in select order. wrangler
 * reports rows as objects keyed by column name, which keep that order as long as the names are
 * distinct and not array indexes ("0", "1", …): true of every statement Drizzle builds here.
 */
const rowsOf = (results: unknown, method: Method): unknown[] | undefined => {
  const rows = (Array.isArray(results) ? results : []).map((row: Record<string, unknown>) => Object.values(row));
  return method === "get" ? rows[0] : rows;
};

/**
 * Where statements run: a deployed database (of the top-level Worker, or of a wrangler
 * environment), or a local one (wrangler's default folder, or `persistTo`).
 */
type Target = { remote: true; env: string | undefined } | { remote: false; persistTo: string | undefined };

const execute = (statements: readonly Statement[], target: Target): { rows: unknown[] }[] => {
  const sql = statements.map(({ sql, params }) => inlineParams(sql, params)).join(";\n");
  const results: unknown[] = d1Execute(sql, target);
  if (results.length !== statements.length) {
    throw new CliError(`wrangler d1 execute answered ${results.length} results for ${statements.length} statements`);
  }
  return statements.map(({ method }, i) => {
    const result = results[i] as { results?: unknown } | undefined;
    // A `get` of no row is undefined (Drizzle maps it to undefined), not an empty array.
    return { rows: rowsOf(result?.results, method) as unknown[] };
  });
};

export interface Database {
  db: SqliteRemoteDatabase;
  remote: boolean;
  /** How messages name the database: "local D1" or "remote D1". */
  where: string;
}

/**
 * The database that `--remote` / `--local` (the default) picks; the local one gets pending
 * migrations applied first, as `npm run dev` would.
 */
export const openDatabase = (values: Values, usage: string): Database => {
  if (values.remote && values.local) throw new UsageError("--local and --remote cannot be combined", usage);
  const persistTo = typeof values["persist-to"] === "string" ? values["persist-to"] : undefined;
  const env = typeof values.env === "string" ? values.env : undefined;
  if (values.remote && persistTo !== undefined) throw new UsageError("--persist-to names a local database: not with --remote", usage);
  if (!values.remote && env !== undefined) throw new UsageError("--env names a deployed database: use it with --remote", usage);
  const remote = values.remote === true;
  const target: Target = remote ? { remote, env } : { remote, persistTo };
  if (!remote) applyLocalMigrations({ persistTo });
  const db = drizzle(
    async (sql, params, method) => execute([{ sql, params, method }], target)[0]!,
    async (batch) => execute(batch, target),
  );
  return { db, remote, where: remote ? `remote D1${env ? ` (${env})` : ""}` : "local D1" };
};
