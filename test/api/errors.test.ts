import { describe, it } from "vitest";
import { fetchWorker, newApplication, setup, tokenFor, type ApiResponse } from "../helpers/api";
import { expectError, expectHal, expectInvalidField } from "../helpers/checks";

/** A raw request through the Worker, with full control of headers and body. */
const raw = async (url: string, init: RequestInit = {}): Promise<ApiResponse & { text: string }> => {
  const res = await fetchWorker(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep text */
  }
  return { status: res.status, headers: res.headers, body, text };
};

const LEAKS = /stack|sqlite|\bsql\b|D1_|drizzle|\bat [\w.<>]+ \(|\.ts:\d+/i;

describe("unknown routes", () => {
  it("answers /nope (no token needed) with a 404 JSON error body {error, message, timestamp}", async ({ expect }) => {
    const res = await raw("/nope");
    const err = expectError(expect, res, 404);
    expect(Object.keys(err).sort()).toEqual(["error", "message", "timestamp"]);
  });

  it("answers /v1/nope with a valid token with a 404 JSON error", async ({ expect }) => {
    const { api, urls } = await setup();
    expectError(expect, await api.get("/v1/nope"), 404);
    expectError(expect, await api.get(`${urls.app}/nope`), 404);
    expectError(expect, await api.get(`${urls.users}/1/nope`), 404);
  });

  it("answers /v1/nope without a token with 401 (authentication before routing)", async ({ expect }) => {
    const res = await raw("/v1/nope");
    expectError(expect, res, 401);
    expect(res.headers.get("WWW-Authenticate") ?? "").toMatch(/^Bearer\b/);
  });
});

describe("405 Method Not Allowed", () => {
  const allowOf = (res: ApiResponse) =>
    (res.headers.get("Allow") ?? "")
      .split(",")
      .map((m) => m.trim().toUpperCase())
      .filter(Boolean);

  it("answers PUT on the users collection with 405 and Allow: GET, POST", async ({ expect }) => {
    const { api, urls } = await setup();
    const res = await api.call("PUT", urls.users, { name: "x" });
    expectError(expect, res, 405);
    const allow = allowOf(res);
    expect(allow).toEqual(expect.arrayContaining(["GET", "POST"]));
    expect(allow).not.toContain("PUT");
    expect(allow).not.toContain("DELETE");
  });

  it("answers PATCH on a channel with 405 and Allow: GET, DELETE", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = await createChannel("PUBLIC", "unchanged");
    const res = await api.call("PATCH", channel._links.self.href, { name: "renamed" });
    expectError(expect, res, 405);
    const allow = allowOf(res);
    expect(allow).toEqual(expect.arrayContaining(["GET", "DELETE"]));
    expect(allow).not.toContain("PATCH");
    expect(allow).not.toContain("POST");
    // and nothing changed
    expect((await api.get(channel._links.self.href)).body.name).toBe("unchanged");
  });

  it("answers PUT on a channel with 405 and Allow: GET, DELETE", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = await createChannel("PRIVATE", "unchanged");
    const res = await api.call("PUT", channel._links.self.href, { type: "PRIVATE", name: "renamed" });
    expectError(expect, res, 405);
    const allow = allowOf(res);
    expect(allow).toEqual(expect.arrayContaining(["GET", "DELETE"]));
    expect(allow).not.toContain("PUT");
    expect((await api.get(channel._links.self.href)).body.name).toBe("unchanged");
  });

  it("lists PUT and PATCH in Allow for a user (POST there is 405)", async ({ expect }) => {
    const { api, createUser } = await setup();
    const user = await createUser();
    const res = await api.call("POST", user._links.self.href, { name: "x" });
    expectError(expect, res, 405);
    const allow = allowOf(res);
    expect(allow).toEqual(expect.arrayContaining(["GET", "PUT", "PATCH", "DELETE"]));
    expect(allow).not.toContain("POST");
  });

  it("answers POST on a message and DELETE on /v1/applications/me with 405 and the real methods", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = await createChannel("PUBLIC");
    const message = (await api.post(channel._links.messages.href, { body: "x" })).body;
    const onMessage = await api.call("POST", message._links.self.href, { body: "y" });
    expectError(expect, onMessage, 405);
    expect(allowOf(onMessage)).toEqual(expect.arrayContaining(["GET", "DELETE"]));
    expect(allowOf(onMessage)).not.toContain("POST");

    const onMe = await api.call("DELETE", "/v1/applications/me");
    expectError(expect, onMe, 405);
    expect(allowOf(onMe)).toContain("GET");
    expect(allowOf(onMe)).not.toContain("DELETE");
    expectHal(expect, await api.get("/v1/applications/me"));
  });

  it("answers a wrong method without a token with 401, not 405", async ({ expect }) => {
    const { urls } = await setup();
    expectError(expect, await raw(urls.users, { method: "PUT" }), 401);
  });
});

describe("406 Not Acceptable", () => {
  it.for(["text/html", "application/xml", "text/plain, text/html;q=0.9", "application/json;q=0"])(
    "answers Accept: %s with 406",
    async (accept, { expect }) => {
      const { api } = await setup();
      expectError(expect, await api.call("GET", "/v1/applications/me", undefined, { Accept: accept }), 406);
    },
  );

  it.for([
    "application/hal+json",
    "application/json",
    "*/*",
    "application/*",
    "text/html, application/json;q=0.5",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  ])("serves Accept: %s", async (accept, { expect }) => {
    const { api } = await setup();
    expectHal(expect, await api.call("GET", "/v1/applications/me", undefined, { Accept: accept }));
  });

  it("serves a request without an Accept header", async ({ expect }) => {
    const { api } = await setup();
    const req = await api.call("GET", "/v1/applications/me");
    expectHal(expect, req);
  });
});

describe("request bodies", () => {
  const MIB = 1024 * 1024;

  it("answers a JSON body over 1 MiB with a 413 JSON error", async ({ expect }) => {
    const { api, urls } = await setup();
    const res = await api.call("POST", urls.users, JSON.stringify({ name: "x".repeat(MIB + 10) }));
    expectError(expect, res, 413);
  });

  it("answers a streamed body over 1 MiB (no Content-Length) with 413", async ({ expect }) => {
    const app = await newApplication();
    const token = await tokenFor(app);
    const url = `/v1/applications/${app.id}/users`;
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"name":"'));
        if (sent > MIB + chunk.length) {
          controller.enqueue(new TextEncoder().encode('"}'));
          controller.close();
          return;
        }
        controller.enqueue(chunk);
        sent += chunk.length;
      },
    });
    const res = await fetchWorker(url, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: stream,
    });
    expect(res.status).toBe(413);
    expect(res.headers.get("Content-Type") ?? "").toMatch(/^application\/json\b/);
  });

  it("does not refuse a body of exactly 1 MiB as too large", async ({ expect }) => {
    const { api, urls } = await setup();
    const prefix = '{"name":"';
    const suffix = '"}';
    const body = prefix + "x".repeat(MIB - prefix.length - suffix.length) + suffix;
    expect(new TextEncoder().encode(body).length).toBe(MIB);
    // Too long a name, so a 400, but not a 413.
    expectInvalidField(expect, await api.call("POST", urls.users, body), "name");
  });

  it("answers a token request over 1 MiB with 413, never 500", async ({ expect }) => {
    const res = await raw("/oauth/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `grant_type=client_credentials&pad=${"x".repeat(MIB)}`,
    });
    expect(res.status).toBe(413);
  });

  it.for(["text/plain", "application/x-www-form-urlencoded", "application/xml"])(
    "answers a body sent as %s with 415",
    async (type, { expect }) => {
      const { api, urls } = await setup();
      const res = await api.call("POST", urls.users, JSON.stringify({ name: "typed" }), { "Content-Type": type });
      expectError(expect, res, 415);
      expect((await api.get(urls.users)).body.page.totalElements).toBe(0);
    },
  );

  it.for(["application/hal+json", "application/json; charset=utf-8", "Application/JSON"])(
    "accepts a body sent as %s",
    async (type, { expect }) => {
      const { api, urls } = await setup();
      const res = await api.call("POST", urls.users, JSON.stringify({ name: "typed" }), { "Content-Type": type });
      expectHal(expect, res, 201);
    },
  );

  it.for([
    ["truncated", '{"name": "x"'],
    ["the seed's comma-less channel example", '{\n    "type": "OPEN"\n    "name": "Open Chat"\n}'],
    ["single quotes", "{'name': 'x'}"],
    ["trailing comma", '{"name": "x",}'],
    ["empty", ""],
  ])("answers malformed JSON (%s) with a 400 JSON error", async ([_label, body], { expect }) => {
    const { api, urls } = await setup();
    expectError(expect, await api.call("POST", urls.users, body, { "Content-Type": "application/json" }), 400);
    expectError(expect, await api.call("POST", urls.channels, body, { "Content-Type": "application/json" }), 400);
  });

  it.for(["[]", '"x"', "null", "42", "true", '[{"name":"x"}]'])("answers the non-object JSON %s with 400", async (body, { expect }) => {
    const { api, urls, createChannel } = await setup();
    expectError(expect, await api.call("POST", urls.users, body), 400);
    expectError(expect, await api.call("POST", urls.channels, body), 400);
    const channel = await createChannel("PUBLIC");
    expectError(expect, await api.call("POST", channel._links.messages.href, body), 400);
    expect((await api.get(urls.users)).body.page.totalElements).toBe(0);
  });
});

describe("X-Request-Id", () => {
  it("is set on successful and failed responses, and differs between requests", async ({ expect }) => {
    const { api, urls } = await setup();
    const responses = [
      await api.get("/v1"),
      await api.post(urls.users, { name: "rid" }),
      await api.post(urls.users, { name: "" }),
      await api.get(`${urls.users}/abc`),
      await raw("/v1"),
      await raw("/nope"),
    ];
    const ids = responses.map((r) => r.headers.get("X-Request-Id"));
    for (const id of ids) expect(id, JSON.stringify(ids)).toMatch(/\S/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("no internal detail in error bodies", () => {
  it("never shows a stack trace, SQL or driver text for bad inputs", async ({ expect }) => {
    const { api, urls, createChannel, createUser } = await setup();
    const other = await setup();
    const channel = await createChannel("PUBLIC");
    await createUser("taken");
    const injection = "x'); DROP TABLE users; --";
    expectHal(expect, await api.post(urls.users, { name: injection }), 201);
    const tries: ApiResponse[] = [
      await api.post(urls.users, { name: "taken" }),
      await api.post(urls.users, { name: injection }),
      await api.post(urls.users, { name: "\u0000" }),
      await api.post(urls.users, { name: { $ne: 1 } }),
      await api.call("POST", urls.users, "{bad json"),
      await api.call("POST", urls.users, "[1,2]"),
      await api.get(`${urls.users}?page=99999999999999999999`),
      await api.get(`${urls.users}?page=999999999999999`),
      await api.get(`${urls.users}?size=-5`),
      await api.get(`${urls.users}/99999999999999999999`),
      await api.get(`${urls.users}/9007199254740993`),
      await api.get(`${urls.users}/1%27%20OR%201=1`),
      await api.get(`${channel._links.messages.href}?start=999999999999999999999`),
      await api.get(`${channel._links.messages.href}?start=0&relation=NEXT`),
      await api.get(`${channel._links.messages.href}?start=%27&relation=SELF`),
      await api.post(channel._links.messages.href, { body: "x".repeat(10_001) }),
      await api.post(`${urls.channels}/999999999/messages`, { body: "x" }),
      await api.post(urls.channels, { type: "OPEN; DROP", name: "x" }),
      await api.get(other.urls.users),
      await api.call("PUT", urls.users, { name: "x" }),
      await raw("/v1/applications/me", { headers: { Authorization: "Bearer not.a.jwt" } }),
    ];
    for (const res of tries) {
      const text = JSON.stringify(res.body ?? "");
      expect(res.status, text).toBeLessThan(500);
      expect(text).not.toMatch(LEAKS);
    }
    // the users table is still there
    expectHal(expect, await api.get(urls.users));
  });
});

describe("X-Request-Id outside the JSON API", () => {
  it("is on file downloads and upload answers too", async ({ expect }) => {
    const res = await fetchWorker("/stompx/v1/files/1/1/00000000-0000-0000-0000-000000000000/none.txt");
    expect(res.status).toBe(404);
    expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    const upload = await fetchWorker("/stompx/v1/channels/1/messages", { method: "POST" });
    expect(upload.status).toBe(401);
    expect(upload.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
