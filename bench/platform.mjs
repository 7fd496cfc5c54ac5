/**
 * `npm run bench`: the Platform API under load, every case a ratio to the bare floor of the same
 * Worker (`GET /ping`, answered before any middleware) measured right before and right after it
 * in the same run: each case's ratio is to the mean of the two bare runs around it, since
 * absolute numbers drift on shared machines. Starts the
 * Worker as users do (`scripts/dev.mjs` → `wrangler dev`), seeds data straight into its local D1
 * (1,000 and 100,000 users; a channel of 100,000 messages), drives each case with autocannon,
 * then runs the live fan-out benchmark, and writes everything to bench/out/RESULTS.md (not committed: bench/README.md
 * records the figures).
 */
import autocannon from "autocannon";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { d1Execute, sha256Hex } from "../scripts/lib.mjs";
import { machine, platform, startServer } from "./lib.mjs";

const DURATION = Number(process.env.DURATION ?? 5); // seconds per case
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);

/** Seeds with recursive CTEs: 100k rows in one statement, no per-row round trips. */
const seed = (persistTo) => {
  const rows = (n, sql) => `WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < ${n}) ${sql}`;
  d1Execute(
    [
      `INSERT INTO applications (name, key) VALUES ('Bench 100k', 'bench-100k-key')`,
      `INSERT INTO client_credentials (application_id, client_id, secret_hash) SELECT id, 'bench100k', '${sha256Hex("benchsecret")}' FROM applications WHERE key = 'bench-100k-key'`,
      rows(
        100_000,
        `INSERT INTO users (application_id, name) SELECT (SELECT id FROM applications WHERE key = 'bench-100k-key'), 'u' || x FROM seq`,
      ),
      rows(1_000, `INSERT INTO users (application_id, name) SELECT 1, 'user-' || x FROM seq`),
      `INSERT INTO channels (application_id, type, name) VALUES (1, 'PUBLIC', 'deep')`,
      rows(
        100_000,
        `INSERT INTO messages (application_id, channel_id, type, body) SELECT 1, (SELECT max(id) FROM channels WHERE application_id = 1 AND name = 'deep'), 'SYSTEM_TEXT', 'message ' || x FROM seq`,
      ),
      `INSERT INTO channels (application_id, type, name) VALUES (1, 'PUBLIC', 'posts')`,
      `INSERT INTO channels (application_id, type, name) VALUES (1, 'OPEN', 'open posts')`,
    ].join(";\n"),
    { persistTo },
  );
};

const tokenFor = async (baseUrl, id, secret) => {
  const res = await fetch(`${baseUrl}/oauth/token`, {
    method: "POST",
    headers: { Authorization: `Basic ${btoa(`${id}:${secret}`)}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials",
  });
  return (await res.json()).access_token;
};

const load = (opts) =>
  new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts }, (err, result) => (err ? reject(err) : resolve(result)));
  });

const main = async () => {
  // BENCH_FLOORS only adds the /ping/ floors (src/floors.ts); every case runs as `npm run dev` serves it.
  const server = await startServer({ vars: { BENCH_FLOORS: "on" } });
  try {
    seed(server.state);
    const { baseUrl } = server;
    const { app, call } = await platform(baseUrl);
    const token = await tokenFor(baseUrl, "acme", "acmesecret");
    const token100k = await tokenFor(baseUrl, "bench100k", "benchsecret");
    const auth = (t) => ({ Authorization: `Bearer ${t}` });
    const app100k = (await (await fetch(`${baseUrl}/v1/applications/me`, { headers: auth(token100k) })).json()).id;
    const channels = (await call("GET", `/v1/applications/${app.id}/channels?size=100`)).body._embedded.channels;
    const deep = channels.find((c) => c.name === "deep");
    const posts = channels.find((c) => c.name === "posts");
    const open = channels.find((c) => c.name === "open posts");
    const user = (await call("GET", `/v1/applications/${app.id}/users?size=1`)).body._embedded.users[0];
    // Follow `next` links to the middle of the 100k-message channel: that cursor is "deep".
    let link = `${baseUrl}/v1/applications/${app.id}/channels/${deep.id}/messages?size=100`;
    const firstPage = link;
    for (let i = 0; i < 500; i++) link = (await call("GET", link)).body._links.next.href;
    const deepPage = link;

    const json = { "Content-Type": "application/json" };
    const bare = { url: `${baseUrl}/ping` };
    const cases = [
      ["GET /healthz (all middleware, no query)", { url: `${baseUrl}/healthz` }],
      [
        "POST /oauth/token",
        {
          url: `${baseUrl}/oauth/token`,
          method: "POST",
          headers: { Authorization: `Basic ${btoa("acme:acmesecret")}`, "Content-Type": "application/x-www-form-urlencoded" },
          body: "grant_type=client_credentials",
        },
      ],
      ["GET one user", { url: user._links.self.href, headers: auth(token) }],
      ["GET users page 0, 1k users", { url: `${baseUrl}/v1/applications/${app.id}/users`, headers: auth(token) }],
      ["GET users page 0, 100k users", { url: `${baseUrl}/v1/applications/${app100k}/users`, headers: auth(token100k) }],
      [
        "POST message, PUBLIC channel",
        { url: posts._links.messages.href, method: "POST", headers: { ...auth(token), ...json }, body: JSON.stringify({ body: "bench" }) },
      ],
      ["GET messages, first page (100k)", { url: firstPage, headers: auth(token) }],
      ["GET messages, page 500 deep (100k)", { url: deepPage, headers: auth(token) }],
      [
        "POST message, OPEN channel (DO)",
        { url: open._links.messages.href, method: "POST", headers: { ...auth(token), ...json }, body: JSON.stringify({ body: "bench" }) },
      ],
    ];
    const measure = async (label, opts) => {
      const r = await load(opts);
      console.error(
        `${label}: ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}`,
      );
      return { label, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.non2xx + r.errors };
    };
    const bares = [await measure("bare GET /ping", bare)];
    const results = [];
    for (const [label, opts] of [...Object.entries(facilities).map(([name, path]) => [name, { url: `${baseUrl}${path}` }]), ...cases]) {
      const r = await measure(label, opts);
      bares.push(await measure("bare GET /ping", bare));
      results.push({ ...r, floor: (bares.at(-2).rps + bares.at(-1).rps) / 2 });
    }
    return { results, bares };
  } finally {
    await server.stop();
  }
};

/** The platform facilities a request path is built from, each alone behind GET /ping (src/floors.ts). */
const facilities = {
  "floor: one D1 query": "/ping/d1",
  "floor: one rate-limit call": "/ping/limit",
  "floor: one Durable Object RPC": "/ping/room",
};
const [D1, LIMIT, DO] = Object.keys(facilities);

const { results, bares } = await main();
const byLabel = Object.fromEntries(results.map((r) => [r.label, r]));
const ratio = (label) => byLabel[label].rps / byLabel[label].floor;
const costRatio = (a, b) => byLabel[b].rps / byLabel[a].rps; // how much more a request of `a` costs than `b`
/** Milliseconds a request of `label` costs above the bare floor around it (at this concurrency). */
const extraMs = (label) => 1000 / byLabel[label].rps - 1000 / byLabel[label].floor;
/** Milliseconds the platform calls a case cannot skip cost together, each measured alone above its floor. */
const callsMs = (calls) => calls.reduce((sum, call) => sum + extraMs(call), 0);
/** The best ratio a case could reach if it did nothing but those calls: their cost added to the floor's own. */
const reachable = (label, calls) => 1 / (1 + (byLabel[label].floor * callsMs(calls)) / 1000);
// What each targeted case cannot do without: every /v1 request and token request is counted by
// the rate limiter; a user is one D1 read, a token one credential read; a PUBLIC message is one D1
// batch (channel + insert) and its room's publish, which reads who to notify in a batch of its own.
const floorCalls = {
  "GET one user": [LIMIT, D1],
  "POST message, PUBLIC channel": [LIMIT, D1, DO, D1],
  "POST message, OPEN channel (DO)": [LIMIT, DO],
  "POST /oauth/token": [LIMIT, D1],
};
const floorTargets = [
  ["GET one user ≥ 0.7× bare", "GET one user", 0.7],
  ["POST PUBLIC message ≥ 0.5× bare", "POST message, PUBLIC channel", 0.5],
  ["POST OPEN message ≥ 0.7× bare", "POST message, OPEN channel (DO)", 0.7],
  ["POST /oauth/token ≥ 0.6× bare", "POST /oauth/token", 0.6],
];
const targets = [
  ...floorTargets.map(([name, label, min]) => [name, ratio(label), (x) => x >= min]),
  ["users page at 100k costs ≤ 1.3× at 1k", costRatio("GET users page 0, 100k users", "GET users page 0, 1k users"), (x) => x <= 1.3],
  [
    "deep messages page ≤ 1.3× first page",
    costRatio("GET messages, page 500 deep (100k)", "GET messages, first page (100k)"),
    (x) => x <= 1.3,
  ],
];

const lines = [
  `Platform API, ${CONNECTIONS} connections, ${DURATION} s per case; each ratio is to the mean of the bare runs (GET /ping) just before and after the case`,
  "",
  `Bare floor over the run: ${bares.map((b) => b.rps.toFixed(0)).join(", ")} req/s`,
  "",
  "| case | req/s | p50 ms | p99 ms | bare around it | × bare | non-2xx |",
  "| --- | --- | --- | --- | --- | --- | --- |",
  ...results.map(
    (r) =>
      `| ${r.label} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.floor.toFixed(0)} | ${(r.rps / r.floor).toFixed(2)} | ${r.errors} |`,
  ),
  "",
  "| target | measured | met |",
  "| --- | --- | --- |",
  ...targets.map(([name, value, ok]) => `| ${name} | ${value.toFixed(2)} | ${ok(value) ? "yes" : "**no**"} |`),
  "",
  "What the platform calls alone allow (each floor's cost above bare, in ms per request at this concurrency, added up):",
  "",
  "| target | calls it cannot skip | their cost ms | best ratio they allow | measured | case's own cost ms | reachable here |",
  "| --- | --- | --- | --- | --- | --- | --- |",
  ...floorTargets.map(([name, label, min]) => {
    const calls = floorCalls[label];
    const cost = callsMs(calls);
    const best = reachable(label, calls);
    const names = calls.map((c) => c.replace("floor: one ", "")).join(" + ");
    return `| ${name} | ${names} | ${cost.toFixed(2)} | ${best.toFixed(2)} | ${ratio(label).toFixed(2)} | ${(extraMs(label) - cost).toFixed(2)} | ${best >= min ? "yes" : "**no**"} |`;
  }),
];
console.log(lines.join("\n"));

// The live fan-out case (7) has its own script; run it and append its table.
const realtime = execFileSync(process.execPath, [path.join(import.meta.dirname, "realtime.mjs")], {
  encoding: "utf8",
  stdio: ["ignore", "pipe", "inherit"],
});
console.log(`\n${realtime}`);
const stamp = `${new Date().toISOString()} · ${await machine()} · local wrangler dev (workerd)`;
mkdirSync(path.join(import.meta.dirname, "out"), { recursive: true });
writeFileSync(
  path.join(import.meta.dirname, "out", "RESULTS.md"),
  `# Benchmark results\n\n${lines.join("\n")}\n\n## Live fan-out (case 7)\n\n${realtime.trim()}\n\n${stamp}\n`,
);
