/**
 * Authenticated chat sessions: when an application has `requireAuthenticatedSessions`, a session
 * must name an existing user and present one of that user's challenge tokens in the SDK's
 * `stompx_auth_params` (`encodeURIComponent(JSON.stringify({token}))`); anything else is refused
 * with a STOMP ERROR `AccessDeniedError` after CONNECT, as the SDK expects. Through real WebSockets
 * on the Worker's own fetch handler, like session-handshake.test.ts. Each test makes its own
 * application.
 */
import { FrameImpl } from "@stomp/stompjs/esm6/frame-impl.js";
import { Parser } from "@stomp/stompjs/esm6/parser.js";
import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, it, type ExpectStatic } from "vitest";
import { createDb, openSession } from "../../src/db/client";
import { applications } from "../../src/db/schema";
import { TokenResource } from "../../src/api/tokens/tokens.schemas";
import { UserPage, UserResource } from "../../src/api/users/users.schemas";
import { ORIGIN, setup } from "../helpers/api";

interface ServerFrame {
  command: string;
  headers: Record<string, string>;
  body: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const utf8 = new TextEncoder();

/** A frame as the SDK sends it: stompjs marshalling, as binary. */
const sdkFrame = (command: string, headers: Record<string, string>): Uint8Array => {
  const raw = FrameImpl.marshall({ command, headers, body: "", escapeHeaderValues: command !== "CONNECT", skipContentLengthHeader: false });
  return typeof raw === "string" ? utf8.encode(raw) : new Uint8Array(raw);
};

/** The client end of one chat-session socket, reading frames with the SDK's STOMP parser. */
class Client {
  readonly frames: ServerFrame[] = [];
  closed: { code: number } | undefined;
  private readonly parser = new Parser(
    (raw) => {
      const frame = FrameImpl.fromRawFrame(raw, true);
      this.frames.push({ command: frame.command, headers: { ...frame.headers } as Record<string, string>, body: frame.body });
    },
    () => {},
  );

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("message", (e) => this.parser.parseChunk(e.data as string | ArrayBuffer, true));
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code };
    });
  }

  send(command: string, headers: Record<string, string>) {
    this.ws.send(sdkFrame(command, headers));
  }

  async take(what: string, pred: (f: ServerFrame) => boolean, ms = 3000): Promise<ServerFrame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms; frames: ${JSON.stringify(this.frames).slice(0, 1000)}`);
      await sleep(10);
    }
  }

  async waitClosed(ms = 3000) {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await sleep(10);
    return this.closed;
  }

  close() {
    try {
      this.ws.close(1000, "test done");
    } catch {
      /* already closed */
    }
  }
}

/** The query string the SDK builds; `authParams` as a raw string lets tests send malformed ones. */
const sessionQuery = (key: string, user: string, authParams?: unknown) =>
  `api_key=${encodeURIComponent(key)}&stompx_user=${encodeURIComponent(user)}` +
  (authParams === undefined
    ? ""
    : `&stompx_auth_params=${encodeURIComponent(typeof authParams === "string" ? authParams : JSON.stringify(authParams))}`);

/** Opens a session and sends CONNECT; the upgrade is always 101 (refusals come in STOMP). */
const start = async (key: string, user: string, authParams?: unknown) => {
  const res = await exports.default.fetch(
    new Request(`${ORIGIN}/stompx/websocket?${sessionQuery(key, user, authParams)}`, {
      headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": "v12.stomp" },
    }),
  );
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade answered ${res.status}: ${await res.text()}`);
  const client = new Client(res.webSocket);
  client.send("CONNECT", { "accept-version": "1.2", "heart-beat": "5000,5000" });
  return client;
};

/** CONNECT was refused: ERROR with the SDK's `AccessDeniedError` body, no CONNECTED, then close. */
const expectDenied = async (expect: ExpectStatic, client: Client) => {
  const frame = await client.take("CONNECTED or ERROR", (f) => f.command === "CONNECTED" || f.command === "ERROR");
  expect(frame.command).toBe("ERROR");
  const body = JSON.parse(frame.body);
  expect(body).toMatchObject({ error: "AccessDeniedError" });
  expect(typeof body.message).toBe("string");
  expect(await client.waitClosed()).toBeDefined();
};

/** CONNECTED, then the `me` relay: who the session is. */
const expectSessionOf = async (expect: ExpectStatic, client: Client) => {
  const frame = await client.take("CONNECTED or ERROR", (f) => f.command === "CONNECTED" || f.command === "ERROR");
  expect(frame.command, frame.body).toBe("CONNECTED");
  const sid = `subscription-id-me-${crypto.randomUUID()}`;
  client.send("SUBSCRIBE", { id: sid, destination: "/application/v1/users/me.relay", ack: "auto" });
  const reply = await client.take("me relay", (f) => f.command === "MESSAGE" && f.headers.subscription === sid);
  return JSON.parse(reply.body).resource as { id: number; name: string };
};

const requireAuthenticatedSessions = (applicationId: number, on: boolean) =>
  createDb(openSession(env.DB)).update(applications).set({ requireAuthenticatedSessions: on }).where(eq(applications.id, applicationId));

/** An application (setting on unless told) with a user holding one token. */
const authenticatedApp = async (on = true) => {
  const ctx = await setup();
  if (on) await requireAuthenticatedSessions(ctx.app.id, true);
  const newUserWithToken = async () => {
    const user = UserResource.parse(await ctx.createUser(`jane-${crypto.randomUUID()}`));
    const res = await ctx.api.call("POST", user._links.tokens.href);
    if (res.status !== 201) throw new Error(`create token: ${res.status} ${JSON.stringify(res.body)}`);
    return { user, token: TokenResource.parse(res.body) };
  };
  return { ...ctx, newUserWithToken, ...(await newUserWithToken()) };
};

const userCount = async (api: Awaited<ReturnType<typeof setup>>["api"], usersHref: string) =>
  UserPage.parse((await api.get(usersHref)).body).page.totalElements;

describe("requireAuthenticatedSessions on", () => {
  it("the application resource says so", async ({ expect }) => {
    const { api, urls } = await authenticatedApp();
    expect((await api.get(urls.app)).body).toMatchObject({ requireAuthenticatedSessions: true });
  });

  it("the right token: CONNECTED, and me.relay answers that user", async ({ expect }) => {
    const { app, user, token } = await authenticatedApp();
    const client = await start(app.key, user.name, { token: token.token });
    const me = await expectSessionOf(expect, client);
    expect(me).toMatchObject({ id: user.id, name: user.name });
    client.close();
  });

  it("any of the user's tokens works, extra authParams fields are ignored", async ({ expect }) => {
    const { app, api, user, token } = await authenticatedApp();
    const second = TokenResource.parse((await api.call("POST", user._links.tokens.href)).body);
    for (const t of [token, second]) {
      const client = await start(app.key, user.name, { token: t.token, extra: [1, 2] });
      expect((await expectSessionOf(expect, client)).id).toBe(user.id);
      client.close();
    }
  });

  it.for<[string, (t: string) => unknown]>([
    ["no authParams", () => undefined],
    ["authParams without a token", () => ({})],
    ["a wrong token", () => ({ token: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" })],
    ["an empty token", () => ({ token: "" })],
    ["the token with a different case", (t) => ({ token: t.toUpperCase() === t ? t.toLowerCase() : t.toUpperCase() })],
    ["the token with a character more", (t) => ({ token: `${t}A` })],
    ["a token that is not a string", () => ({ token: 12345 })],
    ["a token inside an array", (t) => [{ token: t }]],
    ["the token as a bare JSON string", (t) => JSON.stringify(t)],
    ["JSON null", () => "null"],
    ["malformed JSON", (t) => `{"token": "${t}"`],
    ["not JSON at all", (t) => t],
    ["an overlong token", () => ({ token: "a".repeat(5000) })],
  ])("%s: ERROR AccessDeniedError, then close", async ([, authParams], { expect }) => {
    const { app, user, token } = await authenticatedApp();
    await expectDenied(expect, await start(app.key, user.name, authParams(token.token)));
  });

  it("another user's token: denied", async ({ expect }) => {
    const { app, user, newUserWithToken } = await authenticatedApp();
    const other = await newUserWithToken();
    await expectDenied(expect, await start(app.key, user.name, { token: other.token.token }));
  });

  it("an unknown user name, with or without some user's token: denied, and no user is created", async ({ expect }) => {
    const { app, api, urls, token } = await authenticatedApp();
    const before = await userCount(api, urls.users);
    const name = `stranger-${crypto.randomUUID()}`;
    await expectDenied(expect, await start(app.key, name));
    await expectDenied(expect, await start(app.key, name, { token: token.token }));
    expect(await userCount(api, urls.users)).toBe(before);
    expect((await api.get(`${urls.users}?name=${encodeURIComponent(name)}`)).body._embedded.users).toEqual([]);
  });

  it("a revoked token: denied", async ({ expect }) => {
    const { app, api, user, token } = await authenticatedApp();
    expect((await api.del(token._links.self.href)).status).toBe(200);
    await expectDenied(expect, await start(app.key, user.name, { token: token.token }));
  });

  it("a token of a same-named user in another application: denied", async ({ expect }) => {
    const a = await authenticatedApp();
    const b = await authenticatedApp();
    const twin = UserResource.parse(await b.createUser(a.user.name));
    const twinToken = TokenResource.parse((await b.api.call("POST", twin._links.tokens.href)).body);
    await expectDenied(expect, await start(a.app.key, a.user.name, { token: twinToken.token }));
    // …and each works in its own application.
    const client = await start(b.app.key, twin.name, { token: twinToken.token });
    expect((await expectSessionOf(expect, client)).id).toBe(twin.id);
    client.close();
  });

  it("turning the setting off again admits guests", async ({ expect }) => {
    const { app } = await authenticatedApp();
    await expectDenied(expect, await start(app.key, `guest-${crypto.randomUUID()}`));
    await requireAuthenticatedSessions(app.id, false);
    const client = await start(app.key, `guest-${crypto.randomUUID()}`);
    await expectSessionOf(expect, client);
    client.close();
  });
});

describe("requireAuthenticatedSessions off (the default)", () => {
  it("the application resource says so", async ({ expect }) => {
    const { api, urls } = await setup();
    expect((await api.get(urls.app)).body).toMatchObject({ requireAuthenticatedSessions: false });
  });

  it("a new name still starts a guest session", async ({ expect }) => {
    const { app, api, urls } = await setup();
    const name = `guest-${crypto.randomUUID()}`;
    const client = await start(app.key, name);
    const me = await expectSessionOf(expect, client);
    expect(me.name).toBe(name);
    const listed = UserPage.parse((await api.get(`${urls.users}?name=${encodeURIComponent(name)}`)).body)._embedded.users;
    expect(listed.map((u) => [u.id, u.isGuest])).toEqual([[me.id, true]]);
    client.close();
  });

  it.for<[string, (t: string) => unknown]>([
    ["the user's token", (t) => ({ token: t })],
    ["a wrong token", () => ({ token: "wrong" })],
    ["malformed authParams", () => "{not json"],
  ])("authParams are ignored (%s): the session starts", async ([, authParams], { expect }) => {
    const { app, user, token } = await authenticatedApp(false);
    const client = await start(app.key, user.name, authParams(token.token));
    expect((await expectSessionOf(expect, client)).id).toBe(user.id);
    client.close();
  });
});
