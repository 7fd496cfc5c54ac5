/**
 * The size limits of file messages (MAX_FILE_BYTES is 1 MiB in the test bindings): a file of
 * exactly the limit is stored although its multipart body is over the 1 MiB body limit, anything
 * larger is 413 and stores nothing, whether or not it declares its length; every other body keeps
 * the 1 MiB limit.
 */
import { describe, it } from "vitest";
import { ChannelResource } from "../../src/api/channels/channels.schemas";
import { MessageResource } from "../../src/api/messages/messages.schemas";
import { expectError, expectHal } from "../helpers/checks";
import { binary, expectStoredFile, fileSetup, MAX_FILE_BYTES, objectsUnder } from "../helpers/files";
import { messageRows } from "../helpers/rows";

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
