/**
 * `POST /v1/users/{id}/display-picture` in the current form: ChatKitty's
 * `CreateExternalFileProperties` as JSON (what both SDKs send) sets `displayPictureUrl`; anything
 * else is a clear 4xx, and If-Match guards it as it guards a PATCH. Every JSON body validates
 * against ChatKitty's schema.
 */
import { describe, type ExpectStatic, it } from "vitest";
import { expectError, expectHal, expectInvalidField } from "../helpers/checks";
import { chatKittyClient, expectChatKitty } from "../helpers/chatkitty-schema";
import { fileSetup } from "../helpers/files";

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
    const form = new FormData();
    form.append("file", new File([new Uint8Array(8)], "a.png", { type: "image/png" }));
    expectError(expect, await s.send(path, { body: form }), 415);
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
