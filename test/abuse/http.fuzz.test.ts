/**
 * Abuse tests for the HTTP side (Platform API, token endpoint, the SDK's upload/download stream):
 * property-based, with fast-check. Every endpoint gets random JSON, random bytes under random
 * content types, random query strings, random path ids, random credentials and Accept headers.
 * Whatever arrives, the Worker must:
 *
 * - never answer 500 (or anything ≥ 500);
 * - answer every error as `application/json` `{error, message, timestamp}` (contract §5;
 *   `/oauth/token` answers RFC 6749 `{error, error_description}`);
 * - write nothing when it refuses: a snapshot of the whole database (every row of the test's
 *   application, every table's size) and of the application's R2 objects is taken before and
 *   after each request, and a 4xx must leave it unchanged.
 *
 * Runs are bounded (RUNS per endpoint) so the file stays well under a minute. A failure prints
 * fast-check's seed and the shrunk request; rerun with `{ seed, path }` in `fc.assert` options.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, it, type ExpectStatic } from "vitest";
import { signGrant, signingKeys } from "../../src/auth/tokens";
import { ErrorResponseBody } from "../../src/http/responses";
import { basicAuth, fetchWorker, ORIGIN, setup, tokenFor } from "../helpers/api";
import { isIsoUtc } from "../helpers/checks";
import { snapshot } from "../helpers/db-state";

const RUNS = 100;
const TIMEOUT = 60_000;

// ── the world each test fuzzes ───────────────────────────────────────────────────────────────

/** An application with one of everything, and another application to aim at. */
const makeFixture = async () => {
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
  const keys = await signingKeys(env.JWT_PRIVATE_KEY);
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
    foreign: { app: theirs.app.id, user: theirUser.id as number, channel: theirChannel.id as number, message: theirMessage.body.id as number },
    userHref,
    grants,
  };
};
type Fixture = Awaited<ReturnType<typeof makeFixture>>;

// ── generators ───────────────────────────────────────────────────────────────────────────────

/** Percent-encodes every byte of the UTF-8 form except the unreserved characters. */
const pct = (s: string) =>
  Array.from(new TextEncoder().encode(s), (b) =>
    /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
  ).join("");

const weirdNumbers = fc.oneof(
  fc.constantFrom("0", "-0", "-1", "1e3", "1.5", "0x10", "9007199254740991", "9007199254740993", "99999999999999999999", "1e400", "NaN", "Infinity", "-Infinity", "00001", " 1", "1 ", "+1", "٣", "１"),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.double().map(String),
  fc.integer().map(String),
);

/** Strings that are not valid ids, or ids that name nothing. */
const garbageId = fc.oneof(
  weirdNumbers,
  fc.string({ maxLength: 24 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom("me", "..", ".", "%", "%zz", "%00", "%2F", "%E0%A4%A", "a/b", "?x=1", "#frag", "\\", "null", "undefined", "x".repeat(300)),
);

/** A path segment in one of several spellings: percent-encoded, or raw for the URL parser to make sense of. */
const segment = (arb: fc.Arbitrary<string>) => fc.tuple(arb, fc.boolean()).map(([s, encode]) => (encode ? pct(s) : s));

const queryKey = fc.oneof(
  fc.constantFrom("page", "size", "name", "direct", "members", "start", "relation", "next", "grant", "api_key", "page[]", "size[0]"),
  fc.string({ maxLength: 10 }),
);
const queryValue = fc.oneof(
  weirdNumbers,
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("", "%", "%zz", "%FF%FE", "%C0%AF", "true", "false", "TRUE", "1,2,3", "a,b,,c", ",".repeat(60), "x".repeat(3000), "SELF", "NEXT", "PREVIOUS", "MjAwMA", "eyJ4IjoxfQ"),
);
/** A query string (without `?`): fast-check's web query, or key/value pairs, encoded or raw. */
const queryString = fc.oneof(
  fc.webQueryParameters(),
  fc
    .array(fc.tuple(queryKey, queryValue, fc.boolean()), { maxLength: 6 })
    .map((pairs) => pairs.map(([k, v, encode]) => (encode ? `${pct(k)}=${pct(v)}` : `${k.replace(/#/g, "%23")}=${v.replace(/#/g, "%23")}`)).join("&")),
);

const safeStringify = (v: unknown) => {
  try {
    return JSON.stringify(v) ?? "null";
  } catch {
    return "{}";
  }
};

/** Any JSON text, any value as JSON, and text that is almost JSON. */
const anyJsonText = fc.oneof(
  fc.json(),
  fc.jsonValue().map(safeStringify),
  fc.anything().map(safeStringify),
  fc.string(),
  fc.constantFrom("", " ", "{", "{}", "[]", "null", '{"a":1', "{\"__proto__\":{\"x\":1}}", '{"constructor":{"prototype":{}}}', "\uFEFF{}", "1e999999"),
);

/** Values for a field that expects something specific. */
const weird = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("", " ", "\t\n", "x".repeat(256), "x".repeat(10_001), "\u0000", "\uD800", "OPEN", "PUBLIC", "PRIVATE", "DIRECT", "TEXT", "FILE"),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue(),
);

/** Mostly a plausible value, sometimes anything. */
const mostly = <T,>(plausible: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 1, arbitrary: weird });
const plausibleName = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }));

const jsonContentType = fc.constantFrom("application/json", "application/hal+json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.x+json");
const otherContentType = fc.oneof(
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

type Body = { contentType?: string; data?: string | Uint8Array };

/** A request body: JSON-ish text with a JSON type, bytes with any type, or nothing. */
const bodyOf = (nearValid: fc.Arbitrary<unknown>): fc.Arbitrary<Body> =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        contentType: jsonContentType,
        data: fc.oneof({ weight: 1, arbitrary: anyJsonText }, { weight: 2, arbitrary: nearValid.map(safeStringify) }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ contentType: otherContentType, data: fc.oneof(fc.uint8Array({ maxLength: 600 }), anyJsonText) }) },
    { weight: 1, arbitrary: fc.record({ contentType: fc.constant(undefined), data: fc.oneof(fc.uint8Array({ maxLength: 200 }), anyJsonText) }) },
    { weight: 1, arbitrary: fc.constant({}) },
  );

type Auth = "valid" | "none" | "garbage" | "foreign" | "basic";
const authKind: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 12, arbitrary: fc.constant("valid" as const) },
  { weight: 1, arbitrary: fc.constantFrom("none", "garbage", "foreign", "basic") },
);
const garbageToken = fc.oneof(
  fc.string({ unit: "grapheme-ascii", maxLength: 60 }),
  fc.constantFrom("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "a.b.c", "..", "Bearer", "null"),
);
const accept = fc.oneof(
  { weight: 20, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom("*/*", "application/json", "application/hal+json", "text/html", "application/xml", "", "application/*;q=0", "application/json;q=0.0, text/*") },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 30 }) },
);

// ── endpoints ────────────────────────────────────────────────────────────────────────────────

type Slot = "app" | "user" | "channel" | "message" | "token" | "member";

interface Endpoint {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  /** Near-valid JSON bodies for this endpoint (besides anything at all). */
  body?: (f: Fixture) => fc.Arbitrary<unknown>;
  /** The last slot deletes what it names: it is never filled with a real id of the fixture. */
  destructive?: boolean;
}

const hrefs = (f: Fixture) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(f.userHref(f.ids.user), f.userHref(f.ids.user2)) },
    fc.constantFrom(f.userHref(f.ids.user), f.userHref(f.ids.user2), f.userHref(f.foreign.user, f.foreign.app), f.userHref(f.foreign.user)),
    garbageId.map((id) => f.userHref(id)),
    fc.webUrl(),
    weird,
    fc.record({ href: fc.oneof(fc.constant(f.userHref(f.ids.user2)), weird) }),
  );

const userFields = (f: Fixture) =>
  fc.record(
    {
      id: fc.oneof(fc.constant(f.ids.user), weird),
      name: mostly(plausibleName),
      displayName: mostly(plausibleName),
      isGuest: mostly(fc.boolean()),
      displayPictureUrl: weird,
      properties: weird,
    },
    { requiredKeys: [] },
  );

const channelBody = (f: Fixture) =>
  fc.record(
    {
      type: mostly(fc.constantFrom("OPEN", "PUBLIC", "PRIVATE", "DIRECT", "open", "Direct")),
      name: mostly(plausibleName),
      members: mostly(fc.array(hrefs(f), { maxLength: 12 })),
      properties: weird,
    },
    { requiredKeys: [] },
  );

const messageBody = fc.record(
  {
    type: mostly(fc.constantFrom("TEXT", "FILE", "SYSTEM_TEXT", "SYSTEM_FILE", "text")),
    body: mostly(plausibleName),
    file: fc.oneof(
      fc.record(
        {
          url: mostly(fc.oneof(fc.webUrl(), fc.constantFrom("javascript:alert(1)", "ftp://x/y", "file:///etc/passwd", "http://", "//x"))),
          name: mostly(plausibleName),
          contentType: mostly(fc.constantFrom("image/png", "text/plain; charset=utf-8", "x", "a/b/c")),
          size: mostly(fc.oneof(fc.nat(), fc.integer(), fc.constantFrom(-1, 2 ** 53, 1e308, 0.5))),
        },
        { requiredKeys: [] },
      ),
      weird,
    ),
    groupTag: mostly(plausibleName),
  },
  { requiredKeys: [] },
);

const ENDPOINTS: Endpoint[] = [
  { method: "GET", path: "/v1" },
  { method: "GET", path: "/v1/applications/me" },
  { method: "GET", path: "/v1/applications/{app}" },
  { method: "GET", path: "/v1/applications/{app}/users" },
  { method: "POST", path: "/v1/applications/{app}/users", body: userFields },
  { method: "GET", path: "/v1/applications/{app}/users/{user}" },
  { method: "PUT", path: "/v1/applications/{app}/users/{user}", body: userFields },
  { method: "PATCH", path: "/v1/applications/{app}/users/{user}", body: userFields },
  { method: "DELETE", path: "/v1/applications/{app}/users/{user}", destructive: true },
  { method: "GET", path: "/v1/applications/{app}/users/{user}/channels" },
  { method: "GET", path: "/v1/applications/{app}/users/{user}/tokens" },
  { method: "POST", path: "/v1/applications/{app}/users/{user}/tokens", body: () => fc.oneof(fc.constant({}), fc.record({ token: weird }, { requiredKeys: [] })) },
  { method: "GET", path: "/v1/applications/{app}/users/{user}/tokens/{token}" },
  { method: "DELETE", path: "/v1/applications/{app}/users/{user}/tokens/{token}", destructive: true },
  { method: "GET", path: "/v1/applications/{app}/channels" },
  { method: "POST", path: "/v1/applications/{app}/channels", body: channelBody },
  { method: "GET", path: "/v1/applications/{app}/channels/{channel}" },
  { method: "DELETE", path: "/v1/applications/{app}/channels/{channel}", destructive: true },
  { method: "GET", path: "/v1/applications/{app}/channels/{channel}/members" },
  {
    method: "POST",
    path: "/v1/applications/{app}/channels/{channel}/members",
    body: (f) => fc.oneof({ weight: 3, arbitrary: fc.record({ href: hrefs(f) }) }, fc.record({ href: hrefs(f) }, { requiredKeys: [] }), hrefs(f)),
  },
  { method: "DELETE", path: "/v1/applications/{app}/channels/{channel}/members/{member}", destructive: true },
  { method: "GET", path: "/v1/applications/{app}/channels/{channel}/messages" },
  { method: "POST", path: "/v1/applications/{app}/channels/{channel}/messages", body: () => messageBody },
  { method: "GET", path: "/v1/applications/{app}/messages" },
  { method: "GET", path: "/v1/applications/{app}/messages/{message}" },
  { method: "DELETE", path: "/v1/applications/{app}/messages/{message}", destructive: true },
];

const CHANNEL_TYPES = ["PUBLIC", "OPEN", "PRIVATE", "DIRECT"] as const;

/**
 * A value for a path slot: the fixture's own id (never for the slot a DELETE acts on), another
 * application's id, an id that names nothing, or garbage in any spelling.
 */
const slotValue = (f: Fixture, slot: Slot, deletes: boolean): fc.Arbitrary<string> => {
  const own: Record<Slot, fc.Arbitrary<string>> = {
    app: fc.constant(String(f.ids.app)),
    user: fc.constantFrom(String(f.ids.user), String(f.ids.user2)),
    channel: fc.constantFrom(...CHANNEL_TYPES.map((t) => String(f.ids.channels[t]))),
    message: fc.constant(String(f.ids.message)),
    token: fc.constant(f.ids.token),
    // user2 is not a member of the PUBLIC channel: removing them is a 404 that writes nothing.
    member: fc.constant(String(f.ids.user2)),
  };
  const foreign: Record<Slot, string> = {
    app: String(f.foreign.app),
    user: String(f.foreign.user),
    channel: String(f.foreign.channel),
    message: String(f.foreign.message),
    token: "x".repeat(43),
    member: String(f.foreign.user),
  };
  const safeOwn = deletes && slot !== "member" ? [] : [{ weight: 12, arbitrary: own[slot] }];
  return fc.oneof(
    ...safeOwn,
    { weight: 1, arbitrary: fc.constant(foreign[slot]) },
    { weight: 1, arbitrary: fc.constantFrom("999999999", "9007199254740991") },
    { weight: 2, arbitrary: segment(garbageId) },
  );
};

/** A concrete path for the endpoint, its slots filled by `slotValue`. */
const pathOf = (f: Fixture, ep: Endpoint): fc.Arbitrary<string> => {
  const slots = [...ep.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as Slot);
  if (slots.length === 0) return fc.constant(ep.path);
  return fc
    .tuple(...slots.map((slot, i) => slotValue(f, slot, Boolean(ep.destructive) && i === slots.length - 1)))
    .map((values) => slots.reduce((path, slot, i) => path.replace(`{${slot}}`, values[i]!), ep.path));
};

// ── one request, checked ─────────────────────────────────────────────────────────────────────

interface Answer {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
}

const send = async (url: string, init: RequestInit): Promise<Answer | undefined> => {
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

const brief = (what: unknown) => JSON.stringify(what)?.slice(0, 400);

/** Never a 5xx; an error is the contract's JSON error body. */
const expectSaneAnswer = (expect: ExpectStatic, answer: Answer, request: unknown) => {
  expect(answer.status, `${brief(request)} → ${answer.status} ${answer.text.slice(0, 300)}`).toBeLessThan(500);
  if (answer.status >= 400) {
    expect(answer.contentType, brief(request)).toMatch(/^application\/json\b/);
    const parsed = ErrorResponseBody.safeParse(answer.json);
    expect(parsed.success, `${brief(request)} → error body ${answer.text.slice(0, 300)}`).toBe(true);
    expect(isIsoUtc(parsed.data?.timestamp), answer.text.slice(0, 200)).toBe(true);
  }
};

/** Runs one request against the fixture and checks everything the abuse contract promises. */
const fire = async (
  expect: ExpectStatic,
  f: Fixture,
  req: { method: string; path: string; query?: string; body?: Body; auth: Auth; garbage?: string; accept?: string | undefined },
) => {
  const headers = new Headers();
  try {
    if (req.auth === "valid") headers.set("Authorization", `Bearer ${f.token}`);
    if (req.auth === "garbage") headers.set("Authorization", `Bearer ${req.garbage ?? ""}`);
    if (req.auth === "foreign") headers.set("Authorization", `Bearer ${f.foreignToken}`);
    if (req.auth === "basic") headers.set("Authorization", basicAuth(f.mine.app.clientId, f.mine.app.clientSecret));
    if (req.body?.contentType !== undefined) headers.set("Content-Type", req.body.contentType);
    if (req.accept !== undefined) headers.set("Accept", req.accept);
  } catch {
    return; // a header value no client could send
  }
  const url = `${req.path}${req.query ? `?${req.query}` : ""}`;
  const before = await snapshot(f.appId);
  const answer = await send(url, { method: req.method, headers, body: req.body?.data ?? null });
  if (!answer) return;
  const shown = { ...req, body: req.body && { ...req.body, data: typeof req.body.data === "string" ? req.body.data.slice(0, 200) : `${req.body.data?.length} bytes` } };
  expectSaneAnswer(expect, answer, shown);
  if (req.path.startsWith("/v1") && (req.auth === "none" || req.auth === "garbage" || req.auth === "basic")) {
    expect([401, 406, 413], `${brief(shown)} → ${answer.status}`).toContain(answer.status);
  }
  if (req.auth === "foreign" && req.path.startsWith(`/v1/applications/${f.appId}`)) {
    // Another application's token never reaches this application's data.
    expect(answer.status, `${brief(shown)} → ${answer.status} ${answer.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
  }
  if (answer.status >= 400) {
    expect(await snapshot(f.appId), `a refused ${req.method} ${url} (${answer.status} ${answer.text.slice(0, 200)}) wrote something`).toBe(before);
  }
  return answer;
};

const requestArb = (f: Fixture, ep: Endpoint) =>
  fc.record({
    path: pathOf(f, ep),
    query: fc.option(queryString, { nil: undefined }),
    body: ep.method === "GET" ? fc.constant(undefined) : bodyOf(ep.body ? ep.body(f) : fc.jsonValue()),
    auth: authKind,
    garbage: garbageToken,
    accept,
  });

// ── the properties ───────────────────────────────────────────────────────────────────────────

describe("Platform API under random input: never a 5xx, always the error body, nothing written on refusal", () => {
  for (const ep of ENDPOINTS) {
    it(`${ep.method} ${ep.path}`, { timeout: TIMEOUT }, async ({ expect }) => {
      const f = await makeFixture();
      const statuses: Record<number, number> = {};
      await fc.assert(
        fc.asyncProperty(requestArb(f, ep), async (req) => {
          const answer = await fire(expect, f, { method: ep.method, ...req });
          if (answer) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        }),
        { numRuns: RUNS },
      );
      // The fuzzing reached past authentication into the routes (and for reads, to answers).
      const seen = Object.keys(statuses).map(Number);
      expect(seen.some((s) => s !== 401 && s !== 406), JSON.stringify(statuses)).toBe(true);
      if (ep.method === "GET") expect(seen.some((s) => s < 300), JSON.stringify(statuses)).toBe(true);
    });
  }

  it("every path template with the methods it does not serve: 405 or 404, error body, nothing written", { timeout: TIMEOUT }, async ({ expect }) => {
    const f = await makeFixture();
    const templates = [...new Set(ENDPOINTS.map((e) => e.path))];
    const served = (path: string) => new Set(ENDPOINTS.filter((e) => e.path === path).map((e) => e.method));
    const unserved = templates.flatMap((path) =>
      ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "FOO"].filter((m) => !served(path).has(m as Endpoint["method"])).map((method) => ({ path, method })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...unserved).chain(({ path, method }) =>
          fc.record({ method: fc.constant(method), path: pathOf(f, { method: "GET", path }), body: method === "GET" ? fc.constant(undefined) : bodyOf(fc.jsonValue()) }),
        ),
        async (req) => {
          const answer = await fire(expect, f, { ...req, auth: "valid" });
          if (answer) expect([400, 404, 405, 413, 415], `${req.method} ${req.path} → ${answer.status}`).toContain(answer.status);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it("random paths under /v1 and elsewhere, any method: never a 5xx, nothing written", { timeout: TIMEOUT }, async ({ expect }) => {
    const f = await makeFixture();
    const path = fc
      .tuple(
        fc.constantFrom("/v1/", `/v1/applications/${f.appId}/`, "/", "/stompx/", "/stompx/v1/", "/oauth/", "/.well-known/"),
        fc.array(segment(fc.oneof(garbageId, fc.constantFrom("users", "channels", "messages", "members", "tokens", "me", "v1", "applications"))), { maxLength: 5 }),
      )
      .map(([prefix, parts]) => prefix + parts.join("/"));
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "OPTIONS", "DELETE"),
          path,
          query: fc.option(queryString, { nil: undefined }),
          auth: authKind,
          garbage: garbageToken,
          accept,
        }),
        async (req) => {
          // A random DELETE could name a real row of the fixture only through an exact path; the
          // snapshot check below covers that (a 2xx is not checked for writes).
          await fire(expect, f, { ...req, body: req.method === "GET" ? undefined : { contentType: "application/json", data: "{}" } });
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it("bodies over the limits on every endpoint that takes one: 413 error body, nothing written", { timeout: TIMEOUT }, async ({ expect }) => {
    const f = await makeFixture();
    // Over MAX_BODY_BYTES (1 MiB), and over what a multipart upload may be in the tests
    // (MAX_FILE_BYTES 1 MiB plus 64 KiB of framing).
    const big = `{"body":"${"x".repeat(1024 * 1024 + 128 * 1024)}"}`;
    for (const ep of ENDPOINTS.filter((e) => e.method !== "GET" && !e.destructive)) {
      const path = ep.path
        .replace("{app}", String(f.ids.app))
        .replace("{user}", String(f.ids.user))
        .replace("{channel}", String(f.ids.channels.PUBLIC));
      for (const contentType of ["application/json", "text/plain", "multipart/form-data; boundary=x"]) {
        const answer = await fire(expect, f, { method: ep.method, path, body: { contentType, data: big }, auth: "valid" });
        expect(answer?.status, `${ep.method} ${path} ${contentType}`).toBe(413);
      }
    }
    // And one on the token endpoint (contract §8).
    const before = await snapshot(f.appId);
    const res = await fetchWorker("/oauth/token", {
      method: "POST",
      headers: { Authorization: basicAuth(f.mine.app.clientId, f.mine.app.clientSecret), "Content-Type": "application/x-www-form-urlencoded" },
      body: `grant_type=client_credentials&x=${"y".repeat(1024 * 1024)}`,
    });
    expect(res.status).toBe(413);
    expect(await snapshot(f.appId)).toBe(before);
  });
});

describe("the token endpoint under random input: never a 5xx, an RFC 6749 error, nothing written", () => {
  it("POST /oauth/token with random forms, credentials, content types and bytes", { timeout: TIMEOUT }, async ({ expect }) => {
    const f = await makeFixture();
    const { clientId, clientSecret } = f.mine.app;
    const fieldValue = fc.oneof(fc.constantFrom(clientId, clientSecret, "client_credentials", "password", "", "acme"), fc.string({ maxLength: 40 }), fc.string({ unit: "grapheme", maxLength: 10 }));
    const fieldName = fc.oneof(fc.constantFrom("grant_type", "client_id", "client_secret", "username", "password", "scope", "grant_type[]"), fc.string({ maxLength: 8 }));
    const fields = fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 6 });
    const body: fc.Arbitrary<Body> = fc.oneof(
      fields.map((pairs) => ({ contentType: "application/x-www-form-urlencoded", data: new URLSearchParams(pairs).toString() })),
      fields.map((pairs) => ({ contentType: "application/x-www-form-urlencoded", data: pairs.map(([k, v]) => `${k}=${v}`).join("&") })),
      fields.map((pairs) => {
        const boundary = "----fuzz";
        const parts = pairs.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join("");
        return { contentType: `multipart/form-data; boundary=${boundary}`, data: `${parts}--${boundary}--\r\n` };
      }),
      fc.record({ contentType: fc.oneof(otherContentType, jsonContentType), data: fc.oneof(fc.uint8Array({ maxLength: 400 }), anyJsonText) }),
    );
    const authorization = fc.oneof(
      fc.constant(undefined),
      fc.constant(basicAuth(clientId, clientSecret)),
      fc.tuple(fieldValue, fieldValue).map(([id, secret]) => {
        try {
          return basicAuth(id, secret);
        } catch {
          return "Basic !!";
        }
      }),
      fc.string({ unit: "grapheme-ascii", maxLength: 40 }).map((s) => `Basic ${s}`),
      fc.constantFrom("Basic", "Basic ", "Basic Og==", "Basic OjpAOg==", "Bearer x", "basic " + btoa(`${clientId}:${clientSecret}`)),
    );
    await fc.assert(
      fc.asyncProperty(fc.record({ body, authorization, accept, query: fc.option(queryString, { nil: undefined }) }), async (req) => {
        const headers = new Headers();
        try {
          if (req.authorization !== undefined) headers.set("Authorization", req.authorization);
          if (req.body.contentType !== undefined) headers.set("Content-Type", req.body.contentType);
          if (req.accept !== undefined) headers.set("Accept", req.accept);
        } catch {
          return;
        }
        const before = await snapshot(f.appId);
        const answer = await send(`/oauth/token${req.query ? `?${req.query}` : ""}`, { method: "POST", headers, body: req.body.data ?? null });
        if (!answer) return;
        expect(answer.status, `${brief(req)} → ${answer.status} ${answer.text.slice(0, 200)}`).toBeLessThan(500);
        if (answer.status >= 400) {
          expect(answer.contentType).toMatch(/^application\/json\b/);
          expect(typeof (answer.json as { error?: unknown })?.error, answer.text.slice(0, 200)).toBe("string");
          expect(await snapshot(f.appId)).toBe(before);
        } else {
          expect(answer.status).toBe(200);
          expect(answer.json).toMatchObject({ token_type: "bearer", access_token: expect.any(String) });
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("GET /.well-known/jwks.json and /healthz with random query strings", { timeout: TIMEOUT }, async ({ expect }) => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("/.well-known/jwks.json", "/healthz"), queryString, accept, async (path, query, acceptHeader) => {
        const headers = new Headers();
        try {
          if (acceptHeader !== undefined) headers.set("Accept", acceptHeader);
        } catch {
          return;
        }
        const answer = await send(`${path}?${query}`, { headers });
        if (answer) expect(answer.status, `${path}?${query} → ${answer.text.slice(0, 200)}`).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("the SDK's HTTP stream under random input", () => {
  it("POST /stompx/v1/channels/{id}/messages: random grants, forms, bytes and content types", { timeout: TIMEOUT }, async ({ expect }) => {
    const f = await makeFixture();
    const grant = fc.oneof(
      { weight: 4, arbitrary: fc.constant(f.grants.write) },
      { weight: 1, arbitrary: fc.constantFrom(f.grants.read, f.grants.foreign, f.token, "", "x.y.z") },
      { weight: 1, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 60 }) },
    );
    const channel = fc.oneof(
      fc.constantFrom(...CHANNEL_TYPES.map((t) => String(f.ids.channels[t])), String(f.foreign.channel), "999999999"),
      segment(garbageId),
    );
    const boundary = "----fuzzboundary";
    const part = fc.record({
      name: fc.oneof(fc.constantFrom("file", "groupTag", "x"), fc.string({ maxLength: 8 })),
      filename: fc.option(fc.oneof(fc.constantFrom("a.txt", "", "../../etc/passwd", "x".repeat(300)), fc.string({ unit: "grapheme", maxLength: 20 })), { nil: undefined }),
      type: fc.option(fc.oneof(fc.constantFrom("text/plain", "image/png", ""), fc.string({ unit: "grapheme-ascii", maxLength: 20 })), { nil: undefined }),
      content: fc.oneof(fc.string({ maxLength: 100 }), fc.constant("")),
    });
    const body: fc.Arbitrary<Body> = fc.oneof(
      fc.array(part, { maxLength: 3 }).chain((parts) =>
        fc.record({
          contentType: fc.constantFrom(`multipart/form-data; boundary=${boundary}`, "multipart/form-data", "multipart/form-data; boundary=other"),
          data: fc.constant(
            parts
              .map(
                (p) =>
                  `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename === undefined ? "" : `; filename="${p.filename}"`}\r\n${
                    p.type === undefined ? "" : `Content-Type: ${p.type}\r\n`
                  }\r\n${p.content}\r\n`,
              )
              .join("") + `--${boundary}--\r\n`,
          ),
        }),
      ),
      fc.record({ contentType: fc.oneof(otherContentType, jsonContentType), data: fc.oneof(fc.uint8Array({ maxLength: 500 }), anyJsonText) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.record({ grant, channel, body, query: fc.option(queryString, { nil: undefined }) }), async (req) => {
        const headers = new Headers();
        try {
          headers.set("Grant", req.grant);
          if (req.body.contentType !== undefined) headers.set("Content-Type", req.body.contentType);
        } catch {
          return;
        }
        const url = `/stompx/v1/channels/${req.channel}/messages${req.query ? `?${req.query}` : ""}`;
        const before = await snapshot(f.appId);
        const answer = await send(url, { method: "POST", headers, body: req.body.data ?? null });
        if (!answer) return;
        expectSaneAnswer(expect, answer, { ...req, body: { ...req.body, data: String(req.body.data).slice(0, 200) } });
        if (answer.status >= 400) expect(await snapshot(f.appId), `refused upload ${url} (${answer.status}) wrote something`).toBe(before);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("GET /stompx/v1/files/... with random paths, and OPTIONS preflights", { timeout: TIMEOUT }, async ({ expect }) => {
    const f = await makeFixture();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "OPTIONS", "HEAD"),
        fc.array(segment(fc.oneof(garbageId, fc.uuid(), fc.constant(String(f.appId)))), { minLength: 1, maxLength: 5 }),
        fc.option(queryString, { nil: undefined }),
        async (method, parts, query) => {
          const answer = await send(`/stompx/v1/files/${parts.join("/")}${query ? `?${query}` : ""}`, { method });
          if (answer) expect(answer.status, `${method} ${parts.join("/")} → ${answer.text.slice(0, 200)}`).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
