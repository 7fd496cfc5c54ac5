/**
 * System file messages uploaded through the Platform API as multipart/form-data: stored in (local)
 * R2 and served back byte for byte, names kept exactly, malformed uploads refused without storing
 * anything, the stored objects going away with their message or channel, and the message
 * published live to the channel's chat sessions. Size limits are in message-files-limits.test.ts,
 * links to external files in message-files-external.test.ts. Every test makes its own application.
 */
import { FrameImpl } from "@stomp/stompjs/esm6/frame-impl.js";
import { Parser } from "@stomp/stompjs/esm6/parser.js";
import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import { ChannelResource } from "../../src/api/channels/channels.schemas";
import { MessagePage, MessageResource } from "../../src/api/messages/messages.schemas";
import { fetchWorker, ORIGIN } from "../helpers/api";
import { sdkFrame as frame } from "../helpers/chat";
import { expectError, expectHal, expectInvalidField, isIsoUtc } from "../helpers/checks";
import { binary, expectStoredFile, fileSetup, keyOf, objectsUnder, type Part } from "../helpers/files";
import { messageRows } from "../helpers/rows";

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
    const res = await send(channel._links.messages.href, {
      headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` },
      body,
    });
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
    [
      "two file parts",
      [
        ["file", new File(["a"], "a.txt")],
        ["file", new File(["b"], "b.txt")],
      ],
      "file",
    ],
    ["a file name of 256 characters", [["file", new File(["x"], `${"n".repeat(252)}.txt`)]], "file"],
    [
      "a blank groupTag",
      [
        ["file", new File(["x"], "x.txt")],
        ["groupTag", "   "],
      ],
      "groupTag",
    ],
    [
      "an empty groupTag",
      [
        ["file", new File(["x"], "x.txt")],
        ["groupTag", ""],
      ],
      "groupTag",
    ],
    [
      "a groupTag of 256 characters",
      [
        ["file", new File(["x"], "x.txt")],
        ["groupTag", "g".repeat(256)],
      ],
      "groupTag",
    ],
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

describe("stored objects go with their message or channel", () => {
  it("deleting a message deletes its object; the url then answers 404", async ({ expect }) => {
    const { upload, api, createChannel } = await fileSetup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    const [kept, gone] = await Promise.all(
      ["kept.txt", "gone.txt"].map(async (name) =>
        MessageResource.parse((await upload(channel._links.messages.href, [["file", new File([name], name)]])).body),
      ),
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

describe("live delivery of system file messages", () => {
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
