/**
 * Text is stored exactly as sent, or refused (contract §1). JSON's `\u` escapes can spell a lone
 * UTF-16 surrogate (`"\ud800"`), which has no UTF-8 form: D1 would store U+FFFD in its place, so
 * different inputs would become the same name. Every transport that takes JSON refuses such
 * strings before anything is written; this module finds them.
 */

// In a `u` regex a lone surrogate is a code point of its own (category Cs) and a pair is one
// astral code point: this is `String#isWellFormed`, which the project's ES2023 lib does not declare.
const LONE_SURROGATE = /\p{Cs}/u;

/** False for a string with a lone surrogate. @example isWellFormedText("\ud83d\ude00") // true */
export const isWellFormedText = (s: string): boolean => !LONE_SURROGATE.test(s);

/** The dotted path of a key or index: the key itself, escaped when it is ill-formed so the path stays printable. */
const segment = (key: string): string => (isWellFormedText(key) ? key : JSON.stringify(key).slice(1, -1));

const join = (path: string, key: string) => (path === "" ? key : `${path}.${key}`);

/** Only what JSON can produce is walked: form data's `File` objects and other class instances are left alone. */
const isPlainObject = (value: object): value is Record<string, unknown> => {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * The dotted path of the first string (value or object key, at any depth) that is not
 * well-formed UTF-16: `""` for the value itself, undefined when all text is well-formed.
 * Iterative, so a deeply nested body cannot overflow the stack.
 * @example illFormedTextPath({ properties: { a: ["ok", "\ud800"] } }) // "properties.a.1"
 * @example illFormedTextPath({ properties: { "\udbff": 1 } }) // "properties.\\udbff"
 */
export const illFormedTextPath = (value: unknown): string | undefined => {
  const pending: [unknown, string][] = [[value, ""]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [current, path] = next;
    if (typeof current === "string") {
      if (!isWellFormedText(current)) return path;
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) pending.push([current[i], join(path, String(i))]);
    } else if (typeof current === "object" && current !== null && isPlainObject(current)) {
      const keys = Object.keys(current);
      // Each key is checked (as a string of its own) just before its value.
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        pending.push([current[key], join(path, key)], [key, join(path, segment(key))]);
      }
    }
  }
  return undefined;
};
