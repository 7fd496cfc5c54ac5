/**
 * `POST /v1/users/{id}/display-picture` in the current form: ChatKitty's
 * `CreateExternalFileProperties` as JSON sets `displayPictureUrl`; a multipart `file` part (as
 * chatkitty-platform-sdk@2.4.0 sends it, without a boundary parameter, and as chatkitty@2.106.8
 * sends a bare Blob) is stored here and served from the URL it sets. Only PNG, JPEG, GIF, WebP
 * and AVIF up to MAX_FILE_BYTES (tested at and past it); a replaced hosted picture, and a deleted
 * user's, is deleted from R2 unless another user shows it. Anything else is a clear 4xx that
 * stores and changes nothing, and If-Match guards it as it guards a PATCH. Every JSON body
 * validates against ChatKitty's schema.
 */
import { env } from "cloudflare:workers";
import { describe, type ExpectStatic, it } from "vitest";
import { fetchWorker } from "../helpers/api";
import { expectError, expectHal, expectInvalidField } from "../helpers/checks";
import { chatKittyClient, expectChatKitty } from "../helpers/chatkitty-schema";
import { binary, fileSetup, keyOf, MAX_FILE_BYTES, objectsUnder } from "../helpers/files";

const checkedSetup = async (expect: ExpectStatic) => {
  const s = await fileSetup();
  return { ...s, api: chatKittyClient(expect, s.api) };
};

const picture = { url: "https://example.com/pictures/jan%C3%A9.png", name: "jané 👩.png", contentType: "image/png", size: 32768 };

describe("POST /v1/users/{id}/display-picture", () => {
  it("sets the display picture to the hosted file's URL, kept on later reads", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = (await s.api.post("/v1/users", { name: `jane-${crypto.randomUUID()}` })).body;
    const res = await s.api.post(`/v1/users/${jane.id}/display-picture`, picture);
    expectHal(expect, res);
    const user = expectChatKitty(expect, res, "POST /v1/users/{id}/display-picture");
    expect(user).toMatchObject({ id: jane.id, name: jane.name, displayPictureUrl: picture.url });
    expect((await s.api.get(`/v1/users/${jane.id}`)).body).toEqual(user);
  });

  it("refuses bad files with 400 naming the field, other media types with 415, and writes nothing", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = (await s.api.post("/v1/users", { name: `jane-${crypto.randomUUID()}` })).body;
    const path = `/v1/users/${jane.id}/display-picture`;
    expectInvalidField(expect, await s.api.post(path, { ...picture, url: "javascript:alert(1)" }), "url");
    expectInvalidField(expect, await s.api.post(path, { ...picture, url: "http://example.com/a.png" }), "url");
    expectInvalidField(expect, await s.api.post(path, { ...picture, contentType: "png" }), "contentType");
    expectInvalidField(expect, await s.api.post(path, { ...picture, size: -1 }), "size");
    expectInvalidField(expect, await s.api.post(path, { ...picture, name: "n".repeat(1000) }), "name");
    expectError(expect, await s.api.post(path, {}), 400);
    expectError(expect, await s.api.call("POST", path, "{", { "Content-Type": "application/json" }), 400);
    expectError(expect, await s.send(path, { body: "a picture", headers: { "Content-Type": "text/plain" } }), 415);
    expectError(expect, await s.send(path, { body: "url=x", headers: { "Content-Type": "application/x-www-form-urlencoded" } }), 415);
    expectError(expect, await s.send(path, {}), 400);
    expect((await s.api.get(`/v1/users/${jane.id}`)).body).toEqual(jane);
  });

  it("takes If-Match as a PATCH does: a stale ETag is refused with 412", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await s.api.post("/v1/users", { name: `jane-${crypto.randomUUID()}` });
    const path = `/v1/users/${jane.body.id}/display-picture`;
    const etag = (await s.api.get(`/v1/users/${jane.body.id}`)).headers.get("ETag")!;
    const json = { "Content-Type": "application/json" };
    expectHal(expect, await s.api.call("POST", path, JSON.stringify(picture), { ...json, "If-Match": etag }));
    expectError(expect, await s.api.call("POST", path, JSON.stringify(picture), { ...json, "If-Match": etag }), 412);
  });

  it("answers 404 for an unknown user and another application's, leaving theirs alone", async ({ expect }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    const theirs = (await b.api.post("/v1/users", { name: `t-${crypto.randomUUID()}` })).body;
    expectError(expect, await a.api.post(`/v1/users/${theirs.id}/display-picture`, picture), 404);
    expectError(expect, await a.api.post("/v1/users/999999999/display-picture", picture), 404);
    expect((await b.api.get(`/v1/users/${theirs.id}`)).body).toEqual(theirs);
  });
});

/** `n` bytes that open with the PNG signature. */
const png = (n = 64) => {
  const bytes = binary(n);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0);
  return bytes;
};

const user = async (s: Awaited<ReturnType<typeof checkedSetup>>, label = "jane") =>
  (await s.api.post("/v1/users", { name: `${label}-${crypto.randomUUID()}` })).body as {
    id: number;
    name: string;
    displayPictureUrl: string;
  };

const pictures = (appId: number) => objectsUnder(`${appId}/0/`);

/** The picture's URL serves `bytes` as `contentType`. */
const expectServed = async (expect: ExpectStatic, url: string, bytes: Uint8Array, contentType: string) => {
  const res = await fetchWorker(url);
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toBe(contentType);
  expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
};

describe("POST /v1/users/{id}/display-picture with an upload", () => {
  it("stores the image, serves it from the user's new displayPictureUrl, and keeps it on later reads", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await user(s);
    const bytes = png(4096);
    const res = await s.upload(`/v1/users/${jane.id}/display-picture`, [["file", new File([bytes], "jané 👩.png", { type: "image/png" })]]);
    expectHal(expect, res);
    const updated = expectChatKitty(expect, res, "POST /v1/users/{id}/display-picture");
    expect(updated.displayPictureUrl).toMatch(new RegExp(`^http://example\\.test/stompx/v1/files/${s.app.id}/0/[0-9a-f-]{36}/`));
    expect(decodeURIComponent(updated.displayPictureUrl.split("/").pop()!)).toBe("jané 👩.png");
    await expectServed(expect, updated.displayPictureUrl, bytes, "image/png");
    expect((await s.api.get(`/v1/users/${jane.id}`)).body.displayPictureUrl).toBe(updated.displayPictureUrl);
    expect(await pictures(s.app.id)).toEqual([keyOf(updated.displayPictureUrl)]);
  });

  it("takes chatkitty-platform-sdk@2.4.0's multipart without a boundary parameter", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await user(s);
    const bytes = png(300);
    const head = '--sdk240\r\nContent-Disposition: form-data; name="file"; filename="me.gif"\r\nContent-Type: image/gif\r\n\r\n';
    const body = new Uint8Array([...new TextEncoder().encode(head), ...bytes, ...new TextEncoder().encode("\r\n--sdk240--\r\n")]);
    const res = await s.send(`/v1/users/${jane.id}/display-picture`, { body, headers: { "Content-Type": "multipart/form-data" } });
    expectHal(expect, res);
    await expectServed(expect, res.body.displayPictureUrl, bytes, "image/gif");
  });

  it("takes chatkitty@2.106.8's bare Blob (filename blob, no type) by its bytes, and refuses untyped bytes that are no image", async ({
    expect,
  }) => {
    const s = await checkedSetup(expect);
    const jane = await user(s);
    const jpeg = binary(200);
    jpeg.set([0xff, 0xd8, 0xff, 0xe0], 0);
    const form = new FormData();
    form.append("file", new Blob([jpeg]));
    const res = await s.send(`/v1/users/${jane.id}/display-picture`, { body: form });
    expectHal(expect, res);
    await expectServed(expect, res.body.displayPictureUrl, jpeg, "image/jpeg");
    const notImage = new FormData();
    notImage.append("file", new Blob([new TextEncoder().encode("<html>hi</html>")]));
    expectInvalidField(expect, await s.send(`/v1/users/${jane.id}/display-picture`, { body: notImage }), "file");
  });

  it("takes a picture of exactly MAX_FILE_BYTES and refuses one byte more with 413, storing and changing nothing", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await user(s);
    const path = `/v1/users/${jane.id}/display-picture`;
    const over = await s.upload(path, [["file", new File([png(MAX_FILE_BYTES + 1)], "big.png", { type: "image/png" })]]);
    expectError(expect, over, 413);
    expect(await pictures(s.app.id)).toEqual([]);
    expect((await s.api.get(`/v1/users/${jane.id}`)).body).toEqual(jane);
    const bytes = png(MAX_FILE_BYTES);
    const at = await s.upload(path, [["file", new File([bytes], "max.png", { type: "image/png" })]]);
    expectHal(expect, at);
    await expectServed(expect, at.body.displayPictureUrl, bytes, "image/png");
  });

  it("refuses what is not a PNG, JPEG, GIF, WebP or AVIF image, an empty file and a missing part with 400, storing nothing", async ({
    expect,
  }) => {
    const s = await checkedSetup(expect);
    const jane = await user(s);
    const path = `/v1/users/${jane.id}/display-picture`;
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    expectInvalidField(expect, await s.upload(path, [["file", new File([svg], "x.svg", { type: "image/svg+xml" })]]), "file");
    expectInvalidField(expect, await s.upload(path, [["file", new File([png()], "x.html", { type: "text/html" })]]), "file");
    expectInvalidField(expect, await s.upload(path, [["file", new File([], "empty.png", { type: "image/png" })]]), "file");
    expectInvalidField(expect, await s.upload(path, [["picture", new File([png()], "a.png", { type: "image/png" })]]), "file");
    expectInvalidField(expect, await s.upload(path, [["file", "not a file"]]), "file");
    expect(await pictures(s.app.id)).toEqual([]);
    expect((await s.api.get(`/v1/users/${jane.id}`)).body).toEqual(jane);
  });

  it("deletes the hosted picture it replaces, by an upload or a link, and a deleted user's", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await user(s);
    const path = `/v1/users/${jane.id}/display-picture`;
    const first = (await s.upload(path, [["file", new File([png()], "1.png", { type: "image/png" })]])).body.displayPictureUrl;
    const second = (await s.upload(path, [["file", new File([png()], "2.webp", { type: "image/webp" })]])).body.displayPictureUrl;
    expect((await fetchWorker(first)).status).toBe(404);
    expect(await pictures(s.app.id)).toEqual([keyOf(second)]);
    expectHal(expect, await s.api.post(path, picture));
    expect((await fetchWorker(second)).status).toBe(404);
    expect(await pictures(s.app.id)).toEqual([]);
    const third = (await s.upload(path, [["file", new File([png()], "3.png", { type: "image/png" })]])).body.displayPictureUrl;
    expectHal(expect, await s.api.del(`/v1/users/${jane.id}`));
    expect((await fetchWorker(third)).status).toBe(404);
    expect(await pictures(s.app.id)).toEqual([]);
    expect(
      (await env.DB.prepare("select count(*) as n from file_deletions where application_id = ?").bind(s.app.id).first<{ n: number }>())!.n,
    ).toBe(0);
  });

  it("keeps a hosted picture another user still shows", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const jane = await user(s, "jane");
    const joe = await user(s, "joe");
    const bytes = png();
    const shared = (await s.upload(`/v1/users/${jane.id}/display-picture`, [["file", new File([bytes], "us.png", { type: "image/png" })]]))
      .body.displayPictureUrl;
    // A chat session may set any https URL as its user's picture, another user's included.
    await env.DB.prepare("update users set display_picture_url = ? where id = ?").bind(shared, joe.id).run();
    expectHal(expect, await s.api.post(`/v1/users/${jane.id}/display-picture`, picture));
    await expectServed(expect, shared, bytes, "image/png");
    expectHal(expect, await s.api.del(`/v1/users/${joe.id}`));
    expect((await fetchWorker(shared)).status).toBe(404);
  });

  it("answers 404 for an unknown user and another application's, and 412 for a stale If-Match, storing nothing", async ({ expect }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    const theirs = await user(b);
    const file = () => new File([png()], "a.png", { type: "image/png" });
    expectError(expect, await a.upload(`/v1/users/${theirs.id}/display-picture`, [["file", file()]]), 404);
    expectError(expect, await a.upload("/v1/users/999999999/display-picture", [["file", file()]]), 404);
    const jane = await user(a);
    const etag = (await a.api.get(`/v1/users/${jane.id}`)).headers.get("ETag")!;
    expectHal(expect, await a.api.post(`/v1/users/${jane.id}/display-picture`, picture));
    const form = new FormData();
    form.append("file", file());
    expectError(expect, await a.send(`/v1/users/${jane.id}/display-picture`, { body: form, headers: { "If-Match": etag } }), 412);
    expect(await pictures(a.app.id)).toEqual([]);
    expect(await pictures(b.app.id)).toEqual([]);
    expect((await b.api.get(`/v1/users/${theirs.id}`)).body).toEqual(theirs);
  });
});
