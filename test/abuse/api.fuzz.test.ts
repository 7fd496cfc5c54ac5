/**
 * Abuse tests for the Platform API, property-based with fast-check: every endpoint gets random
 * JSON, random bytes under random content types, random query strings, random path ids, random
 * credentials and Accept headers; so do the methods a path does not serve, random paths, and
 * bodies over the limits. Whatever arrives, the Worker must:
 *
 * - never answer 500 (or anything ≥ 500);
 * - answer every error as `application/json` `{error, message, timestamp}` (contract §5);
 * - write nothing when it refuses: a snapshot of the whole database (every row of the test's
 *   application, every table's size) and of the application's R2 objects is taken before and
 *   after each request, and a 4xx must leave it unchanged.
 *
 * Runs are bounded (RUNS per property) so the file stays well under a minute. A failure prints
 * fast-check's seed and the shrunk request; rerun with `{ seed, path }` in `fc.assert` options.
 * The fixture and generators are in test/helpers/fuzz-http.ts.
 */
import fc from "fast-check";
import { describe, it, type ExpectStatic } from "vitest";
import { basicAuth, fetchWorker } from "../helpers/api";
import { snapshot } from "../helpers/db-state";
import { plausibleName, TIMEOUT } from "../helpers/fuzz";
import {
  accept,
  authKind,
  bodyOf,
  brief,
  CHANNEL_TYPES,
  expectSaneAnswer,
  garbageId,
  garbageToken,
  makeFixture,
  mostly,
  queryString,
  RUNS,
  segment,
  send,
  weird,
  type Auth,
  type Body,
  type Fixture,
} from "../helpers/fuzz-http";

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
  {
    method: "POST",
    path: "/v1/applications/{app}/users/{user}/tokens",
    body: () => fc.oneof(fc.constant({}), fc.record({ token: weird }, { requiredKeys: [] })),
  },
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
    body: (f) =>
      fc.oneof({ weight: 3, arbitrary: fc.record({ href: hrefs(f) }) }, fc.record({ href: hrefs(f) }, { requiredKeys: [] }), hrefs(f)),
  },
  { method: "DELETE", path: "/v1/applications/{app}/channels/{channel}/members/{member}", destructive: true },
  { method: "GET", path: "/v1/applications/{app}/channels/{channel}/messages" },
  { method: "POST", path: "/v1/applications/{app}/channels/{channel}/messages", body: () => messageBody },
  { method: "GET", path: "/v1/applications/{app}/messages" },
  { method: "GET", path: "/v1/applications/{app}/messages/{message}" },
  { method: "DELETE", path: "/v1/applications/{app}/messages/{message}", destructive: true },
];

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
  const shown = {
    ...req,
    body: req.body && {
      ...req.body,
      data: typeof req.body.data === "string" ? req.body.data.slice(0, 200) : `${req.body.data?.length} bytes`,
    },
  };
  expectSaneAnswer(expect, answer, shown);
  if (req.path.startsWith("/v1") && (req.auth === "none" || req.auth === "garbage" || req.auth === "basic")) {
    expect([401, 406, 413], `${brief(shown)} → ${answer.status}`).toContain(answer.status);
  }
  if (req.auth === "foreign" && req.path.startsWith(`/v1/applications/${f.appId}`)) {
    // Another application's token never reaches this application's data.
    expect(answer.status, `${brief(shown)} → ${answer.status} ${answer.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
  }
  if (answer.status >= 400) {
    expect(await snapshot(f.appId), `a refused ${req.method} ${url} (${answer.status} ${answer.text.slice(0, 200)}) wrote something`).toBe(
      before,
    );
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
      expect(
        seen.some((s) => s !== 401 && s !== 406),
        JSON.stringify(statuses),
      ).toBe(true);
      if (ep.method === "GET")
        expect(
          seen.some((s) => s < 300),
          JSON.stringify(statuses),
        ).toBe(true);
    });
  }

  it("every path template with the methods it does not serve: 405 or 404, error body, nothing written", { timeout: TIMEOUT }, async ({
    expect,
  }) => {
    const f = await makeFixture();
    const templates = [...new Set(ENDPOINTS.map((e) => e.path))];
    const served = (path: string) => new Set(ENDPOINTS.filter((e) => e.path === path).map((e) => e.method));
    const unserved = templates.flatMap((path) =>
      ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "FOO"]
        .filter((m) => !served(path).has(m as Endpoint["method"]))
        .map((method) => ({ path, method })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...unserved).chain(({ path, method }) =>
          fc.record({
            method: fc.constant(method),
            path: pathOf(f, { method: "GET", path }),
            body: method === "GET" ? fc.constant(undefined) : bodyOf(fc.jsonValue()),
          }),
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
        fc.array(
          segment(fc.oneof(garbageId, fc.constantFrom("users", "channels", "messages", "members", "tokens", "me", "v1", "applications"))),
          { maxLength: 5 },
        ),
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

  it("bodies over the limits on every endpoint that takes one: 413 error body, nothing written", { timeout: TIMEOUT }, async ({
    expect,
  }) => {
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
      headers: {
        Authorization: basicAuth(f.mine.app.clientId, f.mine.app.clientSecret),
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: `grant_type=client_credentials&x=${"y".repeat(1024 * 1024)}`,
    });
    expect(res.status).toBe(413);
    expect(await snapshot(f.appId)).toBe(before);
  });
});
