/**
 * `npm run bench:ceilings`: where one machine's `npm run dev` tops out (docs/scaling.md turns the
 * figures into a plan). Bounded and loopback only: each case raises the number of concurrent
 * clients (CONNECTIONS_STEPS) and stops at the step where throughput stops growing. Cases:
 *
 * - messages/s into one OPEN channel (one ChannelRoom object, no D1);
 * - persisted messages/s into one database (PUBLIC channels, one D1 batch each);
 * - the bare floor (`GET /ping`) at the same concurrency, for scale.
 *
 * Sockets and deliveries per session shard come from `bench/realtime.mjs` (its 1-shard run).
 */
import autocannon from "autocannon";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { machine, platform, startServer } from "./lib.mjs";

const DURATION = Number(process.env.DURATION ?? 4);
const STEPS = (process.env.CONNECTIONS_STEPS ?? "5,20,50,100").split(",").map(Number);

const load = (opts) =>
  new Promise((resolve, reject) => {
    autocannon({ duration: DURATION, ...opts }, (err, result) => (err ? reject(err) : resolve(result)));
  });

/** Runs a case at each concurrency until throughput grows less than 5% from one step to the next. */
const ceiling = async (label, opts) => {
  const steps = [];
  for (const connections of STEPS) {
    const r = await load({ ...opts, connections });
    const step = { connections, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.non2xx + r.errors };
    steps.push(step);
    console.error(`${label} @${connections}: ${step.rps.toFixed(0)} req/s, p50 ${step.p50} ms, p99 ${step.p99} ms, errors ${step.errors}`);
    const previous = steps.at(-2);
    if (previous && step.rps < previous.rps * 1.05) break;
  }
  const best = steps.reduce((a, b) => (b.rps > a.rps ? b : a));
  return { label, steps, best };
};

const server = await startServer({});
let results;
try {
  const { baseUrl } = server;
  const { token, app, call } = await platform(baseUrl);
  const channel = async (type, name) => (await call("POST", `/v1/applications/${app.id}/channels`, { type, name })).body;
  const open = await channel("OPEN", "ceiling open");
  const persisted = await channel("PUBLIC", "ceiling public");
  const post = (href) => ({
    url: href,
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ body: "ceiling" }),
  });
  results = [
    await ceiling("bare GET /ping", { url: `${baseUrl}/ping` }),
    await ceiling("messages into one OPEN channel (one room)", post(open._links.messages.href)),
    await ceiling("persisted messages into one database (PUBLIC)", post(persisted._links.messages.href)),
  ];
} finally {
  await server.stop();
}

const lines = [
  `Ceilings of one \`npm run dev\` on this machine, ${DURATION} s per step, concurrency raised until throughput grows < 5%`,
  "",
  "| case | best req/s | at connections | p50 ms | p99 ms | errors | steps (connections: req/s) |",
  "| --- | --- | --- | --- | --- | --- | --- |",
  ...results.map(
    ({ label, best, steps }) =>
      `| ${label} | ${best.rps.toFixed(0)} | ${best.connections} | ${best.p50} | ${best.p99} | ${steps.reduce((n, s) => n + s.errors, 0)} | ${steps
        .map((s) => `${s.connections}: ${s.rps.toFixed(0)}`)
        .join(", ")} |`,
  ),
  "",
  `${new Date().toISOString()} · ${await machine()} · local wrangler dev (workerd)`,
];
console.log(lines.join("\n"));
mkdirSync(path.join(import.meta.dirname, "out"), { recursive: true });
writeFileSync(path.join(import.meta.dirname, "out", "RESULTS-ceilings.md"), `# Ceilings\n\n${lines.join("\n")}\n`);
