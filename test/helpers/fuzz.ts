/**
 * What the property-based abuse suites (fast-check, test/abuse/*.fuzz.test.ts) share, HTTP and
 * chat sessions alike: the time a fuzzing test may take and the generic generators (each suite's
 * helper picks its own odd values).
 */
import fc from "fast-check";

/** Each fuzzing test runs its bounded number of runs well within this. */
export const TIMEOUT = 60_000;

export const safeStringify = (v: unknown) => {
  try {
    return JSON.stringify(v) ?? "null";
  } catch {
    return "{}";
  }
};

export const plausibleName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }),
);

/** Strings every suite tries where a specific value is expected: empty, blank, too long, NUL, other enum values. */
export const ODD_STRINGS = ["", " ", "x".repeat(256), "x".repeat(10_001), "\u0000", "OPEN", "PUBLIC", "PRIVATE", "DIRECT", "TEXT", "FILE"];

/** Values of every JSON kind for a field that expects something specific, and the given strings. */
export const oddValues = (...strings: string[]) =>
  fc.oneof(
    fc.string(),
    fc.string({ unit: "grapheme", maxLength: 20 }),
    fc.constantFrom(...strings),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.jsonValue(),
  );

/** `mostly(plausible)`: three times in four a plausible value, else one of `odd`. */
export const mostlyOr =
  <U>(odd: fc.Arbitrary<U>) =>
  <T>(plausible: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 1, arbitrary: odd });
