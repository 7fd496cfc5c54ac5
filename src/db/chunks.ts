/**
 * D1 and Durable Object SQLite refuse a statement that binds more than 100 parameters ("too many
 * SQL variables"). Every variable-length list bound into SQL (`IN (…)`, multi-row inserts) is
 * split with `chunked`, each caller sizing its chunks as `MAX_BOUND_PARAMETERS` minus the other
 * parameters its statement binds.
 */
export const MAX_BOUND_PARAMETERS = 100;

/** @example chunked([1, 2, 3], 2) // [[1, 2], [3]]; chunked([], 2) // [] */
export const chunked = <T>(items: readonly T[], size: number): T[][] => {
  // A zero or fractional size would never finish (or drop items): a caller's arithmetic bug.
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
};
