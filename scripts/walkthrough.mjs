/**
 * `npm run walkthrough`: runs docs/walkthrough.md's curl walkthrough against a running server and
 * checks every answer: token → API root → application → create a user → create a channel → post
 * a message → list messages → page through users → delete the channel and the user. It shells out
 * to `curl` with the same flags docs/walkthrough.md (and the seed document) use, so a pass means
 * the commands people copy work as written. Exits non-zero at the first failure, showing the response.
 *
 * BASE_URL (default http://localhost:8787) picks the server; CLIENT_ID / CLIENT_SECRET default to
 * the demo credentials `npm run dev` seeds. `--verbose` prints each curl command.
 * @example BASE_URL=https://kitty-edge.example.workers.dev CLIENT_ID=ck_… CLIENT_SECRET=… npm run walkthrough
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BASE_URL = (process.env.BASE_URL || "http://localhost:8787").replace(/\/+$/, "");
const CLIENT_ID = process.env.CLIENT_ID || "acme";
const CLIENT_SECRET = process.env.CLIENT_SECRET || "acmesecret";
const VERBOSE = process.argv.includes("--verbose") || process.argv.includes("-v");
const HAL_JSON = "application/hal+json";

const headerDir = mkdtempSync(join(tmpdir(), "walkthrough-"));
const headerFile = join(headerDir, "headers");
process.on("exit", () => rmSync(headerDir, { recursive: true, force: true }));

class StepFailure extends Error {
  constructor(message, response) {
    super(message);
    this.response = response;
  }
}

/** Shell-quotes an argument for the printed command line (the command itself runs without a shell). */
const shellQuote = (arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);

/** The last response's headers from curl's `--dump-header` file (lower-cased names). */
const readHeaders = () => {
  const blocks = readFileSync(headerFile, "utf8")
    .split(/\r?\n\r?\n/)
    .filter((b) => b.trim());
  const headers = {};
  for (const line of (blocks.at(-1) ?? "").split(/\r?\n/).slice(1)) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return headers;
};

/**
 * Runs curl with `args` plus the flags that report the status (`-w`) and headers (`-D`), and
 * returns {method, url, status, headers, text, json}.
 */
const curl = (method, url, args, { redact = [] } = {}) => {
  const argv = ["--silent", "--show-error", "--max-time", "30", "--location", "--request", method, url, ...args];
  if (VERBOSE) {
    let shown = ["curl", ...argv].map(shellQuote).join(" ");
    for (const secret of redact) shown = shown.replaceAll(secret, "…");
    console.log(`  $ ${shown}`);
  }
  let out;
  try {
    out = execFileSync("curl", [...argv, "--dump-header", headerFile, "--write-out", "\n%{http_code}"], {
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 16 * 1024 * 1024,
    }).toString("utf8");
  } catch (error) {
    if (error.code === "ENOENT") throw new StepFailure("curl is not installed or not on PATH");
    const reason = error.stderr?.toString().trim() || error.message;
    throw new StepFailure(
      `curl ${method} ${url} failed: ${reason}\n  Is the server running? Start it with \`npm run dev\`, or set BASE_URL.`,
    );
  }
  const cut = out.lastIndexOf("\n");
  const text = out.slice(0, cut);
  const status = Number(out.slice(cut + 1));
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { method, url, status, headers: readHeaders(), text, json };
};

const bearer = (token) => ["--header", "Content-Type: application/json", "--header", `Authorization: Bearer ${token}`];

const api = (token, method, url, body) =>
  curl(method, url, [...bearer(token), ...(body === undefined ? [] : ["--data-raw", JSON.stringify(body)])], {
    redact: [token],
  });

/** Checks one response; every failed check names the step and carries the response. */
const expectResponse = (res, status, { hal = true } = {}) => {
  const check = (ok, message) => {
    if (!ok) throw new StepFailure(message, res);
  };
  check(res.status === status, `expected HTTP ${status}, got ${res.status}`);
  check(res.json !== undefined && typeof res.json === "object", "expected a JSON body");
  if (hal) {
    const type = res.headers["content-type"] ?? "";
    check(type.startsWith(HAL_JSON), `expected Content-Type ${HAL_JSON}, got "${type}"`);
  }
  return { body: res.json, check };
};

/** `_links[rel].href`, required to be absolute. */
const linkOf = (body, rel, check) => {
  const href = body?._links?.[rel]?.href;
  check(typeof href === "string", `missing _links.${rel}.href`);
  check(/^https?:\/\//.test(href), `_links.${rel}.href is not absolute: ${href}`);
  return href;
};

const showResponse = (res) => {
  console.error(`  ${res.method} ${res.url}`);
  console.error(`  → HTTP ${res.status} ${res.headers["content-type"] ?? ""}`);
  let text = res.json !== undefined ? JSON.stringify(res.json, null, 2) : res.text;
  if (text.length > 4000) text = `${text.slice(0, 4000)}\n…(${text.length - 4000} more characters)`;
  console.error(text.replace(/^/gm, "  "));
};

// The access token, and the resources the walkthrough created: deleted at the end or, after a
// failure, best-effort.
let token;
const cleanup = [];
/** The step under way, named in the failure message. */
let current = "";

const steps = async () => {
  // 1. Token (the seed's command: Basic auth plus the same id and secret as form fields).
  current = "POST /oauth/token";
  const tokenRes = curl(
    "POST",
    `${BASE_URL}/oauth/token`,
    [
      "--user",
      `${CLIENT_ID}:${CLIENT_SECRET}`,
      "--form",
      "grant_type=client_credentials",
      "--form",
      `username=${CLIENT_ID}`,
      "--form",
      `password=${CLIENT_SECRET}`,
    ],
    { redact: [CLIENT_SECRET] },
  );
  {
    const { body, check } = expectResponse(tokenRes, 200, { hal: false });
    check(typeof body.access_token === "string" && body.access_token.length > 0, "missing access_token");
    check(String(body.token_type).toLowerCase() === "bearer", `token_type is ${body.token_type}, expected bearer`);
    check(Number.isInteger(body.expires_in) && body.expires_in > 0, "expires_in is not a positive integer");
    check((tokenRes.headers["cache-control"] ?? "").includes("no-store"), "missing Cache-Control: no-store");
    console.log(`✓ POST /oauth/token → 200: bearer token (expires in ${body.expires_in}s, scope ${body.scope})`);
  }
  token = tokenRes.json.access_token;

  // 2. API root.
  current = "GET /v1";
  const rootRes = api(token, "GET", `${BASE_URL}/v1`);
  const applicationHref = (() => {
    const { body, check } = expectResponse(rootRes, 200);
    return linkOf(body, "application", check);
  })();
  console.log(`✓ GET /v1 → 200: _links.application ${applicationHref}`);

  // 3. The token's application.
  current = "GET application";
  const appRes = api(token, "GET", applicationHref);
  const app = (() => {
    const { body, check } = expectResponse(appRes, 200);
    check(Number.isInteger(body.id), "application id is not an integer");
    check(typeof body.name === "string", "application name missing");
    check(typeof body.key === "string" && body.key.length > 0, "application key missing");
    return { id: body.id, usersHref: linkOf(body, "users", check), channelsHref: linkOf(body, "channels", check) };
  })();
  console.log(`✓ GET application → 200: #${app.id} "${appRes.json.name}"`);

  // 4. Create a user (a fresh name, so re-runs never collide with a 409).
  const userName = `walkthrough-${randomBytes(4).toString("hex")}`;
  current = "POST users";
  const userRes = api(token, "POST", app.usersHref, { name: userName });
  const user = (() => {
    const { body, check } = expectResponse(userRes, 201);
    check(body.name === userName, `user name is ${JSON.stringify(body.name)}, expected ${userName}`);
    check(Number.isInteger(body.id), "user id is not an integer");
    const self = linkOf(body, "self", check);
    check(userRes.headers.location === self, `Location header ${userRes.headers.location} differs from _links.self`);
    return { id: body.id, self };
  })();
  cleanup.unshift({ what: "user", href: user.self });
  console.log(`✓ POST users → 201: user #${user.id} "${userName}"`);

  // 5. Create a public channel.
  current = "POST channels";
  const channelRes = api(token, "POST", app.channelsHref, { type: "PUBLIC", name: "General" });
  const channel = (() => {
    const { body, check } = expectResponse(channelRes, 201);
    check(body.type === "PUBLIC" && body.name === "General", `unexpected channel ${body.type} "${body.name}"`);
    check(Number.isInteger(body.id), "channel id is not an integer");
    const self = linkOf(body, "self", check);
    check(channelRes.headers.location === self, `Location header ${channelRes.headers.location} differs from _links.self`);
    return { id: body.id, self, messagesHref: linkOf(body, "messages", check) };
  })();
  cleanup.unshift({ what: "channel", href: channel.self });
  console.log(`✓ POST channels → 201: PUBLIC channel #${channel.id} "General"`);

  // 6. Post a message (persisted in a PUBLIC channel, so it has an id and a self link).
  const messageBody = "Hello world! 👋";
  current = "POST messages";
  const messageRes = api(token, "POST", channel.messagesHref, { body: messageBody });
  const message = (() => {
    const { body, check } = expectResponse(messageRes, 201);
    check(body.body === messageBody, `message body is ${JSON.stringify(body.body)}, expected ${JSON.stringify(messageBody)}`);
    check(body.type === "SYSTEM_TEXT", `message type is ${body.type}, expected SYSTEM_TEXT`);
    check(Number.isInteger(body.id), "message id is not an integer");
    linkOf(body, "self", check);
    return { id: body.id };
  })();
  console.log(`✓ POST messages → 201: message #${message.id} ${JSON.stringify(messageBody)}`);

  // 7. The channel's messages, newest first.
  current = "GET messages";
  const messagesRes = api(token, "GET", channel.messagesHref);
  {
    const { body, check } = expectResponse(messagesRes, 200);
    const messages = body._embedded?.messages;
    check(Array.isArray(messages), "missing _embedded.messages");
    check(messages[0]?.id === message.id && messages[0]?.body === messageBody, "the new message is not first on the page");
    check(Number.isInteger(body.page?.size), "missing page.size");
    linkOf(body, "self", check);
    console.log(`✓ GET messages → 200: ${messages.length} message(s), newest #${messages[0].id}`);
  }

  // 8. Users, one per page.
  const pageUrl = new URL(app.usersHref);
  pageUrl.searchParams.set("page", "0");
  pageUrl.searchParams.set("size", "1");
  current = "GET users?page=0&size=1";
  const usersRes = api(token, "GET", pageUrl.href);
  {
    const { body, check } = expectResponse(usersRes, 200);
    const users = body._embedded?.users;
    const page = body.page ?? {};
    check(Array.isArray(users) && users.length === 1, "expected exactly one user in _embedded.users");
    check(page.size === 1 && page.number === 0, `page is ${JSON.stringify(page)}, expected size 1, number 0`);
    check(page.totalElements >= 1 && page.totalPages === page.totalElements, `inconsistent page ${JSON.stringify(page)}`);
    for (const rel of ["self", "first", "last"]) linkOf(body, rel, check);
    if (page.totalPages > 1) linkOf(body, "next", check);
    console.log(`✓ GET users?page=0&size=1 → 200: 1 of ${page.totalElements} user(s), ${page.totalPages} page(s)`);
  }

  // 9. Clean up: deleting the channel takes its messages along; each delete returns the application.
  while (cleanup.length > 0) {
    const { what, href } = cleanup[0];
    current = `DELETE ${what}`;
    const delRes = api(token, "DELETE", href);
    const { body, check } = expectResponse(delRes, 200);
    check(body.id === app.id, `DELETE ${what} returned #${body.id}, expected application #${app.id}`);
    cleanup.shift();
    const goneRes = api(token, "GET", href);
    if (goneRes.status !== 404) throw new StepFailure(`the deleted ${what} still answers ${goneRes.status}, expected 404`, goneRes);
    console.log(`✓ DELETE ${what} → 200 (application #${app.id}); GET ${what} → 404`);
  }
};

try {
  console.log(`Walkthrough against ${BASE_URL} as ${CLIENT_ID}`);
  await steps();
  console.log("✓ walkthrough passed");
} catch (error) {
  if (!(error instanceof StepFailure)) throw error;
  console.error(`✗ ${current}: ${error.message}`);
  if (error.response) showResponse(error.response);
  // Best effort: leave no walkthrough user or channel behind.
  for (const { what, href } of token ? cleanup : []) {
    try {
      console.error(`  cleanup: DELETE ${what} → ${api(token, "DELETE", href).status}`);
    } catch {
      console.error(`  cleanup: DELETE ${what} failed`);
    }
  }
  process.exitCode = 1;
}
