/**
 * Recognizes constraint failures that D1 reports as plain errors (Drizzle wraps them, keeping the
 * original as `cause`), so handlers can answer 409 or 404 instead of 500.
 */
const messagesOf = (e: unknown): string[] => {
  const out: string[] = [];
  for (let cur = e, depth = 0; cur instanceof Error && depth < 5; cur = cur.cause, depth++) out.push(cur.message);
  return out;
};

/** @example isUniqueViolation(err) // true for "UNIQUE constraint failed: users.application_id, users.name" */
export const isUniqueViolation = (e: unknown) => messagesOf(e).some((m) => m.includes("UNIQUE constraint failed"));

/** A row referenced something deleted meanwhile (e.g. a message posted to a channel being deleted). */
export const isForeignKeyViolation = (e: unknown) =>
  messagesOf(e).some((m) => m.includes("FOREIGN KEY constraint failed"));
