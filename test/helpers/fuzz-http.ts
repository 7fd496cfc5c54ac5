/**
 * The HTTP abuse suites' world and tools (api.fuzz, token.fuzz and stream.fuzz): an application
 * with one of everything plus another application to aim at, generators of hostile requests
 * (ids, query strings, JSON and bytes under any content type, credentials, Accept headers), and
 * `send` + `expectSaneAnswer`: never a 5xx, every error the contract's JSON error body.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import type { ExpectStatic } from "vitest";
import { signGrant, currentSigningKey } from "../../src/auth/tokens";
import { ErrorResponseBody } from "../../src/http/responses";
import { fetchWorker, ORIGIN, setup, tokenFor } from "./api";
import { isIsoUtc } from "./checks";
import { mostlyOr, ODD_STRINGS, oddValues, safeStringify } from "./fuzz";

/** Runs per property: bounded, so each file stays well under a minute. */
export const RUNS = 100;

// ── the world each test fuzzes ───────────────────────────────────────────────────────────────

/** An application with one of everything, and another application to aim at. */
export const makeFixture = async () => {
  const mine = await setup();
  const theirs = await setup();
  const [user, user2, theirUser] = await Promise.all([mine.createUser(), mine.createUser(), theirs.createUser()]);
  const [pub, open, priv, theirChannel] = await Promise.all([
    mine.createChannel("PUBLIC", "public"),
    mine.createChannel("OPEN", "open"),
    mine.createChannel("PRIVATE", "private"),
    theirs.createChannel("PUBLIC", "theirs"),
  ]);
  const userHref = (id: number | string, appId = mine.app.id) => `${ORIGIN}/v1/applications/${appId}/users/${id}`;
  const direct = await mine.api.post(mine.urls.channels, { type: "DIRECT", members: [userHref(user.id), userHref(user2.id)] });
  if (direct.status !== 201) throw new Error(`direct: ${direct.status}`);
  const joined = await mine.api.post(`${mine.urls.channels}/${pub.id}/members`, { href: userHref(user.id) });
  if (joined.status !== 200) throw new Error(`member: ${joined.status}`);
  const message = await mine.api.post(`${mine.urls.channels}/${pub.id}/messages`, { body: "hello" });
  const theirMessage = await theirs.api.post(`${theirs.urls.channels}/${theirChannel.id}/messages`, { body: "theirs" });
  const challenge = await mine.api.post(`${mine.urls.users}/${user.id}/tokens`, {});
  if (message.status !== 201 || theirMessage.status !== 201 || challenge.status !== 201) throw new Error("fixture messages/token");
  const keys = await currentSigningKey(env.JWT_PRIVATE_KEY);
  const grantOptions = { issuer: env.TOKEN_ISSUER ?? "kitty-edge", ttlSeconds: 3600 };
  const grants = {
    write: await signGrant(keys, { applicationId: mine.app.id, userId: user.id, purpose: "file:write" }, grantOptions),
    read: await signGrant(keys, { applicationId: mine.app.id, userId: user.id, purpose: "file:read" }, grantOptions),
    foreign: await signGrant(keys, { applicationId: theirs.app.id, userId: theirUser.id, purpose: "file:write" }, grantOptions),
  };
  const token = await tokenFor(mine.app);
  return {
    mine,
    theirs,
    appId: mine.app.id,
    token,
    foreignToken: await tokenFor(theirs.app),
    ids: {
      app: mine.app.id,
      user: user.id as number,
      user2: user2.id as number,
      channels: { PUBLIC: pub.id as number, OPEN: open.id as number, PRIVATE: priv.id as number, DIRECT: direct.body.id as number },
      message: message.body.id as number,
      token: challenge.body.token as string,
    },
    foreign: {
      app: theirs.app.id,
      user: theirUser.id as number,
      channel: theirChannel.id as number,
      message: theirMessage.body.id as number,
    },
    userHref,
    grants,
  };
};
export type Fixture = Awaited<ReturnType<typeof makeFixture>>;

export const CHANNEL_TYPES = ["PUBLIC", "OPEN", "PRIVATE", "DIRECT"] as const;

// ── generators ───────────────────────────────────────────────────────────────────────────────

/** Percent-encodes every byte of the UTF-8 form except the unreserved characters. */
const pct = (s: string) =>
  Array.from(new TextEncoder().encode(s), (b) =>
    /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
  ).join("");

const weirdNumbers = fc.oneof(
  fc.constantFrom(
    "0",
    "-0",
    "-1",
    "1e3",
    "1.5",
    "0x10",
    "9007199254740991",
    "9007199254740993",
    "99999999999999999999",
    "1e400",
    "NaN",
    "Infinity",
    "-Infinity",
    "00001",
    " 1",
    "1 ",
    "+1",
    "٣",
    "１",
  ),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.double().map(String),
  fc.integer().map(String),
);

/** Strings that are not valid ids, or ids that name nothing. */
export const garbageId = fc.oneof(
  weirdNumbers,
  fc.string({ maxLength: 24 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom(
    "me",
    "..",
    ".",
    "%",
    "%zz",
    "%00",
    "%2F",
    "%E0%A4%A",
    "a/b",
    "?x=1",
    "#frag",
    "\\",
    "null",
    "undefined",
    "x".repeat(300),
  ),
);

/** A path segment in one of several spellings: percent-encoded, or raw for the URL parser to make sense of. */
export const segment = (arb: fc.Arbitrary<string>) => fc.tuple(arb, fc.boolean()).map(([s, encode]) => (encode ? pct(s) : s));

const queryKey = fc.oneof(
  fc.constantFrom("page", "size", "name", "direct", "members", "start", "relation", "next", "grant", "api_key", "page[]", "size[0]"),
  fc.string({ maxLength: 10 }),
);
const queryValue = fc.oneof(
  weirdNumbers,
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom(
    "",
    "%",
    "%zz",
    "%FF%FE",
    "%C0%AF",
    "true",
    "false",
    "TRUE",
    "1,2,3",
    "a,b,,c",
    ",".repeat(60),
    "x".repeat(3000),
    "SELF",
    "NEXT",
    "PREVIOUS",
    "MjAwMA",
    "eyJ4IjoxfQ",
  ),
);
/** A query string (without `?`): fast-check's web query, or key/value pairs, encoded or raw. */
export const queryString = fc.oneof(
  fc.webQueryParameters(),
  fc
    .array(fc.tuple(queryKey, queryValue, fc.boolean()), { maxLength: 6 })
    .map((pairs) =>
      pairs.map(([k, v, encode]) => (encode ? `${pct(k)}=${pct(v)}` : `${k.replace(/#/g, "%23")}=${v.replace(/#/g, "%23")}`)).join("&"),
    ),
);

/** Any JSON text, any value as JSON, and text that is almost JSON. */
export const anyJsonText = fc.oneof(
  fc.json(),
  fc.jsonValue().map(safeStringify),
  fc.anything().map(safeStringify),
  fc.string(),
  fc.constantFrom(
    "",
    " ",
    "{",
    "{}",
    "[]",
    "null",
    '{"a":1',
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{}}}',
    "\uFEFF{}",
    "1e999999",
  ),
);

/** Values for a field that expects something specific. */
export const weird = oddValues(...ODD_STRINGS, "\t\n", "\uD800");

/** Mostly a plausible value, sometimes anything. */
export const mostly = mostlyOr(weird);

export const jsonContentType = fc.constantFrom(
  "application/json",
  "application/hal+json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "application/vnd.x+json",
);
export const otherContentType = fc.oneof(
  fc.constantFrom(
    "text/plain",
    "application/octet-stream",
    "multipart/form-data",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data; boundary=",
    "application/x-www-form-urlencoded",
    "application/json; charset=utf-16",
    "application/jsonx",
    "",
    "*/*",
    ";",
  ),
  fc.string({ unit: "grapheme-ascii", maxLength: 40 }),
);

export type Body = { contentType?: string; data?: string | Uint8Array };

/** A request body: JSON-ish text with a JSON type, bytes with any type, or nothing. */
export const bodyOf = (nearValid: fc.Arbitrary<unknown>): fc.Arbitrary<Body> =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        contentType: jsonContentType,
        data: fc.oneof({ weight: 1, arbitrary: anyJsonText }, { weight: 2, arbitrary: nearValid.map(safeStringify) }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ contentType: otherContentType, data: fc.oneof(fc.uint8Array({ maxLength: 600 }), anyJsonText) }) },
    {
      weight: 1,
      arbitrary: fc.record({ contentType: fc.constant(undefined), data: fc.oneof(fc.uint8Array({ maxLength: 200 }), anyJsonText) }),
    },
    { weight: 1, arbitrary: fc.constant({}) },
  );

export type Auth = "valid" | "none" | "garbage" | "foreign" | "basic";
export const authKind: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 12, arbitrary: fc.constant("valid" as const) },
  { weight: 1, arbitrary: fc.constantFrom("none", "garbage", "foreign", "basic") },
);
export const garbageToken = fc.oneof(
  fc.string({ unit: "grapheme-ascii", maxLength: 60 }),
  fc.constantFrom("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "a.b.c", "..", "Bearer", "null"),
);
export const accept = fc.oneof(
  { weight: 20, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "*/*",
      "application/json",
      "application/hal+json",
      "text/html",
      "application/xml",
      "",
      "application/*;q=0",
      "application/json;q=0.0, text/*",
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 30 }) },
);

// ── one request, checked ─────────────────────────────────────────────────────────────────────

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
}

export const send = async (url: string, init: RequestInit): Promise<Answer | undefined> => {
  let request: Request;
  try {
    request = new Request(url.startsWith("http") ? url : `${ORIGIN}${url}`, init);
  } catch {
    return undefined; // not a request any client could send (an invalid URL or header)
  }
  const res = await fetchWorker(request.url, { method: request.method, headers: request.headers, body: init.body ?? null });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get("Content-Type") ?? "", text, json };
};

export const brief = (what: unknown) => JSON.stringify(what)?.slice(0, 400);

/** Never a 5xx; an error is the contract's JSON error body. */
export const expectSaneAnswer = (expect: ExpectStatic, answer: Answer, request: unknown) => {
  expect(answer.status, `${brief(request)} → ${answer.status} ${answer.text.slice(0, 300)}`).toBeLessThan(500);
  if (answer.status >= 400) {
    expect(answer.contentType, brief(request)).toMatch(/^application\/json\b/);
    const parsed = ErrorResponseBody.safeParse(answer.json);
    expect(parsed.success, `${brief(request)} → error body ${answer.text.slice(0, 300)}`).toBe(true);
    expect(isIsoUtc(parsed.data?.timestamp), answer.text.slice(0, 200)).toBe(true);
  }
};
