/**
 * D1 read replication (src/http/bookmark.ts, src/db/client.ts): every response that ran a query
 * carries the bookmark its D1 session ended at in `X-D1-Bookmark`; a bookmark sent back is taken
 * as the start of the request's session (its reads see at least that state); anything that is not
 * a bookmark's shape is refused with 400 before a query runs. Chat connections keep their last
 * frame's bookmark in their WebSocket attachment. Locally (miniflare) there is one copy of the
 * database, so read-your-writes holds anyway: these tests assert the plumbing (headers sent,
 * accepted, carried forward, never going backwards), not replica lag.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it, type ExpectStatic } from "vitest";
import { ChannelResource } from "../../src/api/channels/channels.schemas";
import { UserResource } from "../../src/api/users/users.schemas";
import { sessionShardStub, shardName } from "../../src/chat/live";
import type { Connection } from "../../src/durable/session-sockets";
import { type ApiResponse, basicAuth, fetchWorker, readResponse, setup } from "../helpers/api";
import { connectChat, createChannelInSession, sid } from "../helpers/chat";
import { expectError, expectHal, expectInvalidField } from "../helpers/checks";
import { snapshot } from "../helpers/db-state";

const HEADER = "X-D1-Bookmark";
/** What D1 hands out: three 8-digit hex groups and a 32-digit one (fixed width, so strings compare in order). */
const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/i;

/** The response's bookmark, asserted well-formed. */
const bookmarkOf = (expect: ExpectStatic, res: Pick<ApiResponse, "status" | "headers">, what = "") => {
  const bookmark = res.headers.get(HEADER);
  expect(bookmark ?? "(none)", `${what} (${res.status}) carries ${HEADER}`).toMatch(BOOKMARK);
  return bookmark!;
};

const withBookmark = (bookmark: string) => ({ [HEADER]: bookmark });

describe("X-D1-Bookmark on responses", () => {
  it("is on every kind of response that ran a query: token, GET, list, POST, PUT, PATCH, DELETE, 404, 400, 409, JWKS", async ({
    expect,
  }) => {
    const s = await setup();
    const token = await fetchWorker("/oauth/token", {
      method: "POST",
      headers: { Authorization: basicAuth(s.app.clientId, s.app.clientSecret), "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    expect(token.status).toBe(200);
    bookmarkOf(expect, token, "token request");

    const created = await s.api.post(s.urls.users, { name: "jane" });
    expectHal(expect, created, 201);
    const sent = bookmarkOf(expect, created, "POST user");
    const user = UserResource.parse(created.body);

    // A query that fails hands back no bookmark (D1 gives none with an error): a 409 whose insert
    // was its only query answers with the bookmark it was sent, never with none or an older one.
    const duplicate = await s.api.call("POST", s.urls.users, { name: "jane" }, withBookmark(sent));
    expectError(expect, duplicate, 409, "DuplicateResourceError");
    expect(bookmarkOf(expect, duplicate, "POST duplicate user") >= sent).toBe(true);

    const checks: [string, ApiResponse, number][] = [
      ["GET user", await s.api.get(user._links.self.href), 200],
      ["GET users page", await s.api.get(s.urls.users), 200],
      ["GET application", await s.api.get("/v1/applications/me"), 200],
      ["PUT user", await s.api.call("PUT", user._links.self.href, { displayName: "Jane" }), 200],
      ["PATCH user", await s.api.call("PATCH", user._links.self.href, { isGuest: true }), 200],
      ["POST channel", await s.api.post(s.urls.channels, { type: "PUBLIC", name: "c" }), 201],
      // 400 after a query ran: the user was read, then the body's different name refused.
      ["PUT with another name (400)", await s.api.call("PUT", user._links.self.href, { name: "other" }), 400],
      ["DELETE user", await s.api.del(user._links.self.href), 200],
      ["GET deleted user (404)", await s.api.get(user._links.self.href), 404],
      ["DELETE deleted user (404)", await s.api.del(user._links.self.href), 404],
    ];
    for (const [what, res, status] of checks) {
      expect(res.status, `${what}: ${JSON.stringify(res.body).slice(0, 200)}`).toBe(status);
      bookmarkOf(expect, res, what);
    }
    expectInvalidField(expect, checks.find(([w]) => w.startsWith("PUT with another name"))![1], "name");

    const jwks = await fetchWorker("/.well-known/jwks.json");
    expect(jwks.status).toBe(200);
    bookmarkOf(expect, jwks, "JWKS");
  });

  it("without a query and without a sent bookmark there is none; with a sent one it is echoed", async ({ expect }) => {
    const first = await fetchWorker("/healthz", { headers: { Accept: "application/json" } });
    expect(first.status).toBe(200);
    expect(first.headers.get(HEADER)).toBeNull();
    const s = await setup();
    const sent = bookmarkOf(expect, await s.api.get(s.urls.app));
    const echoed = await fetchWorker("/healthz", { headers: { Accept: "application/json", ...withBookmark(sent) } });
    expect(echoed.status).toBe(200);
    expect(echoed.headers.get(HEADER)).toBe(sent);
  });

  it("increases with every write (strings of one fixed width compare in order)", async ({ expect }) => {
    const s = await setup();
    let last = bookmarkOf(expect, await s.api.get(s.urls.users));
    for (let i = 0; i < 5; i++) {
      const next = bookmarkOf(expect, await s.api.post(s.urls.users, { name: `u${i}` }));
      expect(next > last, `${next} > ${last}`).toBe(true);
      last = next;
    }
  });
});

describe("a bookmark sent back", () => {
  it("is accepted, and the response's bookmark is at least it (GET, POST, PUT, DELETE, 404)", async ({ expect }) => {
    const s = await setup();
    let bookmark = bookmarkOf(expect, await s.api.get(s.urls.app));
    const step = async (what: string, res: Promise<ApiResponse>, status: number) => {
      const r = await res;
      expect(r.status, `${what}: ${JSON.stringify(r.body).slice(0, 200)}`).toBe(status);
      const next = bookmarkOf(expect, r, what);
      expect(next >= bookmark, `${what}: ${next} >= ${bookmark}`).toBe(true);
      bookmark = next;
      return r;
    };
    const created = await step("POST user", s.api.call("POST", s.urls.users, { name: "jane" }, withBookmark(bookmark)), 201);
    const href = UserResource.parse(created.body)._links.self.href;
    await step("GET user", s.api.call("GET", href, undefined, withBookmark(bookmark)), 200);
    await step("GET users page", s.api.call("GET", s.urls.users, undefined, withBookmark(bookmark)), 200);
    await step("PUT user", s.api.call("PUT", href, { displayName: "J" }, withBookmark(bookmark)), 200);
    await step("DELETE user", s.api.call("DELETE", href, undefined, withBookmark(bookmark)), 200);
    await step("GET deleted user", s.api.call("GET", href, undefined, withBookmark(bookmark)), 404);
  });

  it("upper-case hex is a bookmark too (D1's digits are case-insensitive)", async ({ expect }) => {
    const s = await setup();
    const bookmark = bookmarkOf(expect, await s.api.get(s.urls.app));
    const res = await s.api.call("GET", s.urls.users, undefined, withBookmark(bookmark.toUpperCase()));
    expectHal(expect, res);
    bookmarkOf(expect, res);
  });

  it("reads your writes: what a write's bookmark names, a later request started from it sees", async ({ expect }) => {
    const s = await setup();
    const created = await s.api.post(s.urls.users, { name: "jane", displayName: "Jane" });
    expectHal(expect, created, 201);
    const user = UserResource.parse(created.body);
    const afterCreate = bookmarkOf(expect, created);

    const read = await s.api.call("GET", user._links.self.href, undefined, withBookmark(afterCreate));
    expectHal(expect, read);
    expect(UserResource.parse(read.body)).toEqual(user);
    const byName = await s.api.call("GET", `${s.urls.users}?name=jane`, undefined, withBookmark(afterCreate));
    expectHal(expect, byName);
    expect(byName.body._embedded.users.map((u: UserResource) => u.id)).toEqual([user.id]);

    const renamed = await s.api.call("PATCH", user._links.self.href, { displayName: "Jane D." }, withBookmark(afterCreate));
    expectHal(expect, renamed);
    const afterRename = bookmarkOf(expect, renamed);
    expect(afterRename > afterCreate).toBe(true);
    const reread = await s.api.call("GET", user._links.self.href, undefined, withBookmark(afterRename));
    expect(UserResource.parse(reread.body).displayName).toBe("Jane D.");

    const gone = await s.api.call("DELETE", user._links.self.href, undefined, withBookmark(afterRename));
    expectHal(expect, gone);
    expectError(expect, await s.api.call("GET", user._links.self.href, undefined, withBookmark(bookmarkOf(expect, gone))), 404);
  });
});

describe("a malformed bookmark", () => {
  const VALID = "00000000-0000000d-00000000-00000000000000000000000000000000";
  const MALFORMED: [string, string][] = [
    ["empty", ""],
    ["one character too long", `${VALID}0`],
    ["far too long", `${VALID}${"0".repeat(10_000)}`],
    ["one character too short", VALID.slice(0, -1)],
    ["a group missing", VALID.split("-").slice(0, 3).join("-")],
    ["groups in the wrong widths", "0000000-00000000d-00000000-00000000000000000000000000000000"],
    ["no dashes", VALID.replace(/-/g, "")],
    ["non-hex digits", VALID.replace(/d/, "g")],
    ["two bookmarks (the header sent twice)", `${VALID}, ${VALID}`],
    ["a session constraint, not a bookmark", "first-primary"],
    ["the other session constraint", "first-unconstrained"],
    ["SQL", "'; DROP TABLE users; --"],
    ["SQL around a bookmark", `${VALID}' OR '1'='1`],
    ["a latin-1 letter in it", VALID.replace(/d/, "é")],
    ["unicode (sent as UTF-8 bytes)", VALID.replace(/d/, "☃")],
    ["fullwidth digits", VALID.replace(/0/g, "０")],
  ];

  it.for(MALFORMED)("%s: 400 with the contract error body naming X-D1-Bookmark, and no user created", async ([, bad], { expect }) => {
    const s = await setup();
    const before = await snapshot(s.app.id);
    const res = await s.api.call("POST", s.urls.users, { name: "jane" }, withBookmark(bad));
    const body = expectInvalidField(expect, res, HEADER);
    expect(body.error).toBe("InvalidRequestError");
    expect(res.headers.get("X-Request-Id")).toBeTruthy();
    // No session was opened for it, so there is no bookmark to hand back.
    expect(res.headers.get(HEADER)).toBeNull();
    expect(await snapshot(s.app.id)).toBe(before);
    expect((await s.api.get(`${s.urls.users}?name=jane`)).body.page.totalElements).toBe(0);
  });

  it("is refused on every route before anything else: GET, DELETE, the token endpoint, an unknown path", async ({ expect }) => {
    const s = await setup();
    const user = UserResource.parse(await s.createUser("jane"));
    const bad = withBookmark("first-primary");
    const before = await snapshot(s.app.id);
    expectInvalidField(expect, await s.api.call("GET", user._links.self.href, undefined, bad), HEADER);
    expectInvalidField(expect, await s.api.call("DELETE", user._links.self.href, undefined, bad), HEADER);
    expectInvalidField(expect, await s.api.call("GET", "/v1/nope", undefined, bad), HEADER);
    const token = await fetchWorker("/oauth/token", {
      method: "POST",
      headers: {
        Authorization: basicAuth(s.app.clientId, s.app.clientSecret),
        "Content-Type": "application/x-www-form-urlencoded",
        ...bad,
      },
      body: "grant_type=client_credentials",
    });
    expectInvalidField(expect, await readResponse(token), HEADER);
    expect(await snapshot(s.app.id)).toBe(before);
    expectHal(expect, await s.api.get(user._links.self.href));
  });
});

describe("chat sessions", () => {
  const attachmentsOf = (appId: number, userName: string) =>
    runInDurableObject(sessionShardStub(env, shardName(env, appId, userName)), (_instance, state) =>
      state
        .getWebSockets()
        .map((ws) => ws.deserializeAttachment() as Connection | null)
        .filter((c): c is Connection => c?.userName === userName),
    );

  it("a connection keeps its last frame's bookmark; it moves on with an action, and a relay after it works", async ({ expect }) => {
    const s = await setup();
    const name = `jane-${crypto.randomUUID()}`;
    const beforeConnect = bookmarkOf(expect, await s.api.get(s.urls.app));
    const { client, me } = await connectChat(s.app, name);

    const [connected] = await attachmentsOf(s.app.id, name);
    expect(connected?.connected).toBe(true);
    const afterConnect = connected?.bookmark ?? "";
    expect(afterConnect).toMatch(BOOKMARK);
    // CONNECT created the guest user: a write after the HTTP read.
    expect(afterConnect > beforeConnect, `${afterConnect} > ${beforeConnect}`).toBe(true);

    const channel = await createChannelInSession(client, me, "made-in-session");
    const [acted] = await attachmentsOf(s.app.id, name);
    const afterAction = acted?.bookmark ?? "";
    expect(afterAction).toMatch(BOOKMARK);
    expect(afterAction > afterConnect, `${afterAction} > ${afterConnect}`).toBe(true);

    // The next relay starts from that bookmark and sees the channel the action created.
    const relayed = await client.relay(sid(), `/application/v1/channels/${channel.id}.relay`);
    expect(relayed).toMatchObject({ id: channel.id, type: "PUBLIC", name: "made-in-session" });
    const [afterRelay] = await attachmentsOf(s.app.id, name);
    expect(afterRelay?.bookmark ?? "").toMatch(BOOKMARK);
    expect((afterRelay?.bookmark ?? "") >= afterAction).toBe(true);

    // And HTTP, started from the session's bookmark, sees the channel.
    const fromSession = await s.api.call("GET", `${s.urls.channels}/${channel.id}`, undefined, withBookmark(afterAction));
    expectHal(expect, fromSession);
    expect(ChannelResource.parse(fromSession.body).name).toBe("made-in-session");
    client.close();
  });
});

describe("structure", () => {
  // Every source module, as text (Vite's ?raw import; type declarations are not modules that run).
  const sources = Object.entries(import.meta.glob<string>("../../src/**/*.ts", { query: "?raw", import: "default", eager: true }))
    .filter(([path]) => !path.endsWith(".d.ts"))
    .map(([path, text]) => [path.replace(/^\.\.\/\.\.\//, ""), text] as const);
  /** The text without comments (a `//` only after whitespace or at a line start, so URLs in strings stay). */
  const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|\s)\/\/.*$/gm, "$1");

  it("reads the sources", ({ expect }) => {
    expect(sources.length).toBeGreaterThan(50);
    expect(sources.map(([path]) => path)).toContain("src/db/client.ts");
  });

  /** Calls that make a D1 client or session: only src/db/client.ts may have them. */
  const sessionCalls = (text: string) => [...text.matchAll(/\b(?:withSession|drizzle)\s*\(/g)].map((m) => m[0]);
  /** How often the D1 binding (`….DB`) is used other than as openSession's argument. */
  const bareBindingUses = (text: string) => {
    const body = code(text);
    return [...body.matchAll(/[\w.]*\.DB\b(?!_)/g)].length - [...body.matchAll(/openSession\(\s*[\w.]+\.DB\b(?!_)/g)].length;
  };

  it("the checks below catch what they look for", ({ expect }) => {
    expect(sessionCalls("const db = drizzle(env.DB);")).toEqual(["drizzle("]);
    expect(sessionCalls("env.DB.withSession ('first-primary')")).toEqual(["withSession ("]);
    expect(sessionCalls("createDb(openSession(env.DB)) // see withSession")).toEqual([]);
    expect(bareBindingUses("await c.env.DB.prepare('SELECT 1').first();")).toBe(1);
    expect(bareBindingUses("createDb(openSession(shard.bindings.DB, 'first-primary'))")).toBe(0);
    expect(bareBindingUses("/* env.DB.prepare */ const u = 'http://x/env.DB'; // env.DB.batch([])")).toBe(1);
  });

  it("no module but src/db/client.ts calls withSession or drizzle(", ({ expect }) => {
    const offenders = sources
      .filter(([path]) => path !== "src/db/client.ts")
      .flatMap(([path, text]) => sessionCalls(text).map((call) => `${path}: ${call}`));
    expect(offenders).toEqual([]);
    const client = code(sources.find(([path]) => path === "src/db/client.ts")![1]);
    expect(client).toMatch(/\.withSession\(/);
    expect(client).toMatch(/\bdrizzle\(/);
  });

  it("the D1 binding is only ever handed to openSession (no query on the bare binding)", ({ expect }) => {
    const offenders = sources
      .filter(([path]) => path !== "src/db/client.ts")
      .flatMap(([path, text]) => {
        const bare = bareBindingUses(text);
        return bare === 0 ? [] : [`${path}: ${bare} use(s) of .DB not through openSession`];
      });
    expect(offenders).toEqual([]);
  });
});
