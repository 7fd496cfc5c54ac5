/**
 * Conditional requests (RFC 9110 §13; src/http/conditional.ts). Every 200 GET carries a strong
 * `ETag` (a digest of the body's bytes); `If-None-Match` naming it (weak comparison: `W/` ignored;
 * `*` matches) answers 304 with no body. Writes to one user, channel or message honour `If-Match`
 * with strong comparison: a stale or weak tag is refused 412 and nothing changes; the current tag
 * or `*` lets the write through; without the header nothing changes from before. Two writes made
 * from the same copy cannot both land: one of them hears 412.
 */
import { describe, it, type ExpectStatic } from "vitest";
import { ChannelResource } from "../../src/api/channels/channels.schemas";
import { UserResource } from "../../src/api/users/users.schemas";
import { type ApiResponse, fetchWorker, readResponse, setup } from "../helpers/api";
import { expectError, expectHal } from "../helpers/checks";
import { postAll } from "../helpers/messages";
import { sleep } from "../helpers/chat";

/** A strong entity tag as the API makes them: 128 bits, base64url, quoted. */
const STRONG_TAG = /^"[A-Za-z0-9_-]{22}"$/;
/** A tag of the right shape that names no representation. */
const UNKNOWN_TAG = '"AAAAAAAAAAAAAAAAAAAAAA"';

const brief = (res: ApiResponse) => `${res.status} ${(JSON.stringify(res.body) ?? "").slice(0, 200)}`;

/** The response's ETag, asserted strong and well-formed. */
const etagOf = (expect: ExpectStatic, res: ApiResponse) => {
  expect(res.status, brief(res)).toBe(200);
  const tag = res.headers.get("ETag");
  expect(tag ?? "(none)").toMatch(STRONG_TAG);
  return tag!;
};

type Get = (headers?: Record<string, string>) => Promise<ApiResponse>;

/** An application with a user, a PUBLIC channel and a message in it, and a GET for each resource and page. */
const fixture = async () => {
  const s = await setup();
  const user = UserResource.parse(await s.createUser("jane"));
  const channel = ChannelResource.parse(await s.createChannel("PUBLIC", "general"));
  const [message] = await postAll(s.api, channel, ["hello"]);
  const authed =
    (href: string): Get =>
    (headers = {}) =>
      s.api.call("GET", href, undefined, headers);
  const open =
    (href: string): Get =>
    async (headers = {}) =>
      readResponse(await fetchWorker(href, { headers }));
  const gets: Record<string, Get> = {
    user: authed(user._links.self.href),
    channel: authed(channel._links.self.href),
    message: authed(message!._links.self!.href),
    "application (me)": authed("/v1/applications/me"),
    "application (by id)": authed(s.urls.app),
    "users page": authed(s.urls.users),
    "channels page": authed(s.urls.channels),
    "channel messages page": authed(channel._links.messages.href),
    "application messages page": authed(s.urls.messages),
    "API root": authed("/v1"),
    JWKS: open("/.well-known/jwks.json"),
    "OpenAPI document": open("/v1/openapi.json"),
  };
  return { s, user, channel, message: message!, gets };
};

const TARGETS = [
  "user",
  "channel",
  "message",
  "application (me)",
  "application (by id)",
  "users page",
  "channels page",
  "channel messages page",
  "application messages page",
  "API root",
  "JWKS",
  "OpenAPI document",
];

/** A 304 as RFC 9110 §15.4.5 has it: no body, the same ETag, and the headers that tie it to the request. */
const expectNotModified = (expect: ExpectStatic, res: ApiResponse, tag: string, full: ApiResponse, what: string) => {
  expect(res.status, `${what}: ${brief(res)}`).toBe(304);
  expect(res.body, what).toBeUndefined(); // readResponse: an empty body
  expect(res.headers.get("ETag"), what).toBe(tag);
  expect(res.headers.get("X-Request-Id"), what).toBeTruthy();
  expect(res.headers.get("Content-Type"), what).toBeNull();
  expect(res.headers.get("Cache-Control"), what).toBe(full.headers.get("Cache-Control"));
};

describe("ETag and If-None-Match on GET", () => {
  it.for(TARGETS)(
    "%s: a strong ETag; If-None-Match with it (exact, W/, in a list, *) → 304; a stale one → 200",
    async (target, { expect }) => {
      const { gets } = await fixture();
      const get = gets[target]!;
      const full = await get();
      const tag = etagOf(expect, full);
      // The same bytes, the same tag.
      const again = await get();
      expect(again.headers.get("ETag")).toBe(tag);
      expect(again.body).toEqual(full.body);

      expectNotModified(expect, await get({ "If-None-Match": tag }), tag, full, "exact");
      expectNotModified(expect, await get({ "If-None-Match": `W/${tag}` }), tag, full, "weak form");
      expectNotModified(expect, await get({ "If-None-Match": `"other", ${UNKNOWN_TAG},${tag}` }), tag, full, "in a list");
      expectNotModified(expect, await get({ "If-None-Match": `W/"other", W/${tag}` }), tag, full, "weak in a list");
      expectNotModified(expect, await get({ "If-None-Match": "*" }), tag, full, "*");

      for (const stale of [UNKNOWN_TAG, `W/${UNKNOWN_TAG}`, tag.slice(1, -1), `"${tag}"`]) {
        const res = await get({ "If-None-Match": stale });
        expect(res.status, `If-None-Match: ${stale}`).toBe(200);
        expect(res.headers.get("ETag")).toBe(tag);
        expect(res.body).toEqual(full.body);
      }
    },
  );

  it("HEAD carries the GET's ETag and answers 304 to If-None-Match with it", async ({ expect }) => {
    const { s, user } = await fixture();
    const tag = etagOf(expect, await s.api.get(user._links.self.href));
    const head = await s.api.call("HEAD", user._links.self.href);
    expect(head.status).toBe(200);
    expect(head.body).toBeUndefined();
    expect(head.headers.get("ETag")).toBe(tag);
    const cached = await s.api.call("HEAD", user._links.self.href, undefined, { "If-None-Match": tag });
    expect(cached.status).toBe(304);
    expect(cached.headers.get("ETag")).toBe(tag);
  });

  it("the tag follows the representation: it changes with a PATCH (resource and page) and comes back with the old value", async ({
    expect,
  }) => {
    const { s, user } = await fixture();
    const href = user._links.self.href;
    const before = etagOf(expect, await s.api.get(href));
    const pageBefore = etagOf(expect, await s.api.get(s.urls.users));

    expectHal(expect, await s.api.call("PATCH", href, { displayName: "Jane D." }));
    const changed = await s.api.call("GET", href, undefined, { "If-None-Match": before });
    const after = etagOf(expect, changed);
    expect(after).not.toBe(before);
    expect(UserResource.parse(changed.body).displayName).toBe("Jane D.");
    const pageChanged = await s.api.call("GET", s.urls.users, undefined, { "If-None-Match": pageBefore });
    expect(etagOf(expect, pageChanged)).not.toBe(pageBefore);
    expect(pageChanged.body._embedded.users[0].displayName).toBe("Jane D.");
    expect((await s.api.call("GET", href, undefined, { "If-None-Match": after })).status).toBe(304);

    // A digest of the bytes: the old representation back, the old tag back.
    expectHal(expect, await s.api.call("PATCH", href, { displayName: user.displayName }));
    expect(etagOf(expect, await s.api.get(href))).toBe(before);
    expect(etagOf(expect, await s.api.get(s.urls.users))).toBe(pageBefore);
  });

  it("a 304 keeps the request's X-D1-Bookmark", async ({ expect }) => {
    const { s, user } = await fixture();
    const full = await s.api.get(user._links.self.href);
    const tag = etagOf(expect, full);
    const bookmark = full.headers.get("X-D1-Bookmark") ?? "(none)";
    expect(bookmark).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/);
    const cached = await s.api.call("GET", user._links.self.href, undefined, { "If-None-Match": tag, "X-D1-Bookmark": bookmark });
    expectNotModified(expect, cached, tag, full, "with a bookmark");
    expect((cached.headers.get("X-D1-Bookmark") ?? "") >= bookmark).toBe(true);
  });

  it("only a 200 is tagged: 201, 400 and 404 carry no ETag, and If-None-Match: * does not make a 404 a 304", async ({ expect }) => {
    const { s } = await fixture();
    const created = await s.api.post(s.urls.users, { name: "john" });
    expectHal(expect, created, 201);
    expect(created.headers.get("ETag")).toBeNull();
    const missing = `${s.urls.users}/999999`;
    for (const headers of [{}, { "If-None-Match": "*" }, { "If-None-Match": UNKNOWN_TAG }] as Record<string, string>[]) {
      const res = await s.api.call("GET", missing, undefined, headers);
      expectError(expect, res, 404);
      expect(res.headers.get("ETag")).toBeNull();
    }
    const invalid = await s.api.call("GET", `${s.urls.users}?size=0`, undefined, { "If-None-Match": "*" });
    expectError(expect, invalid, 400);
    expect(invalid.headers.get("ETag")).toBeNull();
  });

  it("JWKS and the OpenAPI document say how long they may be cached, also on a 304", async ({ expect }) => {
    const { gets } = await fixture();
    const jwks = await gets.JWKS!();
    expect(jwks.headers.get("Cache-Control")).toBe("public, max-age=300");
    expect((await gets.JWKS!({ "If-None-Match": etagOf(expect, jwks) })).headers.get("Cache-Control")).toBe("public, max-age=300");
    // The document changes only with a deployment (or another host asking): public, and fresh for a while.
    const doc = await gets["OpenAPI document"]!();
    const cacheControl = doc.headers.get("Cache-Control") ?? "(none)";
    expect(cacheControl).toMatch(/\bpublic\b/);
    expect(cacheControl).toMatch(/\bmax-age=\d+\b/);
    expect((await gets["OpenAPI document"]!({ "If-None-Match": etagOf(expect, doc) })).headers.get("Cache-Control")).toBe(cacheControl);
  });
});

describe("If-Match on PUT and PATCH of a user", () => {
  const METHODS = ["PUT", "PATCH"] as const;

  it.for(METHODS)("%s with the current tag (alone, in a list, or *) → 200 with the change", async (method, { expect }) => {
    const { s, user } = await fixture();
    const href = user._links.self.href;
    for (const [i, ifMatch] of [(t: string) => t, (t: string) => `${UNKNOWN_TAG}, ${t}`, () => "*"].entries()) {
      const tag = etagOf(expect, await s.api.get(href));
      const res = await s.api.call(method, href, { displayName: `Jane ${i}` }, { "If-Match": ifMatch(tag) });
      expectHal(expect, res);
      expect(UserResource.parse(res.body)).toEqual({ ...user, displayName: `Jane ${i}` });
      expect(UserResource.parse((await s.api.get(href)).body).displayName).toBe(`Jane ${i}`);
    }
  });

  it.for(METHODS)(
    "%s with a stale, unknown, weak or malformed tag → 412 naming the current tag, and the user unchanged",
    async (method, { expect }) => {
      const { s, user } = await fixture();
      const href = user._links.self.href;
      const stale = etagOf(expect, await s.api.get(href));
      expectHal(expect, await s.api.call("PATCH", href, { displayName: "Jane D." }));
      const current = await s.api.get(href);
      const tag = etagOf(expect, current);
      for (const ifMatch of [stale, UNKNOWN_TAG, `W/${tag}`, `W/"x", W/${tag}`, tag.slice(1, -1), `"${tag}"`]) {
        const res = await s.api.call(method, href, { displayName: "lost update", isGuest: true }, { "If-Match": ifMatch });
        const body = expectError(expect, res, 412, "PreconditionFailedError");
        expect(body.properties?.["If-Match"], `If-Match: ${ifMatch}`).toContain(tag);
        const now = await s.api.get(href);
        expect(now.body).toEqual(current.body);
        expect(now.headers.get("ETag")).toBe(tag);
      }
    },
  );

  it.for(METHODS)("%s with If-Match on a missing user → 404, not 412", async (method, { expect }) => {
    const { s, user } = await fixture();
    const tag = etagOf(expect, await s.api.get(user._links.self.href));
    expectHal(expect, await s.api.del(user._links.self.href));
    for (const ifMatch of [tag, "*", UNKNOWN_TAG]) {
      expectError(expect, await s.api.call(method, user._links.self.href, { displayName: "x" }, { "If-Match": ifMatch }), 404);
      expectError(expect, await s.api.call(method, `${s.urls.users}/999999`, { displayName: "x" }, { "If-Match": ifMatch }), 404);
    }
  });

  it.for(METHODS)("%s without If-Match works as before, even after the user changed", async (method, { expect }) => {
    const { s, user } = await fixture();
    const href = user._links.self.href;
    expectHal(expect, await s.api.call("PATCH", href, { displayName: "first" }));
    const res = await s.api.call(method, href, { displayName: "second" });
    expectHal(expect, res);
    expect(UserResource.parse(res.body).displayName).toBe("second");
  });
});

describe("If-Match on DELETE", () => {
  /** A user, a channel and a message, each with a tag that is not its current one (an earlier version's or a sibling's). */
  const deletables = async (expect: ExpectStatic) => {
    const { s, user, channel, message } = await fixture();
    const userStale = etagOf(expect, await s.api.get(user._links.self.href));
    expectHal(expect, await s.api.call("PATCH", user._links.self.href, { displayName: "changed" }));
    const otherChannel = ChannelResource.parse(await s.createChannel("PUBLIC", "other"));
    const [otherMessage] = await postAll(s.api, channel, ["another"]);
    return {
      s,
      // The message before its channel: deleting a channel deletes its messages.
      targets: [
        { what: "message", href: message._links.self!.href, stale: etagOf(expect, await s.api.get(otherMessage!._links.self!.href)) },
        { what: "user", href: user._links.self.href, stale: userStale },
        { what: "channel", href: channel._links.self.href, stale: etagOf(expect, await s.api.get(otherChannel._links.self.href)) },
      ],
    };
  };

  it("a stale or weak tag → 412 and the resource is still there; the current tag → 200 and it is gone", async ({ expect }) => {
    const { s, targets } = await deletables(expect);
    for (const { what, href, stale } of targets) {
      const before = await s.api.get(href);
      const tag = etagOf(expect, before);
      for (const ifMatch of [stale, `W/${tag}`, UNKNOWN_TAG]) {
        const refused = await s.api.call("DELETE", href, undefined, { "If-Match": ifMatch });
        const body = expectError(expect, refused, 412, "PreconditionFailedError");
        expect(body.properties?.["If-Match"], `${what}, If-Match: ${ifMatch}`).toContain(tag);
        const still = await s.api.get(href);
        expect(still.status, what).toBe(200);
        expect(still.body).toEqual(before.body);
      }
      expectHal(expect, await s.api.call("DELETE", href, undefined, { "If-Match": tag }));
      expectError(expect, await s.api.get(href), 404);
    }
  });

  it("* → 200 and gone; If-Match on what is already gone → 404", async ({ expect }) => {
    const { s, targets } = await deletables(expect);
    for (const { href } of targets) {
      const tag = etagOf(expect, await s.api.get(href));
      expectHal(expect, await s.api.call("DELETE", href, undefined, { "If-Match": "*" }));
      expectError(expect, await s.api.get(href), 404);
      for (const ifMatch of [tag, "*"]) expectError(expect, await s.api.call("DELETE", href, undefined, { "If-Match": ifMatch }), 404);
    }
  });

  it("without If-Match a DELETE works as before", async ({ expect }) => {
    const { s, targets } = await deletables(expect);
    for (const { href } of targets) {
      expectHal(expect, await s.api.del(href));
      expectError(expect, await s.api.get(href), 404);
    }
  });
});

describe("two writes from the same copy", () => {
  it("concurrent PATCHes with the same If-Match: exactly one 200, the other 412, and the winner's change is what stays", async ({
    expect,
  }) => {
    const { s, user } = await fixture();
    const href = user._links.self.href;
    for (let round = 0; round < 12; round++) {
      const tag = etagOf(expect, await s.api.get(href));
      // Half the rounds start both at once, half a few milliseconds apart (other interleavings).
      const patch = async (name: string, method = "PATCH") => {
        if (round % 2) await sleep(Math.random() * 6);
        return { name, res: await s.api.call(method, href, { displayName: name }, { "If-Match": tag }) };
      };
      const answers = await Promise.all([patch(`a${round}`), patch(`b${round}`, round % 3 === 0 ? "PUT" : "PATCH")]);
      const statuses = answers.map(({ res }) => res.status).sort();
      expect(statuses, answers.map(({ res }) => brief(res)).join(" | ")).toEqual([200, 412]);
      for (const { res } of answers) if (res.status === 412) expectError(expect, res, 412, "PreconditionFailedError");
      const winner = answers.find(({ res }) => res.status === 200)!;
      expect(UserResource.parse((await s.api.get(href)).body).displayName).toBe(winner.name);
    }
  }, 30_000);

  it("a DELETE racing a PATCH with the same If-Match: never both 200, and a DELETE that lost leaves the user as patched", async ({
    expect,
  }) => {
    const s = await setup();
    for (let round = 0; round < 8; round++) {
      const user = UserResource.parse(await s.createUser(`racer-${round}`));
      const href = user._links.self.href;
      const tag = etagOf(expect, await s.api.get(href));
      const late = async () => {
        if (round % 2) await sleep(Math.random() * 6);
      };
      const [patched, deleted] = await Promise.all([
        late().then(() => s.api.call("PATCH", href, { displayName: `renamed-${round}` }, { "If-Match": tag })),
        late().then(() => s.api.call("DELETE", href, undefined, { "If-Match": tag })),
      ]);
      const why = `${brief(patched)} | ${brief(deleted)}`;
      if (deleted.status === 200) {
        // The delete won: the PATCH found no user (404) or a changed one (412), never a 200.
        expect([404, 412], why).toContain(patched.status);
        expectError(expect, await s.api.get(href), 404);
      } else {
        expect(patched.status, why).toBe(200);
        expectError(expect, deleted, 412, "PreconditionFailedError");
        expect(UserResource.parse((await s.api.get(href)).body).displayName).toBe(`renamed-${round}`);
      }
    }
  }, 30_000);
});

describe("If-Match on PUT /v1/application/settings", () => {
  const SETTINGS = "/v1/application/settings";

  it("with the current tag (or *) → 200 with the change; with a stale or unknown one → 412 and nothing changed", async ({ expect }) => {
    const { s } = await fixture();
    const tag = etagOf(expect, await s.api.get(SETTINGS));
    const changed = await s.api.call("PUT", SETTINGS, { guestUsers: "DISABLED", userCreatedChannels: "ENABLED" }, { "If-Match": tag });
    expectHal(expect, changed);
    expect(changed.body).toMatchObject({ guestUsers: "DISABLED", userCreatedChannels: "ENABLED" });
    const current = await s.api.get(SETTINGS);
    const now = etagOf(expect, current);
    for (const ifMatch of [tag, UNKNOWN_TAG, `W/${now}`]) {
      const res = await s.api.call("PUT", SETTINGS, { guestUsers: "ENABLED", userCreatedChannels: "DISABLED" }, { "If-Match": ifMatch });
      const body = expectError(expect, res, 412, "PreconditionFailedError");
      expect(body.properties?.["If-Match"], ifMatch).toContain(now);
      expect((await s.api.get(SETTINGS)).body).toEqual(current.body);
    }
    const any = await s.api.call("PUT", SETTINGS, { guestUsers: "ENABLED", userCreatedChannels: "DISABLED" }, { "If-Match": "*" });
    expect(any.body).toMatchObject({ guestUsers: "ENABLED", userCreatedChannels: "DISABLED" });
  });

  it("two writers holding the same tag: exactly one wins, the other gets 412 (no lost update)", async ({ expect }) => {
    const { s } = await fixture();
    const tag = etagOf(expect, await s.api.get(SETTINGS));
    const bodies = [
      { guestUsers: "DISABLED", userCreatedChannels: "ENABLED" },
      { guestUsers: "ENABLED", userCreatedChannels: "DISABLED" },
    ];
    const results = await Promise.all(bodies.map((body) => s.api.call("PUT", SETTINGS, body, { "If-Match": tag })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = results.find((r) => r.status === 200)!;
    expect((await s.api.get(SETTINGS)).body).toEqual(winner.body);
  });
});
