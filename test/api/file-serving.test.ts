/**
 * Hosted files are served from the API's own origin, so they must never become active content
 * there: every answer of `GET /stompx/v1/files/...` is sandboxed and never sniffed, and only
 * inert media types (images, audio, video, PDF) are shown inline; anything else, whatever its
 * name says, is a download. Files are uploaded through the Platform API's multipart route.
 */
import { describe, it } from "vitest";
import { ChannelResource } from "../../src/api/channels/channels.schemas";
import { MessageResource } from "../../src/api/messages/messages.schemas";
import { fetchWorker, ORIGIN, setup, tokenFor } from "../helpers/api";

const GUARD = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; sandbox",
  "cross-origin-resource-policy": "cross-origin",
};

/** Uploads `content` as a file part and returns the hosted file's URL. */
const upload = async (name: string, type: string, content = "<script>alert(document.domain)</script>") => {
  const s = await setup();
  const channel = ChannelResource.parse(await s.createChannel("PUBLIC"));
  const form = new FormData();
  form.append("file", new File([content], name, { type }));
  const res = await fetchWorker(channel._links.messages.href, {
    method: "POST",
    headers: { Authorization: `Bearer ${await tokenFor(s.app)}` },
    body: form,
  });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
  return MessageResource.parse(await res.json()).file!.url;
};

const policyHeaders = (res: Response) =>
  Object.fromEntries(["content-type", "content-disposition", ...Object.keys(GUARD)].map((h) => [h, res.headers.get(h)]));

describe("GET {hosted file}: headers by media type", () => {
  it.for<[string, string, string, "inline" | "attachment"]>([
    ["an HTML page", "page.html", "text/html", "attachment"],
    ["an SVG image (it runs scripts)", "logo.svg", "image/svg+xml", "attachment"],
    ["plain text", "notes.txt", "text/plain", "attachment"],
    ["XML", "feed.xml", "application/xml", "attachment"],
    ["XHTML", "page.xhtml", "application/xhtml+xml", "attachment"],
    ["JavaScript", "app.js", "text/javascript", "attachment"],
    ["unknown bytes", "blob.bin", "application/octet-stream", "attachment"],
    ["a PNG image", "cat.png", "image/png", "inline"],
    ["a JPEG image", "cat.jpg", "image/jpeg", "inline"],
    ["a PDF", "report.pdf", "application/pdf", "inline"],
    ["an MP4 video", "clip.mp4", "video/mp4", "inline"],
    ["HTML named like an image", "cat.png", "text/html", "attachment"],
    ["an image named like HTML", "page.html", "image/png", "inline"],
  ])("%s (%s, %s): %s", async ([, name, type, disposition], { expect }) => {
    const res = await fetchWorker(await upload(name, type));
    expect(res.status).toBe(200);
    expect(policyHeaders(res)).toEqual({
      "content-type": type,
      "content-disposition": `${disposition}; filename*=UTF-8''${name}`,
      ...GUARD,
    });
    // Still readable by apps on other origins.
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    await res.arrayBuffer();
  });

  it("decides by the media type's essence: parameters and case do not matter", async ({ expect }) => {
    const res = await fetchWorker(await upload("cat.png", "IMAGE/PNG; foo=bar"));
    // File#type lowercases; the parameter stays as uploaded.
    expect(res.headers.get("content-type")).toBe("image/png; foo=bar");
    expect(res.headers.get("content-disposition")).toBe("inline; filename*=UTF-8''cat.png");
    await res.arrayBuffer();
  });

  it("writes the file name as RFC 8187 ext-value, whatever characters it has", async ({ expect }) => {
    const res = await fetchWorker(await upload(`l'été (1) *new* "x";.html`, "text/html"));
    expect(res.headers.get("content-disposition")).toBe(
      "attachment; filename*=UTF-8''l%27%C3%A9t%C3%A9%20%281%29%20%2Anew%2A%20%22x%22%3B.html",
    );
    await res.arrayBuffer();
  });
});

describe("GET {hosted file}: errors carry the guard too", () => {
  it("404 for a file that does not exist: nosniff, sandbox CSP, JSON error body", async ({ expect }) => {
    const res = await fetchWorker(`${ORIGIN}/stompx/v1/files/1/1/${crypto.randomUUID()}/x.html`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json\b/);
    expect(Object.fromEntries(Object.keys(GUARD).map((h) => [h, res.headers.get(h)]))).toEqual(GUARD);
    expect(await res.json()).toMatchObject({ error: "FileNotFoundError" });
  });

  it("a path that is no file address: a JSON error with nosniff", async ({ expect }) => {
    const res = await fetchWorker(`${ORIGIN}/stompx/v1/files/1/1/not-a-uuid/x.html`);
    // The app's own answer (404, or 405 as only the CORS preflight route matches the path).
    expect([404, 405]).toContain(res.status);
    expect(res.headers.get("content-type")).toMatch(/^application\/json\b/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    await res.arrayBuffer();
  });
});
