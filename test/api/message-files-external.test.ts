/**
 * System file messages that point at an external file (`{type: FILE, file: {url, name,
 * contentType, size}}` as JSON): persisted as SYSTEM_FILE EXTERNAL, nothing stored in R2, and
 * every field of the file validated.
 */
import { describe, it } from "vitest";
import { ChannelResource } from "../../src/api/channels/channels.schemas";
import { MessageResource } from "../../src/api/messages/messages.schemas";
import { expectError, expectHal, expectInvalidField } from "../helpers/checks";
import { fileSetup, objectsUnder } from "../helpers/files";
import { messageRows } from "../helpers/rows";

describe("POST {channel messages} JSON {type: FILE}: SYSTEM_FILE, EXTERNAL", () => {
  const external = {
    url: "https://cdn.example.com/files/report.pdf?v=2",
    name: "report.pdf",
    contentType: "application/pdf",
    size: 12_345,
  };

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
