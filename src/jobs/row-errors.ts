import { z } from "@hono/zod-openapi";
import { importedKeys } from "../chat/queries/import-keys";
import { LIMITS } from "../config";
import type { Db } from "../db/client";
import type { ImportKind, RowError } from "../db/schema";
import { nonEmptyString } from "../http/fields";

/**
 * A record's JSON text at most: what a request body may carry (1 MiB), which also keeps every row
 * it makes within D1's 2 MB row limit.
 */
const MAX_RECORD_CHARS = 1024 * 1024;

class RecordTooLarge extends Error {}

/** Refuses a record larger than MAX_RECORD_CHARS, before any rule reads it. */
const requireRecordSize = (row: unknown) => {
  if ((JSON.stringify(row)?.length ?? 0) > MAX_RECORD_CHARS) {
    throw new RecordTooLarge(`a record must be at most ${MAX_RECORD_CHARS} characters of JSON`);
  }
};

/** A row error as the job reports it: the row's index in the file and the first broken rule. */
const rowError = (row: number, e: unknown): RowError => {
  if (e instanceof RecordTooLarge) return { row, message: e.message };
  if (e instanceof z.ZodError) {
    const issue = e.issues[0];
    const path = issue?.path.join(".");
    return {
      row,
      message: issue ? (path && !issue.message.startsWith(path) ? `${path}: ${issue.message}` : issue.message) : "invalid row",
    };
  }
  throw e;
};

/**
 * Reads a chunk's rows: each one `read` accepts (at its index in the file), and a row error for
 * each one it refuses or that is too large.
 */
export const readRecords = <T>(rows: unknown[], first: number, read: (row: number, value: unknown) => T) => {
  const records: T[] = [];
  const errors: RowError[] = [];
  rows.forEach((value, i) => {
    try {
      requireRecordSize(value);
      records.push(read(first + i, value));
    } catch (e) {
      errors.push(rowError(first + i, e));
    }
  });
  return { records, errors };
};

/** Row errors a chunk keeps: enough to find what is wrong with a file, bounded for D1's row size. */
export const MAX_ERRORS_PER_CHUNK = 20;

/** Every import record's optional `idempotencyKey` (ChatKitty's: a value the client makes up, unique per kind). */
export const idempotencyKey = nonEmptyString("idempotencyKey", LIMITS.nameLength).optional();

/**
 * Asks, for a row that passed every rule, whether it is to be skipped for its key: one the
 * application imported already (for this kind), or one an earlier row of the chunk took.
 */
export const keyedSkipper = async (db: Db, applicationId: number, kind: ImportKind, keys: (string | undefined)[]) => {
  const taken = await importedKeys(
    db,
    applicationId,
    kind,
    keys.filter((k): k is string => k !== undefined),
  );
  return (key: string | undefined) => {
    if (key === undefined) return false;
    if (taken.has(key)) return true;
    taken.add(key);
    return false;
  };
};
