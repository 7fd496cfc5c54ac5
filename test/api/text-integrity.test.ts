/**
 * Text is stored exactly as sent, or refused: a JSON body can spell a lone UTF-16 surrogate
 * (`"\ud800"`) that D1 would store as U+FFFD, so that two different names became one. Every such
 * string, in any field of any JSON body, is a 400 naming the field, and nothing is written;
 * well-formed astral characters (sent raw or as an escape pair) round-trip exactly.
 * Bodies are raw JSON text here: `JSON.stringify` would escape what is being tested.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { illFormedTextPath } from "../../src/http/text";
import { ChannelResource } from "../../src/api/channels/channels.schemas";
import { MessageResource } from "../../src/api/messages/messages.schemas";
import { UserPage, UserResource } from "../../src/api/users/users.schemas";
import { setup, type Client } from "../helpers/api";
import { expectHal, expectInvalidField } from "../helpers/checks";
import { snapshot } from "../helpers/db-state";

/** Lone surrogates as JSON escapes (high, high, low between letters). */
const ILL_FORMED = ["\\ud800", "\\udbff", "a\\udc00b"];

/** An application with a user and a PUBLIC channel, the things the bodies below refer to. */
const world = async () => {
  const s = await setup();
  const user = UserResource.parse(await s.createUser("jane"));
  const channel = ChannelResource.parse(await s.createChannel("PUBLIC", "general"));
  return { ...s, user, channel };
};
type World = Awaited<ReturnType<typeof world>>;

interface Case {
  method: string;
  url: (w: World) => string;
  /** The body as JSON text, with `%s` where the ill-formed string goes (already escaped). */
  body: (w: World) => string;
  field: string;
  /** What to put at `%s` for a body that is accepted (default "ok"). */
  fine?: (w: World) => string;
}

const file = (over: string) =>
  `{"type":"FILE","file":{"url":"https://cdn.example.com/a.pdf","name":"a.pdf","contentType":"application/pdf","size":1}${over}}`;

const CASES: Record<string, Case> = {
  "POST users name": { method: "POST", url: (w) => w.urls.users, body: () => '{"name":"%s"}', field: "name" },
  "POST users displayName": {
    method: "POST",
    url: (w) => w.urls.users,
    body: () => '{"name":"joe","displayName":"%s"}',
    field: "displayName",
  },
  "PATCH user displayName": {
    method: "PATCH",
    url: (w) => w.user._links.self!.href,
    body: () => '{"displayName":"%s"}',
    field: "displayName",
  },
  // A name may be repeated, not changed: the accepted body repeats it.
  "PATCH user name": {
    method: "PATCH",
    url: (w) => w.user._links.self!.href,
    body: () => '{"name":"jane%s"}',
    field: "name",
    fine: () => "",
  },
  "PUT user displayName": {
    method: "PUT",
    url: (w) => w.user._links.self!.href,
    body: () => '{"name":"jane","displayName":"%s"}',
    field: "displayName",
  },
  "POST channels name": { method: "POST", url: (w) => w.urls.channels, body: () => '{"type":"PUBLIC","name":"%s"}', field: "name" },
  "POST channels members": {
    method: "POST",
    url: (w) => w.urls.channels,
    body: (w) => `{"type":"PRIVATE","members":["${w.user._links.self!.href}","%s"]}`,
    field: "members.1",
    fine: (w) => w.user._links.self!.href,
  },
  "POST members href": {
    method: "POST",
    url: (w) => w.channel._links.members!.href,
    body: () => '{"href":"%s"}',
    field: "href",
    fine: (w) => w.user._links.self!.href,
  },
  "POST messages body": { method: "POST", url: (w) => w.channel._links.messages.href, body: () => '{"body":"%s"}', field: "body" },
  "POST messages TEXT body": {
    method: "POST",
    url: (w) => w.channel._links.messages.href,
    body: () => '{"type":"TEXT","body":"x%s"}',
    field: "body",
  },
  "POST messages file.name": {
    method: "POST",
    url: (w) => w.channel._links.messages.href,
    body: () => file("").replace('"a.pdf"', '"%s.pdf"'),
    field: "file.name",
  },
  "POST messages file.contentType": {
    method: "POST",
    url: (w) => w.channel._links.messages.href,
    body: () => file("").replace('"application/pdf"', '"application/pdf; title=%s"'),
    field: "file.contentType",
  },
  "POST messages file.url": {
    method: "POST",
    url: (w) => w.channel._links.messages.href,
    body: () => file("").replace('a.pdf"', 'a%s.pdf"'),
    field: "file.url",
  },
  "POST messages groupTag": {
    method: "POST",
    url: (w) => w.channel._links.messages.href,
    body: () => file(',"groupTag":"%s"'),
    field: "groupTag",
  },
};

/** Sends raw JSON text. */
const sendRaw = (api: Client, method: string, url: string, text: string) => api.call(method, url, text);

describe("JSON bodies with lone surrogates: 400 naming the field, nothing written", () => {
  it.for(Object.entries(CASES))("%s", async ([, c], { expect }) => {
    const w = await world();
    const before = await snapshot(w.app.id);
    for (const bad of ILL_FORMED) {
      const text = c.body(w).replace("%s", bad);
      const body = expectInvalidField(expect, await sendRaw(w.api, c.method, c.url(w), text), c.field);
      expect(body.message, text).toContain(c.field);
      expect(await snapshot(w.app.id), text).toBe(before);
    }
    // The same body with well-formed text is accepted, so the 400 was about the text alone.
    const fine = await sendRaw(w.api, c.method, c.url(w), c.body(w).replace("%s", c.fine?.(w) ?? "ok"));
    expect(fine.status, JSON.stringify(fine.body)).toBeLessThan(300);
  });

  it("answers the contract's error body", async ({ expect }) => {
    const { api, urls } = await setup();
    const res = await sendRaw(api, "POST", urls.users, '{"name":"\\ud800"}');
    const body = expectInvalidField(expect, res, "name");
    expect(body).toEqual({
      error: "InvalidRequestError",
      message: "Invalid body: name (name must be well-formed Unicode text: no lone surrogates)",
      timestamp: body.timestamp,
      properties: { name: "name must be well-formed Unicode text: no lone surrogates" },
    });
  });

  it("still answers other invalid fields as before (zod runs first)", async ({ expect }) => {
    const { api, urls } = await setup();
    expectInvalidField(expect, await sendRaw(api, "POST", urls.users, '{"name":"  ","displayName":"\\ud800"}'), "name");
  });
});

describe("well-formed text is stored exactly", () => {
  const names = async (api: Client, url: string) =>
    UserPage.parse((await api.get(`${url}?size=100`)).body)._embedded.users.map((u) => u.name);
  const stored = async (appId: number) =>
    (await env.DB.prepare("SELECT name FROM users WHERE application_id = ? ORDER BY id").bind(appId).all<{ name: string }>()).results.map(
      (r) => r.name,
    );

  it("an astral character raw and as an escape pair is the same name; lone surrogates never become U+FFFD", async ({ expect }) => {
    const { app, api, urls } = await setup();
    const created = await sendRaw(api, "POST", urls.users, '{"name":"smile 😀","displayName":"\\ud83d\\ude00 𝄞"}');
    expectHal(expect, created, 201);
    expect(UserResource.parse(created.body)).toMatchObject({ name: "smile 😀", displayName: "😀 𝄞" });
    // The escape pair spells the same name: a duplicate, not a second user.
    expect((await sendRaw(api, "POST", urls.users, '{"name":"smile \\ud83d\\ude00"}')).status).toBe(409);
    // U+FFFD itself is a name like any other; the lone surrogates are refused, not taken for it.
    expectHal(expect, await sendRaw(api, "POST", urls.users, '{"name":"\\ufffd"}'), 201);
    for (const bad of ILL_FORMED) expectInvalidField(expect, await sendRaw(api, "POST", urls.users, `{"name":"${bad}"}`), "name");
    expect(await names(api, urls.users)).toEqual(["smile 😀", "\ufffd"]);
    expect(await stored(app.id)).toEqual(["smile 😀", "\ufffd"]);
  });

  it("different astral names stay different", async ({ expect }) => {
    const { app, api, urls } = await setup();
    const sent = ["😀", "😁", "\\ud83d\\ude02", "𝄞x", "x𝄞"];
    for (const name of sent) expectHal(expect, await sendRaw(api, "POST", urls.users, `{"name":"${name}"}`), 201);
    const expected = ["😀", "😁", "😂", "𝄞x", "x𝄞"];
    expect(await names(api, urls.users)).toEqual(expected);
    expect(await stored(app.id)).toEqual(expected);
  });

  it("a message body with astral characters round-trips", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const res = await sendRaw(api, "POST", channel._links.messages.href, '{"body":"\\ud83d\\ude00 and 😀 and 𝄞"}');
    expectHal(expect, res, 201);
    const message = MessageResource.parse(res.body);
    expect(message.body).toBe("😀 and 😀 and 𝄞");
    expect(MessageResource.parse((await api.get(message._links.self!.href)).body).body).toBe("😀 and 😀 and 𝄞");
  });
});

describe("illFormedTextPath", () => {
  it.for<[string, unknown, string | undefined]>([
    ["well-formed text anywhere", { a: "😀", b: ["x", { "𝄞": "\ud83d\ude00" }], n: 1, t: true, z: null }, undefined],
    ["the value itself", "\ud800", ""],
    ["a field", { name: "a\udc00b" }, "name"],
    ["an array element, deep", { properties: { a: ["ok", { b: ["\udbff"] }] } }, "properties.a.1.b.0"],
    ["an object key, escaped in the path", { properties: { "k\ud800": 1 } }, "properties.k\\ud800"],
    ["the first in document order", { a: "ok", b: "\ud800", c: { "\udbff": 1 } }, "b"],
    ["a key before its own value", { "\ud800": "\udbff" }, "\\ud800"],
    ["a null-prototype object (form data)", Object.assign(Object.create(null), { groupTag: "\ud800" }), "groupTag"],
    [
      "not inside class instances (form data's File)",
      {
        file: new (class {
          name = "\ud800";
        })(),
      },
      undefined,
    ],
  ])("%s", ([, value, path], { expect }) => {
    expect(illFormedTextPath(value)).toBe(path);
  });

  it("walks a deeply nested body without overflowing the stack", ({ expect }) => {
    const depth = 100_000;
    const nested = JSON.parse(`${"[".repeat(depth)}"\\ud800"${"]".repeat(depth)}`);
    expect(illFormedTextPath(nested)).toBe(Array(depth).fill("0").join("."));
  });
});
