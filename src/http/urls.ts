/**
 * URLs a client stores for other users' apps to load (a display picture, an external file). They
 * end up in other people's browsers as `src`/`href`, so only plain web addresses pass: no
 * `javascript:` or `data:` URL, no cleartext http except to the viewer's own machine (development),
 * no text a parser or a reader could take two ways.
 */
import { z } from "@hono/zod-openapi";
import { LIMITS } from "../config";
import { nonBlankString, nonEmptyString } from "./fields";
import { isWellFormedText } from "./text";

const MAX_URL_LENGTH = 2048;

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

// Whitespace, control and invisible format characters (bidi overrides) make a link read or parse
// differently elsewhere; backslashes are read as slashes by browsers only.
const AMBIGUOUS = /[\s\p{Cc}\p{Cf}\\]/u;

// Only `scheme://host…`: WHATWG parsers also accept `https:host` and repair it, other clients may not.
const PLAIN_FORM = /^https?:\/\//i;

const parse = (s: string): URL | undefined => {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
};

/**
 * True for an absolute `https:` URL (or `http:` to localhost) of at most 2048 characters, without
 * credentials (every viewer would send them) or ambiguous characters.
 * @example isSafePublicUrl("https://cdn.example.com/a.png") // true
 * @example isSafePublicUrl("javascript:alert(1)") // false
 */
const isSafePublicUrl = (s: string): boolean => {
  if (s.length > MAX_URL_LENGTH || !isWellFormedText(s) || AMBIGUOUS.test(s) || !PLAIN_FORM.test(s)) return false;
  const url = parse(s);
  if (url?.username !== "" || url.password !== "") return false;
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname));
};

const safeUrlRule = (field: string) => `${field} must be an absolute https URL (http only for localhost)`;

/** A request field holding such a URL. @example safeUrl("file.url") */
const safeUrl = (field: string) =>
  nonEmptyString(field, MAX_URL_LENGTH)
    .refine(isSafePublicUrl, safeUrlRule(field))
    .openapi({ format: "uri", description: "https (http only for localhost), at most 2048 characters" });

/** A stored URL a client may also clear: `""` or null clears it, anything else must pass `safeUrl`'s rule. */
export const clearableSafeUrl = (field: string) =>
  z
    .string({ error: `${field} must be a string` })
    .refine((s) => s === "" || isSafePublicUrl(s), safeUrlRule(field))
    .nullable()
    .optional();

/** RFC 6838 type/subtype names, optionally followed by parameters (`text/plain; charset=utf-8`). */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;\s*[^\s;=]+=[^;]*)*$/;

/** The fields of a file hosted elsewhere, each error naming its field as `<prefix><name>`. */
export const externalFileFields = (prefix: string) => ({
  url: safeUrl(`${prefix}url`).openapi({ example: "https://example.com/files/report.pdf" }),
  name: nonBlankString(`${prefix}name`, LIMITS.nameLength).openapi({ example: "report.pdf" }),
  contentType: nonEmptyString(`${prefix}contentType`, LIMITS.nameLength)
    .refine((s) => MEDIA_TYPE.test(s), `${prefix}contentType must be a media type such as image/png`)
    .openapi({ example: "application/pdf" }),
  size: z
    .number({ error: (issue) => (issue.input === undefined ? `${prefix}size is required` : `${prefix}size must be a number`) })
    .int(`${prefix}size must be an integer`)
    .min(0, `${prefix}size must not be negative`)
    .refine(Number.isSafeInteger, `${prefix}size is too large`)
    .openapi({ description: "Bytes", example: 1024 }),
});
