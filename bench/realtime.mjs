/**
 * `npm run bench:realtime`: live fan-out. One OPEN channel, N chat sessions subscribed to it
 * (default 200), one sender; each message carries its send time, and every receiver records
 * the delivery latency. Runs twice in one go, against the default 16 session shards and against
 * a single shard (every socket in one object), so the table shows what sharding buys.
 *
 * Clients speak StompX directly (over `ws`), frame for frame as the SDK does, so the numbers are
 * the server's and not 200 SDK instances' overhead.
 */
import { createRequire } from "node:module";
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { machine, percentile, platform, startServer } from "./lib.mjs";

const require = createRequire(import.meta.url);
const WebSocket = require("ws");

const SESSIONS = Number(process.env.SESSIONS ?? 200);
const MESSAGES = Number(process.env.MESSAGES ?? 100);
const RATE = Number(process.env.RATE ?? 20); // messages per second from the sender

const frame = (command, headers, body = "") =>
  Buffer.from(
    `${command}\n${Object.entries(headers)
      .map(([k, v]) => `${k}:${v}`)
      .join("\n")}\n\n${body}\0`,
  );

const parse = (data) => {
  const text = data.toString();
  const [head, ...rest] = text.split("\n\n");
  const [command, ...lines] = head.split("\n");
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)]));
  return { command, headers, body: rest.join("\n\n").replace(/\0$/, "") };
};

/** A StompX client: connect, then resolve the receipt of each subscription. */
const connect = (baseUrl, key, username, onMessage) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(
      `${baseUrl.replace("http", "ws")}/stompx/websocket?api_key=${key}&stompx_user=${encodeURIComponent(username)}`,
      ["v12.stomp"],
    );
    const waiting = new Map();
    let n = 0;
    const client = {
      ws,
      subscribe: (destination) =>
        new Promise((res) => {
          const receipt = `r${++n}`;
          waiting.set(receipt, res);
          ws.send(frame("SUBSCRIBE", { id: `s${n}`, destination, ack: "auto", receipt }));
        }),
      relay: (destination) =>
        new Promise((res) => {
          const id = `s${++n}`;
          waiting.set(id, (f) => res(JSON.parse(f.body).resource));
          ws.send(frame("SUBSCRIBE", { id, destination, ack: "auto" }));
        }),
      send: (destination, body) => {
        const receipt = `r${++n}`;
        ws.send(frame("SEND", { destination, receipt, "content-type": "application/json" }, JSON.stringify(body)));
        return receipt;
      },
      close: () => ws.close(),
    };
    ws.on("open", () => ws.send(frame("CONNECT", { "accept-version": "1.2", "heart-beat": "5000,5000" })));
    ws.on("error", reject);
    ws.on("message", (data) => {
      const f = parse(data);
      if (f.command === "CONNECTED") return resolve(client);
      if (f.command === "ERROR") return reject(new Error(f.body));
      if (f.command === "RECEIPT") return waiting.get(f.headers["receipt-id"])?.();
      if (f.command === "MESSAGE") {
        const relay = waiting.get(f.headers.subscription);
        if (relay) {
          waiting.delete(f.headers.subscription);
          return relay(f);
        }
        onMessage?.(f);
      }
    });
  });

const run = async (label, vars) => {
  const server = await startServer({ vars });
  try {
    const { app, call } = await platform(server.baseUrl);
    const channel = (await call("POST", `/v1/applications/${app.id}/channels`, { type: "OPEN", name: "bench" })).body;
    const latencies = [];
    const started = [];
    for (let i = 0; i < SESSIONS; i += 20) {
      started.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(20, SESSIONS - i) }, (_, j) =>
            connect(server.baseUrl, app.key, `viewer-${i + j}`, (f) => {
              const sent = JSON.parse(f.body).resource?.body;
              if (sent) latencies.push(performance.now() + performance.timeOrigin - Number(sent));
            }),
          ),
        )),
      );
    }
    await Promise.all(started.map((c) => c.subscribe(`/topic/v1/channels/${channel.id}/messages`)));
    const sender = await connect(server.baseUrl, app.key, "sender");
    const me = await sender.relay("/application/v1/users/me.relay");
    await sender.subscribe(me._topics.channels);
    sender.send(`/application/v1/channels/${channel.id}.join`, {});
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    for (let i = 0; i < MESSAGES; i++) {
      sender.send(`/application/v1/channels/${channel.id}.message`, {
        type: "TEXT",
        body: String(performance.now() + performance.timeOrigin),
      });
      await new Promise((r) => setTimeout(r, 1000 / RATE));
    }
    const expected = SESSIONS * MESSAGES;
    const deadline = Date.now() + 15_000;
    while (latencies.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const seconds = (performance.now() - t0) / 1000;
    // The room's memory is what it holds: the newest messages, bounded by OPEN_CHANNEL_MESSAGE_LIMIT.
    const held = (await call("GET", `/v1/applications/${app.id}/channels/${channel.id}/messages?size=100`)).body;
    const heldBytes = Buffer.byteLength(JSON.stringify(held._embedded.messages));
    for (const c of [...started, sender]) c.close();
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      label,
      delivered: latencies.length,
      expected,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      perSecond: latencies.length / seconds,
      held: held._embedded.messages.length,
      heldBytes,
    };
  } finally {
    await server.stop();
  }
};

const results = [await run("16 session shards (default)", {}), await run("1 session shard", { SESSION_SHARD_COUNT: "1" })];
const lines = [
  `Live fan-out: 1 OPEN channel, ${SESSIONS} sessions, 1 sender, ${MESSAGES} messages at ${RATE}/s`,
  "",
  "| setup | delivered | p50 ms | p99 ms | deliveries/s | room holds |",
  "| --- | --- | --- | --- | --- | --- |",
  ...results.map(
    (r) =>
      `| ${r.label} | ${r.delivered}/${r.expected} | ${r.p50?.toFixed(1)} | ${r.p99?.toFixed(1)} | ${r.perSecond.toFixed(0)} | ${r.held} msgs, ${(r.heldBytes / 1024).toFixed(1)} KiB |`,
  ),
  "",
  `${new Date().toISOString()} · ${await machine()} · local wrangler dev (workerd)`,
];
console.log(lines.join("\n"));
mkdirSync(path.join(import.meta.dirname, "out"), { recursive: true });
writeFileSync(path.join(import.meta.dirname, "out", "RESULTS-realtime.md"), `# Real-time benchmark\n\n${lines.join("\n")}\n`);
