/**
 * The API Explorer (`public/v1/explorer/`, Workers static assets) in headless Chromium against
 * `npm run dev`: a browser landing on `/` is sent to it; it gets a token with the demo
 * credentials, follows application → users, creates users through the JSON editor, pages through
 * them, fills a templated link, deletes a user, and renders the reference from the OpenAPI
 * document. Every step is asserted on what the page shows (status line, notices, body), and the
 * page may load nothing from anywhere but the server.
 *
 * The screenshot of a page of users is the README's docs/explorer.png when that file is missing
 * or `UPDATE_SCREENSHOT=1` is set (`UPDATE_SCREENSHOT=1 npm test -- test/e2e/explorer.test.ts`);
 * otherwise it goes to .ci/out/explorer.png (ignored by git), so a test run leaves the tree clean.
 *
 * The browser is found by ./browser.ts: CHROMIUM_PATH, a system Chrome/Chromium, or the one the
 * `@sparticuz/chromium` devDependency brings, so a machine with only Node and npm runs it too.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, inject, it } from "vitest";
import { launchChromium } from "./browser";

const baseUrl = inject("baseUrl");
const root = path.resolve(import.meta.dirname, "../..");
const EXPLORER_DIR = path.join(root, "public/v1/explorer");
const README_SCREENSHOT = path.join(root, "docs/explorer.png");
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOT === "1" || !existsSync(README_SCREENSHOT) ? README_SCREENSHOT : path.join(root, ".ci/out/explorer.png");

let browser: Browser | undefined;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
});

/** A fresh page (own session storage) that records page errors and every URL it requests. */
const openPage = async (viewport = { width: 1280, height: 800 }) => {
  const context = await browser!.newContext({ viewport, deviceScaleFactor: 1, colorScheme: "light", reducedMotion: "reduce" });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  const requested: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  page.on("request", (r) => requested.push(r.url()));
  return { page, errors, requested };
};

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Waits until the response view shows `status` for `method` and a path matching `pathPattern`
 * (a regular expression source, anchored); fails with what the page shows instead.
 */
const shown = async (page: Page, method: string, pathPattern: string, status: number) => {
  try {
    await page.waitForFunction(
      ([m, p, s]) => {
        const line = document.querySelector("#response-status")?.textContent ?? "";
        const request = document.querySelector(".status-request")?.textContent ?? "";
        return line.startsWith(`${s} `) && new RegExp(`^${m} ${p}$`).test(request) && !document.querySelector("#response.loading");
      },
      [method, pathPattern, String(status)] as const,
      { timeout: 10_000 },
    );
  } catch {
    const line = await page
      .locator("#response-status")
      .textContent()
      .catch(() => null);
    const request = await page
      .locator(".status-request")
      .textContent()
      .catch(() => null);
    const notice = await page
      .locator("#response-content .notice")
      .first()
      .textContent()
      .catch(() => null);
    throw new Error(
      `expected ${status} for ${method} ${pathPattern}; the page shows ${JSON.stringify(line)} for ${JSON.stringify(request)}${notice ? `, notice ${JSON.stringify(notice)}` : ""}`,
    );
  }
};

const bodyText = (page: Page) => page.locator("#response-content pre.json").textContent();

const sendBody = async (page: Page, json: string) => {
  await page.selectOption("#method", "POST");
  await page.fill("#body", json);
  await page.locator("#body").press("Control+Enter");
};

const apiToken = async () => {
  const res = await fetch(`${baseUrl}/oauth/token`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from("acme:acmesecret").toString("base64")}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  return ((await res.json()) as { access_token: string }).access_token;
};

describe("the API Explorer in headless Chromium", () => {
  it("GET / from a browser redirects to /v1/explorer/; JSON clients keep the JSON 404", async ({ expect }) => {
    const html = await fetch(`${baseUrl}/`, { headers: { Accept: "text/html" }, redirect: "manual" });
    expect(html.status).toBe(302);
    // npm run dev pins PUBLIC_BASE_URL to its own address, so the redirect is absolute there.
    expect(html.headers.get("location")).toBe(`${baseUrl}/v1/explorer/`);
    const browserLike = await fetch(`${baseUrl}/`, {
      headers: { Accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" },
      redirect: "manual",
    });
    expect(browserLike.status).toBe(302);
    for (const accept of ["application/json", "*/*"]) {
      const json = await fetch(`${baseUrl}/`, { headers: { Accept: accept }, redirect: "manual" });
      expect(json.status, accept).toBe(404);
      expect(await json.json()).toMatchObject({ error: "ResourceNotFoundError" });
    }
    const page = await fetch(`${baseUrl}/v1/explorer/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
    // Every file under the folder, so a new module or stylesheet is covered without editing this list.
    const assets = readdirSync(EXPLORER_DIR, { recursive: true, encoding: "utf8" })
      .filter((name) => statSync(path.join(EXPLORER_DIR, name)).isFile())
      .map((name) => name.split(path.sep).join("/"))
      .sort();
    expect(assets).toEqual(expect.arrayContaining(["index.html", "explorer.js", "favicon.svg"]));
    expect(assets.some((asset) => asset.endsWith(".css"))).toBe(true);
    for (const asset of assets) {
      const res = await fetch(`${baseUrl}/v1/explorer/${asset}`);
      expect(res.status, asset).toBe(200);
      expect(await res.text(), `${asset} loads nothing from other hosts`).not.toMatch(
        /\b(src|href)=["']?https?:|@import|url\(\s*["']?https?:|fetch\(\s*["']https?:/i,
      );
    }
  });

  it("token, application → users, create through the editor, page, fill a template, delete", { timeout: 90_000 }, async ({ expect }) => {
    const { page, errors, requested } = await openPage();

    // A browser at / lands on the explorer.
    await page.goto(`${baseUrl}/`);
    expect(new URL(page.url()).pathname).toBe("/v1/explorer/");
    await expect.poll(() => page.title()).toMatch(/API Explorer/);
    expect(await page.inputValue("#client-id")).toBe("acme");
    expect(await page.inputValue("#client-secret")).toBe("acmesecret");

    // A wrong secret is a clear error, not a token.
    await page.fill("#client-secret", "not-the-secret");
    await page.getByRole("button", { name: "Get token" }).click();
    const tokenStatus = page.locator("#token-status");
    await tokenStatus.getByText("401 Unauthorized").waitFor();
    expect(await tokenStatus.textContent()).toContain("invalid_client");
    expect(await page.getAttribute("#client-secret", "aria-invalid")).toBe("true");

    // The right one: a token, then the API root loads by itself.
    await page.fill("#client-secret", "acmesecret");
    await page.getByRole("button", { name: "Get token" }).click();
    await tokenStatus.getByText("Token received").waitFor();
    expect(await page.locator("#token-badge").textContent()).toMatch(/^Token: acme · 1[12] h \d\d min left$/);
    await shown(page, "GET", "/v1", 200);

    // application → users, by clicking the HAL links.
    const links = page.locator("#links");
    await links.getByRole("link", { name: "application", exact: true }).click();
    await shown(page, "GET", "/v1/applications/me", 200);
    expect(await bodyText(page)).toContain('"name": "Acme Demo"');
    await links.getByRole("link", { name: "users", exact: true }).click();
    await shown(page, "GET", "/v1/applications/\\d+/users", 200);
    const usersPath = await page.inputValue("#url");
    expect(usersPath).toMatch(/^\/v1\/applications\/\d+\/users$/);
    expect(await bodyText(page)).toContain('"_embedded"');

    // The editor refuses invalid JSON and says where it is wrong.
    await page.selectOption("#method", "POST");
    await page.fill("#body", '{"name": }');
    expect(await page.locator("#body-feedback").textContent()).toMatch(/Not valid JSON \(line 1, column \d+\)/);
    await page.locator("#body").press("Control+Enter");
    expect(await page.getAttribute("#body", "aria-invalid")).toBe("true");
    await shown(page, "GET", escapeRegExp(usersPath), 200); // nothing was sent

    // Create three users (so that pages of two have a next page); the first one is ours.
    const run = randomUUID().slice(0, 8);
    const names = ["explorer", "explorer-b", "explorer-c"].map((n) => `${n}-${run}`);
    const userPaths: string[] = [];
    for (const name of names) {
      await sendBody(page, JSON.stringify({ name, displayName: `Explorer ${run}` }, null, 2));
      await shown(page, "POST", escapeRegExp(usersPath), 201);
      expect(await page.locator("#response-status").textContent()).toBe("201 Created");
      const notice = page.locator("#response-content .notice.success");
      expect(await notice.textContent()).toContain("Created.");
      expect(await bodyText(page)).toContain(`"name": ${JSON.stringify(name)}`);
      const location = await notice.getByRole("link").getAttribute("href");
      expect(location).toMatch(new RegExp(`^#${escapeRegExp(usersPath)}/\\d+$`));
      userPaths.push(location!.slice(1));
    }
    // A duplicate name is a readable 409.
    await page.locator("#body").press("Control+Enter");
    await shown(page, "POST", escapeRegExp(usersPath), 409);
    expect(await page.locator("#response-content .notice").textContent()).toContain("DuplicateResourceError");

    // Pages of two: Enter in the URL field sends; next/previous buttons and the ] key follow links.
    await page.selectOption("#method", "GET");
    await page.fill("#url", `${usersPath}?page=0&size=2`);
    await page.locator("#url").press("Enter");
    await shown(page, "GET", escapeRegExp(`${usersPath}?page=0&size=2`), 200);
    const label = page.locator("#page-label");
    const [, totalPages] = /^Page 1 of (\d+) · \d+ users · 2 per page$/.exec((await label.textContent()) ?? "") ?? [];
    expect(Number(totalPages)).toBeGreaterThanOrEqual(2);
    const pager = page.getByRole("navigation", { name: "Pages" });
    expect(await pager.getByRole("button", { name: "‹ Previous" }).isDisabled()).toBe(true);
    await pager.getByRole("button", { name: "Next ›" }).click();
    await shown(page, "GET", escapeRegExp(`${usersPath}?page=1&size=2`), 200);
    expect(await label.textContent()).toMatch(new RegExp(`^Page 2 of ${totalPages} · `));
    await pager.getByRole("button", { name: "‹ Previous" }).click();
    await shown(page, "GET", escapeRegExp(`${usersPath}?page=0&size=2`), 200);
    await page.locator("#response-content pre.json").focus();
    await page.keyboard.press("]");
    await shown(page, "GET", escapeRegExp(`${usersPath}?page=1&size=2`), 200);
    // Back (the explorer's button, i.e. the browser history) returns to the previous page.
    await page.getByRole("button", { name: "Back", exact: true }).click();
    await shown(page, "GET", escapeRegExp(`${usersPath}?page=0&size=2`), 200);

    // Our users are the newest: from the last page, walk back until ours is on screen.
    await pager.getByRole("button", { name: "Last »" }).click();
    await shown(page, "GET", `${escapeRegExp(usersPath)}\\?page=\\d+&size=2`, 200);
    expect(await pager.getByRole("button", { name: "Next ›" }).isDisabled()).toBe(true);
    for (let i = 0; i < 50 && !(await bodyText(page))?.includes(`"name": "${names[0]}"`); i++) {
      const current = await page.inputValue("#url");
      await pager.getByRole("button", { name: "‹ Previous" }).click();
      await page.waitForFunction((previous) => (document.querySelector("#url") as HTMLInputElement).value !== previous, current);
      await shown(page, "GET", `${escapeRegExp(usersPath)}\\?page=\\d+&size=2`, 200);
    }
    expect(await bodyText(page)).toContain(`"name": "${names[0]}"`);
    // The README's picture: this page of users, from the top, no focus ring.
    await page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      window.scrollTo(0, 0);
    });
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    const png = readFileSync(SCREENSHOT);
    expect([png.readUInt32BE(16), png.readUInt32BE(20)], "a 1280×800 PNG").toEqual([1280, 800]);

    // Follow our user's self link from the page body, then DELETE it.
    await page
      .locator("pre.json a.j-link", { hasText: `${baseUrl}${userPaths[0]}"` })
      .first()
      .click();
    await shown(page, "GET", escapeRegExp(userPaths[0]!), 200);
    expect(await bodyText(page)).toContain(`"name": "${names[0]}"`);
    await page.selectOption("#method", "DELETE");
    expect(await page.locator("#body-editor").isHidden()).toBe(true);
    await page.getByRole("button", { name: "Send" }).click();
    await shown(page, "DELETE", escapeRegExp(userPaths[0]!), 200);
    expect(await page.locator("#response-content .notice.success").textContent()).toContain("Deleted.");
    expect(await bodyText(page)).toContain('"name": "Acme Demo"');
    await page.selectOption("#method", "GET");
    await page.locator("#url").press("Enter");
    await shown(page, "GET", escapeRegExp(userPaths[0]!), 404);
    expect(await page.locator("#response-content .notice").textContent()).toContain("ResourceNotFoundError");

    // The application's templated find:users link opens a form for its variables.
    await page.fill("#url", "/v1/applications/me");
    await page.locator("#url").press("Enter");
    await shown(page, "GET", "/v1/applications/me", 200);
    await links.getByRole("button", { name: /^find:users/ }).click();
    const dialog = page.getByRole("dialog", { name: "Fill in the link template" });
    await dialog.waitFor();
    expect(await dialog.getByLabel("page", { exact: true }).count()).toBe(1);
    await dialog.getByLabel("name", { exact: true }).fill(names[1]!);
    expect(await dialog.locator("#template-preview").textContent()).toBe(`${usersPath}?name=${names[1]}`);
    await dialog.getByRole("button", { name: "GET" }).click();
    await shown(page, "GET", escapeRegExp(`${usersPath}?name=${names[1]}`), 200);
    expect(await bodyText(page)).toContain(`"name": "${names[1]}"`);
    expect(await label.textContent()).toMatch(/^Page 1 of 1 · 1 users/);

    // History lists what was sent; a POST entry goes back into the request bar.
    const historyItems = page.locator("#history .history-item");
    expect(await historyItems.count()).toBeGreaterThan(10);
    await page.locator("#history .history-item", { hasText: "POST" }).first().click();
    expect(await page.inputValue("#method")).toBe("POST");
    expect(await page.inputValue("#url")).toBe(usersPath);

    // Clean up the other two users through the API.
    const token = await apiToken();
    for (const p of userPaths.slice(1)) {
      const res = await fetch(`${baseUrl}${p}`, { method: "DELETE", headers: { Authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    }

    expect(errors).toEqual([]);
    expect(requested.filter((u) => !u.startsWith(`${baseUrl}/`))).toEqual([]);
  });

  it("renders the reference from the OpenAPI document, and Try it fills the request bar", async ({ expect }) => {
    const { page, errors, requested } = await openPage();
    await page.goto(`${baseUrl}/v1/explorer/`);
    await page.getByRole("tab", { name: "Reference" }).click();
    const op = page.locator("#op-post-v1-applications-applicationid-users");
    await op.waitFor();
    expect(await op.locator(".summary").textContent()).toBe("Create a user");
    // The request body's fields, $ref resolved: name is required, displayName optional.
    const name = op.locator(".fields > li", { has: page.locator(".field-name", { hasText: /^name$/ }) }).first();
    expect(await name.locator(".badge").textContent()).toBe("required");
    expect(await op.locator(".responses").textContent()).toContain("201");
    // Parameters of a page: page and size with their descriptions.
    const list = page.locator("#op-get-v1-applications-applicationid-users");
    expect(await list.locator("table.params").textContent()).toContain("Zero-based page index");

    // The filter narrows the operations; the arrow keys move between tabs.
    await page.fill("#ref-filter", "delete users");
    expect(await op.isHidden()).toBe(true);
    expect(await page.locator("#op-delete-v1-applications-applicationid-users-userid").isVisible()).toBe(true);
    await page.fill("#ref-filter", "");
    await op.getByRole("button", { name: /^Try POST/ }).click();
    expect(await page.getByRole("tab", { name: "Explorer" }).getAttribute("aria-selected")).toBe("true");
    expect(await page.inputValue("#method")).toBe("POST");
    expect(await page.inputValue("#url")).toBe("/v1/applications/{applicationId}/users");
    expect(JSON.parse(await page.inputValue("#body"))).toHaveProperty("name");
    // Sending with a placeholder left in the URL is refused with a clear message.
    await page.getByRole("button", { name: "Send" }).click();
    expect(await page.locator("#operation-hint").textContent()).toContain("Fill in {applicationId} in the URL first.");

    await page.getByRole("tab", { name: "Explorer" }).press("ArrowRight");
    expect(await page.getByRole("tab", { name: "Reference" }).getAttribute("aria-selected")).toBe("true");
    expect(errors).toEqual([]);
    expect(requested.filter((u) => !u.startsWith(`${baseUrl}/`))).toEqual([]);
  });

  it("fits a narrow screen without sideways scrolling", async ({ expect }) => {
    const { page, errors } = await openPage({ width: 390, height: 844 });
    await page.goto(`${baseUrl}/v1/explorer/`);
    await page.getByRole("button", { name: "Get token" }).click();
    await shown(page, "GET", "/v1", 200);
    await page.locator("#links").getByRole("link", { name: "application", exact: true }).click();
    await shown(page, "GET", "/v1/applications/me", 200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.getByRole("tab", { name: "Reference" }).click();
    await page.locator("#op-post-v1-applications-applicationid-users").waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
  });
});
