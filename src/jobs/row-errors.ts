import { z } from "@hono/zod-openapi";
import type { RowError } from "../db/schema";

/** A row error as the job reports it: the row's index in the file and the first broken rule. */
export const rowError = (row: number, e: unknown): RowError => {
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

/** Row errors a chunk keeps: enough to find what is wrong with a file, bounded for D1's row size. */
export const MAX_ERRORS_PER_CHUNK = 20;
