/**
 * Recognizes failures of the platform's storage that arrive as plain errors: constraint failures
 * that D1 reports (so handlers can answer 409 or 404 instead of 500), and transient failures of
 * D1, R2 and Durable Objects (answered 503 with Retry-After: the same request may well succeed in a
 * moment). Drizzle wraps D1 errors, keeping the original as `cause`, so each walks the chain.
 */
const chainOf = (e: unknown): Error[] => {
  const out: Error[] = [];
  for (let cur = e, depth = 0; cur instanceof Error && depth < 5; cur = cur.cause, depth++) out.push(cur);
  return out;
};

const messagesOf = (e: unknown): string[] => chainOf(e).map((err) => err.message);

/** @example isUniqueViolation(err) // true for "UNIQUE constraint failed: users.application_id, users.name" */
export const isUniqueViolation = (e: unknown) => messagesOf(e).some((m) => m.includes("UNIQUE constraint failed"));

/** A row referenced something deleted meanwhile (e.g. a message posted to a channel being deleted). */
export const isForeignKeyViolation = (e: unknown) => messagesOf(e).some((m) => m.includes("FOREIGN KEY constraint failed"));

/**
 * What Cloudflare's documentation tells callers to retry. D1 runs on a Durable Object, so D1 and
 * Durable Objects share most messages ("D1 DB is overloaded…", "Durable Object is overloaded…").
 */
const TRANSIENT_MESSAGES = [
  /Network connection lost/i,
  /reset because its code was updated/i,
  // "Internal error in D1 DB storage caused object to be reset", "…storage operation exceeded
  // timeout which caused object to be reset", "Internal error while starting up … storage caused…"
  /caused object to be reset/i,
  /due to transient issue on remote node/i,
  /\bis overloaded\b/i,
  // D1's unexplained failure ("D1_ERROR: internal error; reference = …").
  /\bD1_ERROR\b.*\binternal error\b/i,
  // R2 through the Workers API: the code ends the message ("put: … (10001)"). 10001 internal
  // error, 10043 temporarily unavailable, 10058 too many concurrent requests on one object.
  /We encountered an internal error\. Please try again/i,
  /\((?:10001|10043|10058)\)\s*$/,
];

/** Durable Object infrastructure errors say what they are as properties (retryable, overloaded). */
const flagged = (e: Error) => {
  const { retryable, overloaded } = e as { retryable?: unknown; overloaded?: unknown };
  return retryable === true || overloaded === true;
};

/**
 * A failure of D1, R2 or a Durable Object that says nothing about the request: the platform was
 * briefly unable to serve it. Constraint violations, bad input and bugs are not transient.
 * @example isTransientError(new Error("D1_ERROR: D1 DB is overloaded. Requests queued for too long.")) // true
 */
export const isTransientError = (e: unknown) =>
  chainOf(e).some((err) => flagged(err) || TRANSIENT_MESSAGES.some((re) => re.test(err.message)));
