/**
 * `/` from a browser lands on the API Explorer (302 to /v1/explorer/); every other request at `/`
 * keeps the JSON answers it had: 404 (any method, no `Allow`), or 406 when Accept rules out JSON.
 */
import { describe, it } from "vitest";
import { acceptsHtml } from "../../src/http/landing";
import { fetchWorker } from "../helpers/api";
import { expectError } from "../helpers/checks";

const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

const raw = async (init: RequestInit = {}) => {
  const res = await fetchWorker("/", { redirect: "manual", ...init });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
};

describe("GET / from a browser", () => {
  it.for([BROWSER, "text/html", "TEXT/HTML; charset=utf-8", "application/json;q=0.5, text/html"])(
    "redirects Accept: %s to the explorer",
    async (accept, { expect }) => {
      const res = await fetchWorker("/", { headers: { Accept: accept }, redirect: "manual" });
      expect(res.status).toBe(302);
      expect(res.headers.get("Location")).toBe("/v1/explorer/");
      expect(res.headers.get("Vary")).toMatch(/Accept/);
    },
  );

  it("redirects HEAD too", async ({ expect }) => {
    const res = await fetchWorker("/", { method: "HEAD", headers: { Accept: BROWSER }, redirect: "manual" });
    expect(res.status).toBe(302);
  });

  it.for(["application/json", "application/hal+json", "*/*", "text/html;q=0, */*"])(
    "answers Accept: %s with the JSON 404",
    async (accept, { expect }) => {
      expectError(expect, await raw({ headers: { Accept: accept } }), 404);
    },
  );

  it("answers no Accept header with the JSON 404", async ({ expect }) => {
    expectError(expect, await raw(), 404);
  });

  it.for(["POST", "PUT", "DELETE"])("answers %s / from a browser with 404, not 405", async (method, { expect }) => {
    const res = await raw({ method, headers: { Accept: BROWSER, "Content-Type": "application/json" }, body: "{}" });
    expectError(expect, res, 404);
    expect(res.headers.get("Allow")).toBeNull();
  });

  it("keeps the 406 for a non-GET that rules out JSON", async ({ expect }) => {
    expectError(expect, await raw({ method: "POST", headers: { Accept: "text/html" } }), 406);
  });
});

describe("acceptsHtml", () => {
  it.for([
    [BROWSER, true],
    ["text/html", true],
    [" text/html ; q=0.1", true],
    ["text/html;q=0", false],
    ["text/*", false],
    ["*/*", false],
    ["application/json", false],
    ["", false],
    [undefined, false],
  ] as const)("%s → %s", ([accept, expected], { expect }) => {
    expect(acceptsHtml(accept)).toBe(expected);
  });
});
