/**
 * System file messages through the Platform API: multipart uploads stored in (local) R2 and served
 * back byte for byte, links to external files, the size limits (MAX_FILE_BYTES is 1 MiB in the
 * test bindings), the application's `messages` link across channels, and the stored objects going
 * away with their message or channel. Every test makes its own application.
 */
import { FrameImpl } from "@stomp/stompjs/esm6/frame-impl.js";
import { Parser } from "@stomp/stompjs/esm6/parser.js";
import { env, exports } from "cloudflare:workers";
import { count, eq } from "drizzle-orm";
import { describe, it, type ExpectStatic } from "vitest";
import { createDb } from "../../src/db/client";
import { messages } from "../../src/db/schema";
import { ApplicationResource } from "../../src/api/applications/applications.schemas";
import { ChannelResource } from "../../src/api/channels/channels.schemas";
import { MessagePage, MessageResource } from "../../src/api/messages/messages.schemas";
import { ORIGIN, fetchWorker, setup, tokenFor, type ApiResponse, type Client } from "../helpers/api";
import { expectError, expectHal, expectInvalidField, isIsoUtc } from "../helpers/checks";

const MAX_FILE_BYTES = 1024 * 1024;

/** Random bytes with NULs, CR/LF and a fake multipart boundary inside, so nothing survives by luck. */
const binary = (n: number) => {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(bytes.subarray(i, Math.min(n, i + 65_536)));
  const tricky = new TextEncoder().encode("\0\0\r\n--boundary\r\n\0");
  if (n >= tricky.length) bytes.set(tricky, 0);
  return bytes;
};

const messageRows = async (channelId: number) =>
  (await createDb(env.DB).select({ n: count() }).from(messages).where(eq(messages.channelId, channelId)).get())?.n ?? 0;

/** The R2 key behind a hosted file's URL (`/stompx/v1/files/<app>/<channel>/<uuid>/<name>`). */
const keyOf = (url: string) => new URL(url).pathname.split("/").slice(4, 7).join("/");

const objectsUnder = async (prefix: string) => (await env.FILES.list({ prefix })).objects.map((o) => o.key);

const parse = async (res: Response): Promise<ApiResponse> => {
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* leave as text */
  }
  return { status: res.status, headers: res.headers, body };
};

type Part = [name: string, value: string | File];

/** A file setup: the API client plus a token for raw multipart requests. */
const fileSetup = async () => {
  const s = await setup();
  const token = await tokenFor(s.app);
  const send = (href: string, init: RequestInit) =>
    fetchWorker(href, { method: "POST", ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) } }).then(parse);
  /** POSTs the parts as multipart/form-data (the boundary and content type come from FormData). */
  const upload = (href: string, parts: Part[]) => {
    const form = new FormData();
    for (const [name, value] of parts) form.append(name, value);
    return send(href, { body: form });
  };
  return { ...s, token, send, upload };
};

const expectStoredFile = async (
  expect: ExpectStatic,
  message: MessageResource,
  bytes: Uint8Array,
  contentType: string,
) => {
  const res = await fetchWorker(message.file!.url);
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toBe(contentType);
  expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
};

describe("POST {channel messages} as multipart/form-data: SYSTEM_FILE, HOSTED", () => {
  it.for(["PUBLIC", "PRIVATE"] as const)(
    "stores the file in R2 and answers 201 with the message (%s channel); the url serves the exact bytes",
    async (type, { expect }) => {
      const { app, upload, api, createChannel } = await fileSetup();
      const channel = ChannelResource.parse(await createChannel(type));
      const bytes = binary(70_000);
      const res = await upload(channel._links.messages.href, [["file", new File([bytes], "report.bin", { type: "application/x-test" })]]);
      expectHal(expect, res, 201);
      const message = MessageResource.parse(res.body);
      expect(message.type).toBe("SYSTEM_FILE");
      expect(message.body).toBeUndefined();
      expect(message.groupTag).toBeUndefined();
      expect(message.file).toEqual({
        type: "HOSTED",
        url: expect.stringMatching(new RegExp(`^${ORIGIN}/stompx/v1/files/${app.id}/${channel.id}/[0-9a-f-]{36}/report\\.bin$`)),
        name: "report.bin",
        contentType: "application/x-test",
        size: 70_000,
      });
      expect(JSON.stringify(res.body)).not.toContain('"key"');
      const self = `${ORIGIN}/v1/applications/${app.id}/messages/${message.id}`;
      expect(res.headers.get("Location")).toBe(self);
      expect(message._links).toEqual({
        self: { href: self },
        channel: { href: channel._links.self.href },
        application: { href: `${ORIGIN}/v1/applications/${app.id}` },
      });
      expect(isIsoUtc(message.createdTime)).toBe(true);
      expect(await messageRows(channel.id)).toBe(1);
      await expectStoredFile(expect, message, bytes, "application/x-test");

      // The same message when fetched and listed.
      expect(MessageResource.parse((await api.get(self)).body)).toEqual(message);
      const page = MessagePage.parse((await api.get(channel._links.messages.href)).body);
      expect(page._embedded.messages).toEqual([message]);
    },
  );

  it("keeps the groupTag part and returns it on every read", async ({ expect }) => {
    const { upload, api, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const res = await upload(channel._links.messages.href, [
      ["file", new File(["a,b\n1,2\n"], "data.csv", { type: "text/csv" })],
      ["groupTag", "reports 📊"],
    ]);
    expectHal(expect, res, 201);
    const message = MessageResource.parse(res.body);
    expect(message.groupTag).toBe("reports 📊");
    expect(MessageResource.parse((await api.get(message._links.self!.href)).body).groupTag).toBe("reports 📊");
    const page = MessagePage.parse((await api.get(channel._links.messages.href)).body);
    expect(page._embedded.messages[0]?.groupTag).toBe("reports 📊");
  });

  it.for([
    "отчёт за март.pdf",
    "日本語のファイル名.txt",
    "emoji 😀🐱‍👤 name.png",
    `quotes "and" 'apostrophes' & percent%20.txt`,
    "a/b\\c?.bin",
  ])("keeps the unicode file name %j exactly and serves the file by its url", async (name, { expect }) => {
    const { upload, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const bytes = binary(1_000);
    const res = await upload(channel._links.messages.href, [["file", new File([bytes], name, { type: "application/octet-stream" })]]);
    expectHal(expect, res, 201);
    const message = MessageResource.parse(res.body);
    expect(message.file?.name).toBe(name);
    await expectStoredFile(expect, message, bytes, "application/octet-stream");
  });

  it("decodes a filename's %22, %0D and %0A escapes, as browsers and curl write them", async ({ expect }) => {
    const { send, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const boundary = "b-4f1c";
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="say %22hi%22%0D%0Anow.txt"\r\n` +
      `Content-Type: text/plain\r\n\r\nhi\r\n--${boundary}--\r\n`;
    const res = await send(channel._links.messages.href, { headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` }, body });
    expectHal(expect, res, 201);
    const message = MessageResource.parse(res.body);
    expect(message.file).toMatchObject({ name: 'say "hi"\r\nnow.txt', contentType: "text/plain", size: 2 });
    await expectStoredFile(expect, message, new TextEncoder().encode("hi"), "text/plain");
  });

  it("stores a part without a Content-Type as application/octet-stream", async ({ expect }) => {
    const { upload, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const bytes = binary(10);
    const res = await upload(channel._links.messages.href, [["file", new File([bytes], "raw")]]);
    expectHal(expect, res, 201);
    const message = MessageResource.parse(res.body);
    expect(message.file?.contentType).toBe("application/octet-stream");
    await expectStoredFile(expect, message, bytes, "application/octet-stream");
  });

  it.for<[string, Part[], string]>([
    ["an empty file", [["file", new File([], "empty.txt", { type: "text/plain" })]], "file"],
    ["no file part", [["groupTag", "tag"]], "file"],
    ["a file part that is a plain field", [["file", "just text"]], "file"],
    ["two file parts", [["file", new File(["a"], "a.txt")], ["file", new File(["b"], "b.txt")]], "file"],
    ["a file name of 256 characters", [["file", new File(["x"], `${"n".repeat(252)}.txt`)]], "file"],
    ["a blank groupTag", [["file", new File(["x"], "x.txt")], ["groupTag", "   "]], "groupTag"],
    ["an empty groupTag", [["file", new File(["x"], "x.txt")], ["groupTag", ""]], "groupTag"],
    ["a groupTag of 256 characters", [["file", new File(["x"], "x.txt")], ["groupTag", "g".repeat(256)]], "groupTag"],
  ])("refuses %s with 400 naming the field, storing nothing", async ([_label, parts, field], { expect }) => {
    const { app, upload, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const err = expectInvalidField(expect, await upload(channel._links.messages.href, parts), field);
    expect(err.error).toBe("InvalidRequestError");
    expect(await messageRows(channel.id)).toBe(0);
    expect(await objectsUnder(`${app.id}/${channel.id}/`)).toEqual([]);
  });

  it("refuses an empty multipart body (no parts) with 400 naming file", async ({ expect }) => {
    const { upload, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    expectInvalidField(expect, await upload(channel._links.messages.href, []), "file");
  });

  it("refuses a urlencoded form with 415", async ({ expect }) => {
    const { send, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const res = await send(channel._links.messages.href, {
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "file=abc",
    });
    expectError(expect, res, 415);
    expect(await messageRows(channel.id)).toBe(0);
  });

  it("answers 404 for an unknown channel or another application's channel, storing nothing", async ({ expect }) => {
    const a = await fileSetup();
    const b = await fileSetup();
    const theirs = ChannelResource.parse(await b.createChannel("PUBLIC"));
    const file = () => new File(["x"], "x.txt");
    expectError(expect, await a.upload(`${a.urls.channels}/${theirs.id}/messages`, [["file", file()]]), 404);
    expectError(expect, await a.upload(theirs._links.messages.href, [["file", file()]]), 404);
    expectError(expect, await a.upload(`${a.urls.channels}/999999999/messages`, [["file", file()]]), 404);
    expect(await objectsUnder(`${a.app.id}/`)).toEqual([]);
    expect(await objectsUnder(`${b.app.id}/`)).toEqual([]);
  });
});

describe("file size limits (MAX_FILE_BYTES = 1 MiB here)", () => {
  it("accepts a file of exactly MAX_FILE_BYTES, although its request body is over the 1 MiB body limit", async ({ expect }) => {
    const { upload, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const bytes = binary(MAX_FILE_BYTES);
    const res = await upload(channel._links.messages.href, [["file", new File([bytes], "max.bin", { type: "application/octet-stream" })]]);
    expectHal(expect, res, 201);
    const message = MessageResource.parse(res.body);
    expect(message.file?.size).toBe(MAX_FILE_BYTES);
    await expectStoredFile(expect, message, bytes, "application/octet-stream");
  });

  it("answers 413 for a file one byte over the limit, storing nothing", async ({ expect }) => {
    const { app, upload, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const res = await upload(channel._links.messages.href, [["file", new File([binary(MAX_FILE_BYTES + 1)], "big.bin")]]);
    const err = expectError(expect, res, 413, "PayloadTooLargeError");
    expect(err.message).toContain(String(MAX_FILE_BYTES));
    expect(await messageRows(channel.id)).toBe(0);
    expect(await objectsUnder(`${app.id}/${channel.id}/`)).toEqual([]);
  });

  it("answers 413 (not 500) for a body far over the limit, declared by Content-Length", async ({ expect }) => {
    const { app, upload, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const res = await upload(channel._links.messages.href, [["file", new File([binary(3 * MAX_FILE_BYTES)], "huge.bin")]]);
    expectError(expect, res, 413, "PayloadTooLargeError");
    expect(await objectsUnder(`${app.id}/${channel.id}/`)).toEqual([]);
  });

  it("answers 413 for a streamed multipart body (no Content-Length) far over the limit", async ({ expect }) => {
    const { send, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const boundary = "test-boundary-7f3a";
    const head = new TextEncoder().encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="s.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    const chunk = binary(64 * 1024).map((b) => (b === 0x2d ? 0x2e : b)); // no "-", so no stray boundary
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(head);
        if (sent > 2 * MAX_FILE_BYTES) {
          controller.enqueue(new TextEncoder().encode(`\r\n--${boundary}--\r\n`));
          controller.close();
          return;
        }
        controller.enqueue(chunk);
        sent += chunk.length;
      },
    });
    const res = await send(channel._links.messages.href, {
      headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` },
      body: stream,
    });
    expectError(expect, res, 413, "PayloadTooLargeError");
    expect(await messageRows(channel.id)).toBe(0);
  });

  it("keeps the 1 MiB limit for multipart bodies anywhere else and for JSON to the messages endpoint", async ({ expect }) => {
    const { send, upload, urls, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const big = new File([binary(MAX_FILE_BYTES)], "max.bin");
    expectError(expect, await upload(urls.users, [["file", big]]), 413);
    expectError(expect, await upload(urls.channels, [["file", big]]), 413);
    const json = JSON.stringify({ body: "x".repeat(MAX_FILE_BYTES + 10) });
    expectError(expect, await send(channel._links.messages.href, { headers: { "Content-Type": "application/json" }, body: json }), 413);
  });
});

describe("POST {channel messages} JSON {type: FILE}: SYSTEM_FILE, EXTERNAL", () => {
  const external = { url: "https://cdn.example.com/files/report.pdf?v=2", name: "report.pdf", contentType: "application/pdf", size: 12_345 };

  it("creates a persisted message pointing at the external file, storing nothing", async ({ expect }) => {
    const { app, api, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PRIVATE"));
    const res = await api.post(channel._links.messages.href, { type: "FILE", file: external, groupTag: "invoices" });
    expectHal(expect, res, 201);
    const message = MessageResource.parse(res.body);
    expect(message.type).toBe("SYSTEM_FILE");
    expect(message.file).toEqual({ type: "EXTERNAL", ...external });
    expect(message.groupTag).toBe("invoices");
    expect(message.body).toBeUndefined();
    expect(res.headers.get("Location")).toBe(message._links.self!.href);
    expect(MessageResource.parse((await api.get(message._links.self!.href)).body)).toEqual(message);
    expect(await objectsUnder(`${app.id}/`)).toEqual([]);
    // Deleting it touches no object (it has none).
    expectHal(expect, await api.del(message._links.self!.href));
  });

  it("accepts https URLs, size 0, media types with parameters, and omits groupTag when not given", async ({ expect }) => {
    const { api, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const file = { url: "https://example.com/a.txt", name: "a.txt", contentType: "text/plain; charset=utf-8", size: 0 };
    const res = await api.post(channel._links.messages.href, { type: "FILE", file });
    expectHal(expect, res, 201);
    const message = MessageResource.parse(res.body);
    expect(message.file).toEqual({ type: "EXTERNAL", ...file });
    expect(message).not.toHaveProperty("groupTag");
  });

  it.for<[string, unknown, string]>([
    ["no file", {}, "file"],
    ["file null", { file: null }, "file"],
    ["file a string", { file: "https://example.com/a" }, "file"],
    ["no url", { file: { ...external, url: undefined } }, "file.url"],
    ["an ftp url", { file: { ...external, url: "ftp://example.com/a.pdf" } }, "file.url"],
    ["a javascript: url", { file: { ...external, url: "javascript:alert(1)" } }, "file.url"],
    ["a data: url", { file: { ...external, url: "data:text/plain,hi" } }, "file.url"],
    ["a relative url", { file: { ...external, url: "/files/a.pdf" } }, "file.url"],
    ["a url of 2049 characters", { file: { ...external, url: `https://example.com/${"a".repeat(2029)}` } }, "file.url"],
    ["no name", { file: { ...external, name: undefined } }, "file.name"],
    ["a blank name", { file: { ...external, name: "  " } }, "file.name"],
    ["a name of 256 characters", { file: { ...external, name: "n".repeat(256) } }, "file.name"],
    ["no contentType", { file: { ...external, contentType: undefined } }, "file.contentType"],
    ["a contentType that is no media type", { file: { ...external, contentType: "pdf" } }, "file.contentType"],
    ["a contentType with spaces", { file: { ...external, contentType: "application / pdf" } }, "file.contentType"],
    ["no size", { file: { ...external, size: undefined } }, "file.size"],
    ["a negative size", { file: { ...external, size: -1 } }, "file.size"],
    ["a fractional size", { file: { ...external, size: 1.5 } }, "file.size"],
    ["a size as a string", { file: { ...external, size: "10" } }, "file.size"],
    ["a blank groupTag", { file: external, groupTag: " " }, "groupTag"],
    ["a groupTag that is a number", { file: external, groupTag: 7 }, "groupTag"],
  ])("refuses %s with 400 naming the field", async ([_label, fields, field], { expect }) => {
    const { api, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    expectInvalidField(expect, await api.post(channel._links.messages.href, { type: "FILE", ...(fields as object) }), field);
    expect(await messageRows(channel.id)).toBe(0);
  });

  it("names every missing field of the file at once", async ({ expect }) => {
    const { api, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const err = expectError(expect, await api.post(channel._links.messages.href, { type: "FILE", file: {} }), 400);
    expect(Object.keys(err.properties ?? {}).sort()).toEqual(["file.contentType", "file.name", "file.size", "file.url"]);
  });
});

describe("POST {channel messages} JSON text", () => {
  it("accepts {type: TEXT, body} as a SYSTEM_TEXT message, like {body}", async ({ expect }) => {
    const { api, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const res = await api.post(channel._links.messages.href, { type: "TEXT", body: "typed 👋" });
    expectHal(expect, res, 201);
    const message = MessageResource.parse(res.body);
    expect(message.type).toBe("SYSTEM_TEXT");
    expect(message.body).toBe("typed 👋");
    expect(message).not.toHaveProperty("file");
    expect(message).not.toHaveProperty("groupTag");
  });

  it.for<[string, unknown, string]>([
    ["{type: TEXT} without body", { type: "TEXT" }, "body"],
    ["{type: FILE} with only a body", { type: "FILE", body: "x" }, "file"],
    ["an unknown type", { type: "IMAGE", body: "x" }, "type"],
    ["type null", { type: null, body: "x" }, "type"],
    ["a JSON array", [{ body: "x" }], "body"],
  ])("refuses %s with 400 naming the field", async ([_label, json, field], { expect }) => {
    const { api, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    expectInvalidField(expect, await api.post(channel._links.messages.href, json), field);
    expect(await messageRows(channel.id)).toBe(0);
  });

  it("refuses a request without a body with 400 naming body", async ({ expect }) => {
    const { send, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    expectInvalidField(expect, await send(channel._links.messages.href, {}), "body");
  });
});

describe("OPEN channels: file messages are ephemeral", () => {
  it("answers 201 without id or self link, writes nothing to D1, lists it from the room, serves the bytes", async ({ expect }) => {
    const { app, api, upload, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("OPEN"));
    const bytes = binary(5_000);
    const res = await upload(channel._links.messages.href, [
      ["file", new File([bytes], "flüchtig.bin", { type: "application/x-ephemeral" })],
      ["groupTag", "live"],
    ]);
    expectHal(expect, res, 201);
    expect(res.headers.get("Location")).toBeNull();
    const message = MessageResource.parse(res.body);
    expect(message).not.toHaveProperty("id");
    expect(message._links).not.toHaveProperty("self");
    expect(message._links).not.toHaveProperty("user");
    expect(message.type).toBe("SYSTEM_FILE");
    expect(message.groupTag).toBe("live");
    expect(message.file).toMatchObject({ type: "HOSTED", name: "flüchtig.bin", contentType: "application/x-ephemeral", size: 5_000 });
    expect(JSON.stringify(res.body)).not.toContain('"key"');
    expect(await messageRows(channel.id)).toBe(0);
    await expectStoredFile(expect, message, bytes, "application/x-ephemeral");

    const page = MessagePage.parse((await api.get(channel._links.messages.href)).body);
    expect(page._embedded.messages).toEqual([message]);
    const all = MessagePage.parse((await api.get(`${ORIGIN}/v1/applications/${app.id}/messages`)).body);
    expect(all._embedded.messages).toEqual([]);

    // The bytes stay in R2 until the channel goes (or a lifecycle rule expires them).
    expect(await objectsUnder(`${app.id}/${channel.id}/`)).toEqual([keyOf(message.file!.url)]);
    expectHal(expect, await api.del(channel._links.self.href));
    expect(await objectsUnder(`${app.id}/${channel.id}/`)).toEqual([]);
  });

  it("holds an external file message too", async ({ expect }) => {
    const { api, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("OPEN"));
    const file = { url: "https://example.com/x.png", name: "x.png", contentType: "image/png", size: 3 };
    const res = await api.post(channel._links.messages.href, { type: "FILE", file });
    expectHal(expect, res, 201);
    const message = MessageResource.parse(res.body);
    expect(message).not.toHaveProperty("id");
    expect(message.file).toEqual({ type: "EXTERNAL", ...file });
    expect(await messageRows(channel.id)).toBe(0);
  });
});

describe("stored objects go with their message or channel", () => {
  it("deleting a message deletes its object; the url then answers 404", async ({ expect }) => {
    const { upload, api, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const [kept, gone] = await Promise.all(
      ["kept.txt", "gone.txt"].map(async (name) => MessageResource.parse((await upload(channel._links.messages.href, [["file", new File([name], name)]])).body)),
    );
    expect(await env.FILES.head(keyOf(gone!.file!.url))).not.toBeNull();
    const res = await api.del(gone!._links.self!.href);
    expectHal(expect, res);
    expect(ChannelResource.parse(res.body)).toEqual(channel);
    expect(await env.FILES.head(keyOf(gone!.file!.url))).toBeNull();
    expect((await fetchWorker(gone!.file!.url)).status).toBe(404);
    expect(await env.FILES.head(keyOf(kept!.file!.url))).not.toBeNull();
    expect((await fetchWorker(kept!.file!.url)).status).toBe(200);
  });

  it("deleting a channel deletes every object of its messages, and only those", async ({ expect }) => {
    const { app, upload, api, createChannel } = await fileSetup();
    const doomed = ChannelResource.parse(await createChannel("PRIVATE", "doomed"));
    const other = ChannelResource.parse(await createChannel("PUBLIC", "other"));
    const post = async (channel: ChannelResource, name: string) =>
      MessageResource.parse((await upload(channel._links.messages.href, [["file", new File([binary(100)], name)]])).body);
    const d1 = await post(doomed, "one.bin");
    const d2 = await post(doomed, "two.bin");
    const o1 = await post(other, "three.bin");
    expect((await objectsUnder(`${app.id}/${doomed.id}/`)).sort()).toEqual([keyOf(d1.file!.url), keyOf(d2.file!.url)].sort());

    expectHal(expect, await api.del(doomed._links.self.href));
    expect(await objectsUnder(`${app.id}/${doomed.id}/`)).toEqual([]);
    expect((await fetchWorker(d1.file!.url)).status).toBe(404);
    expect(await objectsUnder(`${app.id}/${other.id}/`)).toEqual([keyOf(o1.file!.url)]);
  });
});

describe("GET {application messages}: every persisted message, newest first", () => {
  const walk = async (api: Client, href: string, maxPages = 50) => {
    const pages: MessagePage[] = [];
    let next: string | undefined = href;
    while (next && pages.length < maxPages) {
      const res = await api.get(next);
      if (res.status !== 200) throw new Error(`walk: ${res.status} ${JSON.stringify(res.body)}`);
      pages.push(MessagePage.parse(res.body));
      next = pages[pages.length - 1]!._links.next?.href;
    }
    return pages;
  };

  it("is the application's messages link, and pages across channels, each message exactly once", async ({ expect }) => {
    const { app, api, upload, createChannel } = await fileSetup();
    const appResource = ApplicationResource.parse((await api.get(`${ORIGIN}/v1/applications/me`)).body);
    const href = appResource._links.messages.href;
    expect(href).toBe(`${ORIGIN}/v1/applications/${app.id}/messages`);

    const pub = ChannelResource.parse(await createChannel("PUBLIC", "pub"));
    const priv = ChannelResource.parse(await createChannel("PRIVATE", "priv"));
    const open = ChannelResource.parse(await createChannel("OPEN", "open"));
    const created: MessageResource[] = [];
    for (let i = 0; i < 7; i++) {
      const channel = i % 2 === 0 ? pub : priv;
      const res =
        i % 3 === 2
          ? await upload(channel._links.messages.href, [["file", new File([`f${i}`], `f${i}.txt`, { type: "text/plain" })]])
          : await api.post(channel._links.messages.href, { body: `m${i}` });
      expect(res.status).toBe(201);
      created.push(MessageResource.parse(res.body));
      // Ephemeral messages are never part of it.
      expect((await api.post(open._links.messages.href, { body: `open${i}` })).status).toBe(201);
    }
    // Another application's messages are never part of it either.
    const other = await fileSetup();
    const theirs = ChannelResource.parse(await other.createChannel("PUBLIC"));
    expect((await other.api.post(theirs._links.messages.href, { body: "not yours" })).status).toBe(201);

    const first = await api.get(`${href}?size=3`);
    expectHal(expect, first);
    const pages = await walk(api, `${href}?size=3`);
    expect(pages.map((p) => p.page.size)).toEqual([3, 3, 1]);
    expect(pages[2]!._links.next).toBeUndefined();
    const seen = pages.flatMap((p) => p._embedded.messages);
    expect(seen).toEqual([...created].reverse());
    for (const p of pages) {
      expect(p._links.self.href.startsWith(`${href}?`)).toBe(true);
      if (p._links.next) expect(p._links.next.href.startsWith(`${href}?`)).toBe(true);
    }
    // Files show as files, text as text, each with its own channel link.
    expect(seen.find((m) => m.type === "SYSTEM_FILE")?.file?.type).toBe("HOSTED");
    expect(new Set(seen.map((m) => m._links.channel.href))).toEqual(new Set([pub._links.self.href, priv._links.self.href]));
  });

  it("continues where it left off while new messages arrive, and serves 20 by default", async ({ expect }) => {
    const { app, api, createChannel } = await fileSetup();
    const href = `${ORIGIN}/v1/applications/${app.id}/messages`;
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const original: number[] = [];
    for (let i = 0; i < 22; i++) original.push(MessageResource.parse((await api.post(channel._links.messages.href, { body: `m${i}` })).body).id!);

    const p1 = MessagePage.parse((await api.get(href)).body);
    expect(p1._embedded.messages).toHaveLength(20);
    expect(p1._links.next).toBeDefined();
    await api.post(channel._links.messages.href, { body: "newer" });
    const rest = await walk(api, p1._links.next!.href);
    const ids = [...p1._embedded.messages, ...rest.flatMap((p) => p._embedded.messages)].map((m) => m.id);
    expect(ids).toEqual([...original].reverse());
  });

  it("answers an application without messages with an empty page", async ({ expect }) => {
    const { app, api } = await fileSetup();
    const res = await api.get(`${ORIGIN}/v1/applications/${app.id}/messages`);
    expectHal(expect, res);
    const page = MessagePage.parse(res.body);
    expect(page._embedded).toEqual({ messages: [] });
    expect(page.page).toEqual({ size: 0 });
    expect(page._links.next).toBeUndefined();
  });

  it("answers 404 for another application's messages and 400 for a bad size or cursor", async ({ expect }) => {
    const a = await fileSetup();
    const b = await fileSetup();
    const theirs = ChannelResource.parse(await b.createChannel("PUBLIC"));
    await b.api.post(theirs._links.messages.href, { body: "only b" });
    const res = await a.api.get(`${ORIGIN}/v1/applications/${b.app.id}/messages`);
    expectError(expect, res, 404);
    expect(JSON.stringify(res.body)).not.toContain("only b");
    const mine = `${ORIGIN}/v1/applications/${a.app.id}/messages`;
    expectInvalidField(expect, await a.api.get(`${mine}?size=0`), "size");
    expectError(expect, await a.api.get(`${mine}?start=abc`), 400);
    expectError(expect, await a.api.post(mine, { body: "x" }), 405);
  });
});

describe("live delivery of system file messages", () => {
  const utf8 = new TextEncoder();
  const frame = (command: string, headers: Record<string, string>, body = "") => {
    const raw = FrameImpl.marshall({ command, headers, body, escapeHeaderValues: command !== "CONNECT", skipContentLengthHeader: false });
    return typeof raw === "string" ? utf8.encode(raw) : new Uint8Array(raw);
  };

  it("publishes a persisted SYSTEM_FILE message to the channel's chat sessions, without its key", async ({ expect }) => {
    const { app, upload, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const res = await exports.default.fetch(
      new Request(`${ORIGIN}/stompx/websocket?api_key=${app.key}&stompx_user=watcher-${crypto.randomUUID()}`, {
        headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": "v12.stomp" },
      }),
    );
    const ws = res.webSocket!;
    const frames: { command: string; headers: Record<string, string>; body: string }[] = [];
    const parser = new Parser(
      (raw) => {
        const f = FrameImpl.fromRawFrame(raw, true);
        frames.push({ command: f.command, headers: { ...f.headers } as Record<string, string>, body: f.body });
      },
      () => {},
    );
    ws.accept();
    ws.addEventListener("message", (e) => parser.parseChunk(e.data as string | ArrayBuffer, true));
    const take = async (pred: (f: (typeof frames)[number]) => boolean) => {
      for (const deadline = Date.now() + 3000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 10))) {
        const i = frames.findIndex(pred);
        if (i >= 0) return frames.splice(i, 1)[0]!;
      }
      throw new Error(`frame not received; got ${JSON.stringify(frames).slice(0, 800)}`);
    };
    try {
      ws.send(frame("CONNECT", { "accept-version": "1.2", "heart-beat": "0,0" }));
      await take((f) => f.command === "CONNECTED");
      const destination = `/topic/v1/channels/${channel.id}/messages`;
      ws.send(frame("SUBSCRIBE", { id: "s-messages", destination, ack: "auto", receipt: "r-sub" }));
      await take((f) => f.command === "RECEIPT" && f.headers["receipt-id"] === "r-sub");

      const posted = await upload(channel._links.messages.href, [
        ["file", new File(["live bytes"], "live.txt", { type: "text/plain" })],
        ["groupTag", "g"],
      ]);
      expect(posted.status).toBe(201);
      const message = MessageResource.parse(posted.body);
      const event = await take((f) => f.command === "MESSAGE" && f.headers.subscription === "s-messages");
      const body = JSON.parse(event.body);
      expect(body.type).toBe("thread.message.created");
      expect(body.resource).toMatchObject({ id: message.id, type: "SYSTEM_FILE", channelId: channel.id, file: message.file });
      expect(body.resource).not.toHaveProperty("body");
      expect(event.body).not.toContain('"key"');
    } finally {
      ws.close(1000, "done");
    }
  });
});
