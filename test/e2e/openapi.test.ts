/**
 * `GET /v1/openapi.json` against `npm run dev`: a real OpenAPI validator
 * (`@readme/openapi-parser`, OpenAPI 3.1 schema plus its semantic rules) accepts the document,
 * and every response the running Worker gives below conforms to it: the status is one the
 * operation declares, the body validates (Ajv, JSON Schema 2020-12) against the schema declared
 * for that operation, status and media type, required headers are present, and no object carries
 * a field the document does not declare. Requests are matched to operations through the
 * document's own `paths`, so a new route is covered as soon as it is documented and exercised; a
 * request to an undocumented path or method fails, and so does a documented operation that this
 * suite never saw succeed. The check itself is in conformance.ts.
 */
import { compileErrors, validate } from "@readme/openapi-parser";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { beforeAll, describe, inject, it } from "vitest";
import { Conformance, HTTP_METHODS, type Doc, type Observed } from "./conformance";

const baseUrl = inject("baseUrl");

let doc: Doc;
let conformance: Conformance;
let token: string;

type CallOptions = { auth?: string | false; json?: unknown; form?: FormData; text?: [string, string]; headers?: Record<string, string> };

/** A request to the dev server whose response is checked against the document. */
const call = async (method: string, pathOrUrl: string, opts: CallOptions = {}) => {
  const url = new URL(pathOrUrl, baseUrl);
  const headers = new Headers(opts.headers);
  if (opts.auth !== false) headers.set("Authorization", `Bearer ${opts.auth ?? token}`);
  let body: BodyInit | undefined;
  let request: { contentType?: string; body?: unknown } = {};
  if (opts.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(opts.json);
    request = { contentType: "application/json", body: opts.json };
  } else if (opts.form) {
    body = opts.form;
  } else if (opts.text) {
    headers.set("Content-Type", opts.text[0]);
    body = opts.text[1];
  }
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  const parsed: unknown = /json/.test(res.headers.get("Content-Type") ?? "") ? JSON.parse(text) : text;
  conformance.check(method, url, request, { status: res.status, headersOf: res.headers }, parsed);
  return { status: res.status, headers: res.headers, body: parsed as any };
};

const getToken = async (init: RequestInit) => {
  const url = new URL("/oauth/token", baseUrl);
  const res = await fetch(url, { method: "POST", ...init });
  const body = await res.json();
  conformance.check("POST", url, {}, { status: res.status, headersOf: res.headers }, body);
  return { status: res.status, body: body as any };
};

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

/** A 1×1 PNG, for the display-picture upload. */
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

/** An application of its own (`npm run app -- create` on the dev server's database), with its credentials. */
const newApplication = (): { clientId: string; clientSecret: string } =>
  JSON.parse(
    execFileSync(
      process.execPath,
      ["scripts/app/main.ts", "create", "--name", `oas-${randomUUID()}`, "--persist-to", inject("statePath"), "--json"],
      {
        cwd: path.resolve(import.meta.dirname, "../.."),
        encoding: "utf8",
      },
    ),
  );

/** A chat session in the 2020 dialect over Node's own WebSocket: CONNECT, SUBSCRIBE with receipts, frames kept. Frames go out binary, as 1.1.1 sends them. */
const stompSession = async (apiKey: string, user: string) => {
  const url = new URL(`/stompx/websocket?api_key=${encodeURIComponent(apiKey)}&stompx_user=${encodeURIComponent(user)}`, baseUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(url, "v12.stomp");
  const frames: string[] = [];
  ws.addEventListener("message", (e) =>
    frames.push(typeof e.data === "string" ? e.data : Buffer.from(e.data as ArrayBuffer).toString("utf8")),
  );
  const waitFor = async (what: string, test: (frame: string) => boolean) => {
    for (const deadline = Date.now() + 5000; !frames.some(test); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > deadline) throw new Error(`no ${what} within 5 s; got ${JSON.stringify(frames).slice(0, 1000)}`);
    }
  };
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve);
    ws.addEventListener("error", reject);
  });
  const send = (frame: string) => ws.send(new TextEncoder().encode(frame));
  send("CONNECT\naccept-version:1.2\nhost:localhost\nheart-beat:0,0\n\n\0");
  await waitFor("CONNECTED", (f) => f.startsWith("CONNECTED"));
  let n = 0;
  return {
    subscribe: async (destination: string) => {
      n++;
      send(`SUBSCRIBE\nid:s${n}\ndestination:${destination}\nack:auto\nreceipt:r${n}\n\n\0`);
      await waitFor(`the RECEIPT of ${destination}`, (f) => f.startsWith("RECEIPT") && f.includes(`receipt-id:r${n}\n`));
    },
    received: (type: string) => waitFor(type, (f) => f.startsWith("MESSAGE") && f.includes(`"type":"${type}"`)),
    close: () => ws.close(),
  };
};

describe("the OpenAPI document of the running Worker", () => {
  beforeAll(async () => {
    const res = await fetch(`${baseUrl}/v1/openapi.json`);
    doc = (await res.json()) as Doc;
    conformance = new Conformance(doc);
  });

  it("is valid OpenAPI 3.1 according to @readme/openapi-parser", async ({ expect }) => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
    expect(result.warnings).toEqual([]);
    // The validator is not a rubber stamp: a broken copy is refused.
    const broken = structuredClone(doc) as any;
    broken.paths["/v1"].get.responses["200"] = { content: {} };
    broken.paths["/v1/applications/{applicationId}"].get.parameters = [];
    expect((await validate(broken)).valid).toBe(false);
  });

  it("names the client-credentials token URL of this server, and documents itself", async ({ expect }) => {
    const scheme = (doc.components as any).securitySchemes.oauth2;
    expect(scheme.flows.clientCredentials.tokenUrl).toBe(`${baseUrl}/oauth/token`);
    expect(doc.servers[0]!.url).toBe(baseUrl);
    await call("GET", "/v1/openapi.json", { auth: false });
    await call("GET", "/.well-known/jwks.json", { auth: false });
    await call("GET", "/healthz", { auth: false });
  });

  it("matches concrete paths to templates, literal segments first", ({ expect }) => {
    expect(conformance.templateOf("/v1/applications/me")).toBe("/v1/applications/me");
    expect(conformance.templateOf("/v1/applications/7")).toBe("/v1/applications/{applicationId}");
    expect(conformance.templateOf("/v1/applications/7/users/3/tokens/abc")).toBe(
      "/v1/applications/{applicationId}/users/{userId}/tokens/{token}",
    );
    expect(conformance.templateOf("/v1/nothing/here")).toBeUndefined();
  });

  it("the conformance check refuses what the document does not say", ({ expect }) => {
    const seenBefore = new Set(conformance.seen);
    const ok = { status: 200, headersOf: new Headers({ "Content-Type": "application/hal+json" }) };
    const root = { _links: { self: { href: `${baseUrl}/v1` }, application: { href: `${baseUrl}/v1/applications/me` } } };
    const check =
      (path: string, res: Observed, body: unknown, method = "GET") =>
      () =>
        conformance.check(method, new URL(path, baseUrl), {}, res, body);
    expect(check("/v1", ok, root)).not.toThrow();
    expect(check("/v1", ok, { ...root, extra: 1 })).toThrow(/does not match/);
    expect(check("/v1", ok, { _links: { self: root._links.self } })).toThrow(/does not match/);
    expect(check("/v1", { ...ok, status: 418 }, root)).toThrow(/status not declared/);
    expect(check("/v1", { ...ok, headersOf: new Headers({ "Content-Type": "text/plain" }) }, root)).toThrow(/media type/);
    expect(check("/v1?debug=1", ok, root)).toThrow(/query parameter debug/);
    expect(check("/v2", ok, root)).toThrow(/no documented path/);
    expect(check("/v1", ok, root, "PUT")).toThrow(/not documented/);
    const unauthorized = { status: 401, headersOf: new Headers({ "Content-Type": "application/json" }) };
    const error = { error: "UnauthorizedError", message: "no", timestamp: new Date().toISOString() };
    expect(check("/v1", unauthorized, error)).toThrow(/required header WWW-Authenticate/);
    expect(
      check(
        "/v1",
        { ...unauthorized, headersOf: new Headers({ "Content-Type": "application/json", "WWW-Authenticate": "Bearer" }) },
        { ...error, error: "Nope" },
      ),
    ).toThrow(/does not match/);
    // These were not responses of the Worker: they count for nothing.
    conformance.seen.clear();
    for (const s of seenBefore) conformance.seen.add(s);
  });

  it("token endpoint: 200, 400 and 401 bodies conform", async ({ expect }) => {
    const form = (fields: Record<string, string>) => new URLSearchParams(fields);
    const ok = await getToken({
      headers: { Authorization: basic("acme", "acmesecret") },
      body: form({ grant_type: "client_credentials" }),
    });
    expect(ok.status).toBe(200);
    token = ok.body.access_token;
    const viaForm = await getToken({ body: form({ grant_type: "client_credentials", client_id: "acme", client_secret: "acmesecret" }) });
    expect(viaForm.status).toBe(200);
    expect(
      (await getToken({ headers: { Authorization: basic("acme", "acmesecret") }, body: form({ grant_type: "password" }) })).status,
    ).toBe(400);
    expect(
      (await getToken({ headers: { Authorization: basic("acme", "wrong") }, body: form({ grant_type: "client_credentials" }) })).status,
    ).toBe(401);
    expect(
      (await getToken({ headers: { Authorization: basic("acme", "acmesecret"), "Content-Type": "application/json" }, body: "{}" })).status,
    ).toBe(400);
  });

  it("walks the whole API: every response conforms", async ({ expect }) => {
    expect((await call("GET", "/v1")).status).toBe(200);
    const app = await call("GET", "/v1/applications/me");
    const appId: number = app.body.id;
    const a = `/v1/applications/${appId}`;
    expect((await call("GET", a)).status).toBe(200);

    // Users.
    const names = [0, 1, 2].map((i) => `oas-${i}-${randomUUID()}`);
    const users = [];
    for (const name of names) {
      const created = await call("POST", `${a}/users`, { json: { name, displayName: `User ${name}` } });
      expect(created.status).toBe(201);
      users.push(created.body as { id: number; _links: { self: { href: string } } });
    }
    const [u0, u1, u2] = users as [(typeof users)[0], (typeof users)[0], (typeof users)[0]];
    let page = await call("GET", `${a}/users?page=0&size=1`);
    expect(page.body.page.size).toBe(1);
    for (let i = 0; i < 3 && page.body._links.next; i++) page = await call("GET", page.body._links.next.href);
    expect((await call("GET", `${a}/users?name=${encodeURIComponent(names[0]!)}`)).body._embedded.users).toHaveLength(1);
    expect((await call("GET", u0._links.self.href)).status).toBe(200);
    expect((await call("PUT", u0._links.self.href, { json: { displayName: "Zero", isGuest: false } })).status).toBe(200);
    expect((await call("PATCH", u0._links.self.href, { json: { isGuest: true } })).status).toBe(200);

    // Channels of every type.
    const channel = async (json: unknown, status = 201) => {
      const res = await call("POST", `${a}/channels`, { json });
      expect(res.status).toBe(status);
      return res.body as { id: number; _links: Record<string, { href: string }> };
    };
    const open = await channel({ type: "OPEN", name: "oas open" });
    const pub = await channel({ type: "PUBLIC", name: "oas public", members: [u0._links.self.href] });
    const priv = await channel({ type: "PRIVATE" });
    const direct = await channel({ type: "DIRECT", members: [u0._links.self.href, { href: u1._links.self.href }] });
    const again = await channel({ type: "DIRECT", members: [u1._links.self.href, u0._links.self.href] }, 200);
    expect(again.id).toBe(direct.id);
    expect((await call("GET", `${a}/channels?page=0&size=2`)).status).toBe(200);
    expect(
      (await call("GET", `${a}/channels?direct=true&members=${encodeURIComponent(`${names[0]},${names[1]}`)}`)).body._embedded.channels,
    ).toHaveLength(1);
    expect((await call("GET", pub._links.self!.href)).status).toBe(200);
    expect((await call("GET", `${u0._links.self.href}/channels`)).status).toBe(200);

    // Members.
    expect((await call("POST", pub._links.members!.href, { json: { href: u2._links.self.href } })).status).toBe(200);
    expect((await call("POST", priv._links.members!.href, { json: { href: u1._links.self.href } })).status).toBe(200);
    expect((await call("GET", `${pub._links.members!.href}?size=1`)).body.page.totalElements).toBe(2);
    expect((await call("DELETE", `${pub._links.members!.href}/${u2.id}`)).status).toBe(200);
    expect((await call("DELETE", `${direct._links.members!.href}/${u0.id}`)).status).toBe(400);
    expect((await call("GET", `${a}/channels/${open.id}/members`)).status).toBe(404);

    // Messages: text, external file, uploaded file; persisted and (OPEN) ephemeral.
    const text = await call("POST", pub._links.messages!.href, { json: { body: "Hello 👋" } });
    expect(text.status).toBe(201);
    expect(text.headers.get("Location")).toBe(text.body._links.self.href);
    expect((await call("POST", pub._links.messages!.href, { json: { type: "TEXT", body: "typed" } })).status).toBe(201);
    const external = await call("POST", pub._links.messages!.href, {
      json: {
        type: "FILE",
        file: { url: "https://example.com/r.pdf", name: "r.pdf", contentType: "application/pdf", size: 10 },
        groupTag: "docs",
      },
    });
    expect(external.status).toBe(201);
    const form = new FormData();
    form.set("file", new Blob(["hello file"], { type: "text/plain" }), "hello.txt");
    form.set("groupTag", "uploads");
    const uploaded = await call("POST", pub._links.messages!.href, { form });
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.file.type).toBe("HOSTED");
    const ephemeral = await call("POST", open._links.messages!.href, { json: { body: "fleeting" } });
    expect(ephemeral.status).toBe(201);
    expect(ephemeral.body.id).toBeUndefined();
    const openUpload = new FormData();
    openUpload.set("file", new Blob(["x"], { type: "application/octet-stream" }), "x.bin");
    expect((await call("POST", open._links.messages!.href, { form: openUpload })).status).toBe(201);
    expect((await call("GET", open._links.messages!.href)).body._embedded.messages.length).toBeGreaterThan(0);
    let messages = await call("GET", `${pub._links.messages!.href}?size=2`);
    expect(messages.body._links.next).toBeDefined();
    messages = await call("GET", messages.body._links.next.href);
    expect((await call("GET", `${a}/messages?size=3`)).status).toBe(200);
    expect((await call("GET", text.body._links.self.href)).status).toBe(200);
    expect((await call("DELETE", text.body._links.self.href)).status).toBe(200);

    // Challenge tokens.
    const created = await call("POST", `${u0._links.self.href}/tokens`);
    expect(created.status).toBe(201);
    expect((await call("POST", `${u0._links.self.href}/tokens`, { json: {} })).status).toBe(201);
    expect((await call("GET", `${u0._links.self.href}/tokens`)).body.page.totalElements).toBe(2);
    expect((await call("GET", created.body._links.self.href)).status).toBe(200);
    expect((await call("DELETE", created.body._links.self.href)).status).toBe(200);

    // Deletes answer with the parent resource.
    for (const ch of [open, pub, priv, direct]) expect((await call("DELETE", ch._links.self!.href)).status).toBe(200);
    for (const u of users) expect((await call("DELETE", u._links.self.href)).status).toBe(200);
  });

  it("walks the current (token-scoped) form: every response conforms", async ({ expect }) => {
    // Application and settings (restored at the end: the walk shares the demo application).
    expect((await call("GET", "/v1/application")).status).toBe(200);
    const settings = await call("GET", "/v1/application/settings");
    expect(settings.status).toBe(200);
    const { guestUsers, userCreatedChannels } = settings.body;
    expect((await call("PUT", "/v1/application/settings", { json: { guestUsers, userCreatedChannels: "DISABLED" } })).status).toBe(200);
    expect((await call("PUT", "/v1/application/settings", { json: { guestUsers, userCreatedChannels } })).status).toBe(200);

    // Users.
    const names = [0, 1, 2].map((i) => `oas-now-${i}-${randomUUID()}`);
    const users = [];
    for (const name of names) {
      const created = await call("POST", "/v1/users", { json: { name, properties: { team: "blue" } } });
      expect(created.status).toBe(201);
      users.push(created.body as { id: number; name: string });
    }
    const [u0, u1, u2] = users as [(typeof users)[0], (typeof users)[0], (typeof users)[0]];
    const page = await call("GET", `/v1/users?size=2&sort=name,desc&properties=${encodeURIComponent('{"team":"blue"}')}`);
    expect(page.body._links.next).toBeDefined();
    expect((await call("GET", page.body._links.next.href)).status).toBe(200);
    expect((await call("GET", `/v1/users?name=${encodeURIComponent(u0.name)}`)).body._embedded.users).toHaveLength(1);
    expect((await call("GET", `/v1/users/${u0.id}`)).status).toBe(200);
    expect((await call("PATCH", `/v1/users/${u0.id}`, { json: { displayName: "Zero", properties: { team: null } } })).status).toBe(200);

    // Channels, with members by id and by name.
    const pub = await call("POST", "/v1/channels", {
      json: { type: "PUBLIC", displayName: "Now", creator: { username: u0.name }, members: [{ id: u1.id }], properties: { a: 1 } },
    });
    expect(pub.status).toBe(201);
    const direct = await call("POST", "/v1/channels", { json: { type: "DIRECT", members: [{ id: u0.id }, { username: u1.name }] } });
    expect(direct.status).toBe(201);
    expect((await call("POST", "/v1/channels", { json: { type: "DIRECT", members: [{ id: u1.id }, { id: u0.id }] } })).status).toBe(200);
    const c = `/v1/channels/${pub.body.id}`;
    const since = encodeURIComponent(pub.body.createdTime);
    expect((await call("GET", `/v1/channels?type=DIRECT&members=${u0.name}&members=${u1.name}`)).body._embedded.channels).toHaveLength(1);
    expect(
      (await call("GET", `/v1/channels?size=1&sort=id,desc&startTime=${since}&properties=${encodeURIComponent('{"a":1}')}`)).status,
    ).toBe(200);
    expect((await call("GET", c)).status).toBe(200);
    expect((await call("PATCH", c, { json: { displayName: "Later", properties: { a: null } } })).status).toBe(200);
    expect((await call("GET", `/v1/users/${u0.id}/channels?sort=createdTime,desc`)).body._embedded.channels.length).toBeGreaterThan(0);

    // Members, memberships, moderators.
    expect((await call("POST", `${c}/members`, { json: { username: u2.name } })).status).toBe(200);
    expect((await call("GET", `${c}/members?size=1&sort=name`)).body.page.totalElements).toBe(3);
    expect((await call("GET", `${c}/memberships?sort=createdTime,desc`)).body._embedded.memberships).toHaveLength(3);
    expect((await call("POST", `${c}/moderators`, { json: { id: u2.id } })).status).toBe(200);
    expect((await call("GET", `${c}/moderators`)).body._embedded.users).toHaveLength(1);
    expect((await call("DELETE", `${c}/moderators/${u2.id}`)).status).toBe(200);
    expect((await call("DELETE", `${c}/members/${u2.id}`)).status).toBe(200);
    expect((await call("POST", `/v1/channels/${direct.body.id}/members`, { json: { id: u2.id } })).status).toBe(400);

    // Messages: as the application and on a user's behalf, cursors, filters, edits, receipts, deletes.
    const m = `${c}/messages`;
    const system = await call("POST", m, { json: { type: "TEXT", body: "system 👋", groupTag: "news", properties: { a: 1 } } });
    expect(system.status).toBe(201);
    const mine = await call("POST", m, { json: { type: "TEXT", body: "mine", user: { username: u0.name } } });
    expect(mine.body.user.id).toBe(u0.id);
    const file = { url: "https://example.com/c.png", name: "c.png", contentType: "image/png", size: 3 };
    expect((await call("POST", m, { json: { type: "FILE", file, user: { id: u1.id } } })).status).toBe(201);
    const form = new FormData();
    form.set("file", new Blob(["uploaded"], { type: "text/plain" }), "u.txt");
    form.set("username", u0.name);
    form.set("properties", '{"k":1}');
    expect((await call("POST", m, { form })).body.type).toBe("FILE");
    const byU0 = await call("GET", `${m}?size=1&username=${encodeURIComponent(u0.name)}`);
    expect(byU0.body._links.next).toBeDefined();
    expect((await call("GET", byU0.body._links.next.href)).body._embedded.messages).toHaveLength(1);
    expect((await call("GET", `${m}?size=2&start=${system.body.id}&relation=PREVIOUS`)).body._embedded.messages).toHaveLength(2);
    expect((await call("GET", `/v1/messages?size=2&username=${encodeURIComponent(u1.name)}`)).body._embedded.messages).toHaveLength(1);
    expect((await call("GET", `/v1/messages/${mine.body.id}`)).status).toBe(200);
    const edited = await call("PATCH", `/v1/messages/${mine.body.id}`, { json: { body: "edited", properties: { b: 2 } } });
    expect(edited.body.lastEditedTime).toBeDefined();
    // u0 and u1, the channel's members, both sent after it: their read markers passed it.
    expect((await call("GET", `/v1/messages/${mine.body.id}/read-receipts?size=5`)).body._embedded.receipts).toHaveLength(2);
    const thread = (await call("DELETE", `/v1/messages/${system.body.id}`)).body;
    expect(thread.type).toBe("MAIN");

    // Threads: the MAIN thread a delete answered is its channel's messages.
    const t = `/v1/threads/${thread.id}`;
    expect((await call("GET", t)).body).toEqual(thread);
    expect((await call("POST", `${t}/messages`, { json: { body: "in the thread" } })).status).toBe(201);
    expect((await call("GET", `${t}/messages?size=1`)).body._embedded.messages[0].body).toBe("in the thread");

    // A user's messages: sent by them, or (unread) not yet read by them, and how many those are.
    expect((await call("GET", `/v1/users/${u0.id}/messages?size=1`)).body._embedded.messages).toHaveLength(1);
    expect((await call("GET", `/v1/users/${u0.id}/messages?unread=true&size=5`)).status).toBe(200);
    expect((await call("GET", `/v1/users/${u0.id}/messages/unread/count`)).body.count).toBeTypeOf("number");
    const pictureFile = { url: "https://example.com/u0.png", name: "u0.png", contentType: "image/png", size: 3 };
    const pictured = await call("POST", `/v1/users/${u0.id}/display-picture`, { json: pictureFile });
    expect(pictured.body.displayPictureUrl).toBe(pictureFile.url);
    const secretPath = `/v1/users/${u0.id}/secrets/crm`;
    expect((await call("PUT", secretPath, { json: { secret: { token: "t" } } })).body.id).toBe(u0.id);
    expect((await call("GET", secretPath)).body.secret).toEqual({ token: "t" });
    expect((await call("DELETE", secretPath)).body.id).toBe(u0.id);

    // Imports: answered at once with a PENDING job, run by the queue; the walk polls it to its end.
    const importName = `oas-import-${randomUUID()}`;
    const importForm = new FormData();
    const records = [{ name: importName, displayName: "Imported", guest: false, properties: {} }, { name: "" }];
    importForm.set("file", new Blob([JSON.stringify(records)], { type: "application/json" }), "users.json");
    const job = await call("POST", "/v1/imports/users", { form: importForm });
    expect(job.status).toBe(202);
    expect((await call("GET", "/v1/jobs?size=5&sort=createdTime,desc&running=true")).status).toBe(200);
    let ended = job.body;
    for (const deadline = Date.now() + 20_000; ended.state === "PENDING" || ended.state === "RUNNING"; ) {
      if (Date.now() > deadline) throw new Error(`import job still ${ended.state}`);
      await new Promise((r) => setTimeout(r, 200));
      ended = (await call("GET", `/v1/jobs/${job.body.id}`)).body;
    }
    expect(ended).toMatchObject({ state: "FINISHED", importedRecords: 1, failedRecords: 1 });
    const importedUser = (await call("GET", `/v1/users?name=${importName}`)).body._embedded.users[0];
    const membersForm = new FormData();
    membersForm.set("file", new Blob([JSON.stringify([{ username: importName }])], { type: "application/json" }), "members.json");
    const membersJob = await call("POST", `${c}/members`.replace("/v1/channels/", "/v1/imports/channels/"), { form: membersForm });
    expect(membersJob.status).toBe(202);
    for (const deadline = Date.now() + 20_000; ; ) {
      const current = (await call("GET", `/v1/jobs/${membersJob.body.id}`)).body;
      if (current.state === "FINISHED") break;
      if (current.state === "FAILED" || Date.now() > deadline) throw new Error(`members import job ${current.state}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await call("GET", `${c}/members?size=10`)).body._embedded.users.map((u: { id: number }) => u.id)).toContain(importedUser.id);
    expect((await call("DELETE", `/v1/users/${importedUser.id}`)).status).toBe(200);

    // Chat functions and runtimes run customer code: not offered, and every such path says so.
    for (const [method, path] of [
      ["GET", "/v1/runtimes/nodejs"],
      ["PUT", "/v1/runtimes/nodejs/dependencies"],
      ["PUT", "/v1/runtimes/nodejs/environment-variables"],
      ["PUT", "/v1/runtimes/nodejs/initialization-script"],
      ["GET", "/v1/runtimes/nodejs/functions"],
      ["POST", "/v1/runtimes/nodejs/functions"],
      ["GET", "/v1/functions/1"],
      ["GET", "/v1/functions/1/current-version"],
      ["GET", "/v1/functions/1/versions"],
      ["POST", "/v1/functions/1/versions"],
      ["GET", "/v1/functions/1/invocations"],
      ["GET", "/v1/function-versions/1"],
      ["POST", "/v1/analytics/messages"],
      ["POST", "/v1/analytics/users"],
      ["GET", "/v1/channels/1/reported-messages"],
    ] as const) {
      expect((await call(method, path)).status).toBe(501);
    }

    // Deletes answer the application.
    for (const ch of [pub.body, direct.body]) expect((await call("DELETE", `/v1/channels/${ch.id}`)).status).toBe(200);
    for (const u of users) expect((await call("DELETE", `/v1/users/${u.id}`)).status).toBe(200);
    expect((await call("GET", `/v1/users/${u0.id}`)).status).toBe(404);
  });

  it("walks the current form's live and bulk operations: every response conforms", async ({ expect }) => {
    const key = (await call("GET", "/v1/application")).body.key as string;
    const [u0, u1, u2] = await Promise.all(
      [0, 1, 2].map(async (i) => (await call("POST", "/v1/users", { json: { name: `oas-live-${i}-${randomUUID()}` } })).body),
    );
    const channel = (await call("POST", "/v1/channels", { json: { type: "PRIVATE", members: [{ id: u0.id }, { id: u1.id }] } })).body;
    const c = `/v1/channels/${channel.id}`;

    // A live user: u0 connects over STOMP (the 2020 dialect) and enters the channel's chat.
    const socket = await stompSession(key, u0.name);
    try {
      await socket.subscribe(`/topic/v1/channels/${channel.id}`);
      await socket.subscribe(`/topic/v1/channels/${channel.id}/messages`);
      const sessions = (await call("GET", "/v1/user-sessions?state=ACTIVE&size=100&sort=id,desc")).body;
      const mine = sessions._embedded.sessions.find((s: { user: { id: number } }) => s.user.id === u0.id);
      expect((await call("GET", `/v1/user-sessions/${mine.id}`)).body.state).toBe("ACTIVE");
      expect((await call("GET", "/v1/chat-sessions?state=ACTIVE&size=5")).status).toBe(200);
      expect((await call("GET", `${c}/participants`)).body._embedded.users.map((u: { id: number }) => u.id)).toEqual([u0.id]);
      expect((await call("POST", `${c}/events`, { json: { type: "ping", properties: { n: 1 } } })).status).toBe(200);
      expect((await call("POST", `${c}/keystrokes`, { json: { keys: "Hi", user: { id: u1.id } } })).status).toBe(200);
      expect(
        (await call("POST", `/v1/threads/${channel.id}/keystrokes`, { json: { keys: "Hi!", user: { username: u1.name } } })).status,
      ).toBe(200);
      await socket.received("channel.event.triggered");
    } finally {
      socket.close();
    }

    expect((await call("POST", `${c}/invites`, { json: { user: { id: u2.id } } })).status).toBe(200);
    expect((await call("GET", `${c}/invites?size=5`)).body._embedded.invites).toHaveLength(1);
    await call("POST", `${c}/messages`, { json: { type: "TEXT", body: "for u1", user: { id: u0.id } } });
    expect((await call("GET", `/v1/users/${u1.id}/notifications?size=5`)).body._embedded.notifications).toHaveLength(1);
    expect((await call("GET", "/v1/application/message-read-receipt-summaries?size=5")).status).toBe(200);
    const picture = new FormData();
    picture.set("file", new Blob([PNG], { type: "image/png" }), "me.png");
    expect((await call("POST", `/v1/users/${u0.id}/display-picture`, { form: picture })).status).toBe(200);

    // Channel and message imports, run by the queue to their end.
    const importJob = async (path: string, records: unknown[]) => {
      const form = new FormData();
      form.set("file", new Blob([JSON.stringify(records)], { type: "application/json" }), "records.json");
      const job = await call("POST", path, { form });
      expect(job.status).toBe(202);
      for (const deadline = Date.now() + 20_000; ; ) {
        const current = (await call("GET", `/v1/jobs/${job.body.id}`)).body;
        if (current.state === "FINISHED" || current.state === "FAILED") return current;
        if (Date.now() > deadline) throw new Error(`import job still ${current.state}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const imported = `oas-imported-${randomUUID()}`;
    const channelsJob = await importJob("/v1/imports/channels", [{ type: "PUBLIC", name: imported, members: [u0.name] }]);
    expect(channelsJob).toMatchObject({ state: "FINISHED", importedRecords: 1 });
    const messagesJob = await importJob("/v1/imports/messages", [{ type: "SYSTEM_TEXT", channelId: channel.id, body: "imported" }]);
    expect(messagesJob).toMatchObject({ state: "FINISHED", importedRecords: 1 });

    // Deleting every message, in an application of its own so the other suites keep theirs.
    const other = newApplication();
    const otherToken = (
      await getToken({
        headers: { Authorization: basic(other.clientId, other.clientSecret) },
        body: new URLSearchParams({ grant_type: "client_credentials" }),
      })
    ).body.access_token;
    expect((await call("DELETE", "/v1/messages", { auth: otherToken })).status).toBe(200);

    const importedChannel = (await call("GET", `/v1/channels?members=${encodeURIComponent(u0.name)}&size=10`)).body._embedded.channels;
    for (const ch of [channel, ...importedChannel.filter((x: { name: string }) => x.name === imported)])
      expect((await call("DELETE", `/v1/channels/${ch.id}`)).status).toBe(200);
    for (const u of [u0, u1, u2]) expect((await call("DELETE", `/v1/users/${u.id}`)).status).toBe(200);
  });

  it("errors: 400, 401, 404, 405, 406, 409, 413 and 415 bodies conform", async ({ expect }) => {
    const a = `/v1/applications/${(await call("GET", "/v1/applications/me")).body.id}`;
    const user = await call("POST", `${a}/users`, { json: { name: `oas-err-${randomUUID()}` } });
    const self: string = user.body._links.self.href;

    // 400: invalid fields, malformed JSON, bad query parameters.
    expect((await call("POST", `${a}/users`, { json: { name: " " } })).status).toBe(400);
    expect((await call("POST", `${a}/users`, { text: ["application/json", "{"] })).status).toBe(400);
    expect((await call("POST", `${a}/channels`, { json: { type: "DIRECT", members: [self] } })).status).toBe(400);
    expect((await call("GET", `${a}/users?page=x`)).status).toBe(400);
    expect((await call("GET", `${a}/messages?relation=SIDEWAYS`)).status).toBe(400);
    expect((await call("PUT", self, { json: { name: "renamed" } })).status).toBe(400);

    // 401: no token, a bad token; on a documented and an unknown /v1 path.
    expect((await call("GET", "/v1", { auth: false })).status).toBe(401);
    expect((await call("GET", `${a}/users`, { auth: "not-a-jwt" })).status).toBe(401);
    expect((await call("POST", `${a}/channels`, { auth: false, json: { type: "OPEN" } })).status).toBe(401);

    // 404: unknown ids, another application, a malformed id.
    expect((await call("GET", `${a}/users/999999999`)).status).toBe(404);
    expect((await call("GET", `/v1/applications/999999`)).status).toBe(404);
    expect((await call("GET", `${a}/channels/abc`)).status).toBe(404);
    expect((await call("GET", `${a}/messages/999999999`)).status).toBe(404);
    expect((await call("GET", `${self}/tokens/nope`)).status).toBe(404);

    // 405: the Allow header names what the document documents.
    expect((await call("PUT", `${a}/channels/1`)).status).toBe(405);
    expect((await call("POST", "/v1")).status).toBe(405);
    expect((await call("DELETE", "/v1/openapi.json")).status).toBe(405);

    // 406, on an authenticated and a public operation.
    expect((await call("GET", `${a}/users`, { headers: { Accept: "text/html" } })).status).toBe(406);
    expect((await call("GET", "/v1/openapi.json", { auth: false, headers: { Accept: "image/png" } })).status).toBe(406);

    // 409: a duplicate name; a user's token limit is covered by test/api/tokens.test.ts.
    expect((await call("POST", `${a}/users`, { json: { name: user.body.name } })).status).toBe(409);

    // 413: a JSON body over MAX_BODY_BYTES (1 MiB by default).
    expect((await call("POST", `${a}/users`, { text: ["application/json", JSON.stringify({ name: "x".repeat(1_100_000) })] })).status).toBe(
      413,
    );

    // 415: not JSON (and for messages, not multipart either).
    expect((await call("POST", `${a}/users`, { text: ["text/plain", "name=x"] })).status).toBe(415);
    expect((await call("PATCH", self, { text: ["application/x-www-form-urlencoded", "isGuest=true"] })).status).toBe(415);
    expect((await call("POST", `${self}/tokens`, { text: ["text/plain", "x"] })).status).toBe(415);
    const ch = await call("POST", `${a}/channels`, { json: { type: "PUBLIC" } });
    expect((await call("POST", ch.body._links.members.href, { text: ["text/plain", "x"] })).status).toBe(415);
    expect((await call("POST", ch.body._links.messages.href, { text: ["application/x-www-form-urlencoded", "body=x"] })).status).toBe(415);

    await call("DELETE", ch.body._links.self.href);
    await call("DELETE", self);
  });

  it("saw every documented operation succeed (or, for what is not offered, answer its 501), and every error status above", ({ expect }) => {
    // An operation whose only answer is 501 succeeds by saying so.
    const succeeded = new Set([...conformance.seen].filter((s) => / (2\d\d|501)$/.test(s)).map((s) => s.replace(/ \d+$/, "")));
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      HTTP_METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(
      operations.filter((op) => !succeeded.has(op)),
      "documented operations this suite never exercised",
    ).toEqual([]);
    const statuses = new Set([...conformance.seen].map((s) => s.split(" ").pop()));
    for (const status of ["200", "201", "400", "401", "404", "405", "406", "409", "413", "415"]) expect(statuses).toContain(status);
  });
});
