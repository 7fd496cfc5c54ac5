/**
 * `npm run bench:realtime`: live fan-out against its floor, in one run per session count.
 *
 * - **chat**: N chat sessions subscribed to one OPEN channel, messages sent through the StompX
 *   action (senders of their own, each under the per-connection frame limit). Run twice: with
 *   2020-dialect viewers, and last with current-dialect viewers that ACK every event as the SDK
 *   does (each ACK is one more inbound event for a shard).
 * - **floor**: the same N clients on the real-time floor (`GET /ping/websocket`): one object
 *   that writes each message, serialized once, to N sockets and does nothing else; run again with
 *   clients that ACK every event (the floor reads each ACK and drops it), the floor of the
 *   ACKing chat run.
 *
 * For each: latency (send → receive, measured by the clients) at RATE messages/s, and the
 * delivery ceiling (deliveries/s at offered loads that double until delivery stops keeping up).
 * Then chat at twice its ceiling for OVERLOAD_SECONDS, sampling workerd's memory: whether the
 * slow-consumer policy (src/durable/outbox.ts, channel-room.ts) keeps it flat.
 *
 * SESSIONS is a list (default 200; e.g. SESSIONS=200,1000,2000); MESSAGES, RATE set the latency
 * run; SHARDS sets SESSION_SHARD_COUNT (default: the Worker's, 16).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { connectChat, connectFloor, openMany } from "./live-clients.mjs";
import { jsHeap, machine, percentile, platform, serverProcess, startServer } from "./lib.mjs";

const SESSIONS = (process.env.SESSIONS ?? "200").split(",").map(Number);
const MESSAGES = Number(process.env.MESSAGES ?? 100);
const RATE = Number(process.env.RATE ?? 20);
const OVERLOAD_SECONDS = Number(process.env.OVERLOAD_SECONDS ?? 10);
const STEP_SECONDS = 3;
/** Issue #12's latency budget for 200 sessions, and how much RSS may move in an overload's last half and still count as flat. */
const P99_TARGET_MS = 50;
const FLAT_SHARE = 0.05;
/** The share of sessions that stall in the stalled-readers run, and how long it sends (long enough to fill a window and a backlog). */
const STALLED_SHARE = 0.9;
const STALL_SECONDS = 30;
/** Per chat sender, under RATE_LIMIT_SESSION_FRAMES_PER_10S (300 per 10 s). */
const SENDER_RATE = 25;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

/** What N receivers saw: deliveries (with latencies while recording), drop notices, errors. */
const recorder = () => {
  const r = { count: 0, lastAt: 0, latencies: [], arrivals: [], recording: false, notices: 0, dropped: 0, errors: 0, bytes: 0 };
  r.onMessage = (body) => {
    const at = now();
    const event = JSON.parse(body);
    if (event.type === "channel.messages.dropped") {
      r.notices++;
      r.dropped += event.resource.count;
      return;
    }
    const sent = Number(event.resource?.body);
    if (!sent) return;
    r.count++;
    r.lastAt = at;
    r.bytes = body.length;
    if (r.recording) {
      r.latencies.push(at - sent);
      r.arrivals.push(at);
    }
  };
  r.onError = () => r.errors++;
  return r;
};

/** Sends `rate` messages/s for `seconds` (in 20 ms ticks), each body the send time. */
const drive = async (send, rate, seconds) => {
  const start = now();
  let sent = 0;
  while (now() - start < seconds * 1000) {
    const due = Math.floor(((now() - start) / 1000) * rate);
    for (; sent < due; sent++) send(String(now()));
    await sleep(20);
  }
  return sent;
};

/** Waits until no delivery arrived for `quietMs` (or `maxMs` passed, or `done()` holds). */
const settle = async (rec, quietMs = 1500, maxMs = 20_000, done = () => false) => {
  const start = Date.now();
  let last = rec.count;
  let lastChange = Date.now();
  while (Date.now() - lastChange < quietMs && Date.now() - start < maxMs && !done()) {
    await sleep(100);
    if (rec.count !== last) {
      last = rec.count;
      lastChange = Date.now();
    }
  }
};

const cpuNow = async (server) => ({ server: (await serverProcess(server.group)).cpuSeconds, client: process.cpuUsage(), at: now() });
const cpuSince = async (server, before) => {
  const after = await cpuNow(server);
  const seconds = (after.at - before.at) / 1000;
  const client = process.cpuUsage(before.client);
  return { server: (after.server - before.server) / seconds, client: (client.user + client.system) / 1e6 / seconds };
};

/** Latency at RATE: every delivery's send → receive time. */
const latency = async (server, rec, send, sessions) => {
  const cpu = await cpuNow(server);
  rec.recording = true;
  const sent = await drive(send, RATE, MESSAGES / RATE);
  await settle(rec);
  rec.recording = false;
  const sorted = [...rec.latencies].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    delivered: sorted.length,
    expected: sent * sessions,
    cpu: await cpuSince(server, cpu),
  };
};

/**
 * Deliveries/s at offered loads that double until delivery falls behind; the best is the ceiling.
 * Each step counts its deliveries until they stop arriving, over the time from its first send to
 * its last delivery: a step that queues is charged for draining its queue.
 */
const ceiling = async (rec, send, sessions) => {
  const steps = [];
  for (let offered = 2_500; offered <= 80_000; offered *= 2) {
    const before = rec.count;
    const t0 = now();
    const sent = await drive(send, offered / sessions, STEP_SECONDS);
    // Until every delivery arrived (a saturated shard can go quiet for seconds while it reads ACKs).
    await settle(rec, 3000, 60_000, () => rec.count - before >= sent * sessions);
    // Nothing arrived (a floor stalled by its clients' ACKs did, for a minute): zero, not a negative rate.
    const delivered = rec.count > before ? (rec.count - before) / ((rec.lastAt - t0) / 1000) : 0;
    steps.push({ offered, delivered });
    if (delivered < offered * 0.8) break;
  }
  return { best: Math.max(...steps.map((s) => s.delivered)), steps };
};

/**
 * Twice the ceiling for OVERLOAD_SECONDS: what the policy did, and memory sampled every 500 ms,
 * workerd's resident memory next to the Worker's JavaScript heap (what the objects hold).
 */
const overload = async (server, rec, send, sessions, deliveriesPerSecond, { receivers = sessions, duration = OVERLOAD_SECONDS } = {}) => {
  const heap = await jsHeap(server);
  const samples = [(await serverProcess(server.group)).rssKiB];
  const heapSamples = [await heap.read()];
  const before = { count: rec.count, notices: rec.notices, dropped: rec.dropped, errors: rec.errors };
  let done = false;
  const sampling = (async () => {
    while (!done) {
      await sleep(500);
      const [{ rssKiB }, heapMiB] = await Promise.all([serverProcess(server.group), heap.read()]);
      samples.push(rssKiB);
      heapSamples.push(heapMiB);
    }
  })();
  rec.latencies = [];
  rec.arrivals = [];
  rec.recording = true;
  const t0 = now();
  const sent = await drive(send, deliveriesPerSecond / sessions, duration);
  const seconds = (now() - t0) / 1000;
  // Past the ceiling deliveries come seconds late: wait for all of them, or a long quiet.
  await settle(rec, 5000, 60_000, () => rec.count - before.count + rec.dropped - before.dropped >= sent * receivers);
  rec.recording = false;
  done = true;
  await sampling;
  heap.close();
  const heapRead = heapSamples.filter((mib) => mib !== undefined);
  // Where the excess waits: latency of what arrived in the first and in the last second of sending.
  const p50Between = (from, to) =>
    percentile(
      rec.latencies.filter((_, i) => rec.arrivals[i] >= t0 + from * 1000 && rec.arrivals[i] < t0 + to * 1000).sort((a, b) => a - b),
      50,
    );
  return {
    p50FirstSecond: p50Between(0, 1),
    p50LastSecond: p50Between(seconds - 1, seconds),
    offered: (sent * sessions) / seconds,
    delivered: rec.count - before.count,
    asked: sent * receivers,
    notices: rec.notices - before.notices,
    dropped: rec.dropped - before.dropped,
    disconnected: rec.errors - before.errors,
    heapMiB: { min: Math.min(...heapRead), max: Math.max(...heapRead), answered: heapRead.length, asked: heapSamples.length },
    rssMiB: {
      start: samples[0] / 1024,
      max: Math.max(...samples) / 1024,
      end: samples.at(-1) / 1024,
      // Growth while the overload went on: what a backlog would add up to, warm-up excluded.
      lastHalf: (Math.max(...samples.slice(samples.length >> 1)) - Math.min(...samples.slice(samples.length >> 1))) / 1024,
      series: samples.map((kib) => Math.round(kib / 1024)),
    },
  };
};

/** Senders of their own for a channel, each under the per-connection frame limit: `sendAt(rate)` gives a send function. */
const sendersFor = (server, key, channelId) => {
  const senders = [];
  let next = 0;
  const sendAt = async (rate) => {
    while (senders.length < Math.ceil(rate / SENDER_RATE)) {
      const sender = await connectChat(server.baseUrl, key, `sender-${channelId}-${senders.length}`);
      sender.send(`/application/v1/channels/${channelId}.join`, {});
      senders.push(sender);
    }
    await sleep(200);
    return (body) => senders[next++ % senders.length].send(`/application/v1/channels/${channelId}.message`, { type: "TEXT", body });
  };
  return { sendAt, senders };
};

/** `dialect`: the viewers' (2020, or current: they ACK every event as the SDK does). */
const chatRun = async (server, sessions, dialect = "2020") => {
  const { app, call } = await platform(server.baseUrl);
  const channel = (await call("POST", `/v1/applications/${app.id}/channels`, { type: "OPEN", name: "bench" })).body;
  const topic = `/topic/v1/channels/${channel.id}/messages`;
  const rec = recorder();
  const viewers = await openMany(sessions, (i) => connectChat(server.baseUrl, app.key, `viewer-${i}`, rec, dialect));
  await Promise.all(viewers.map((c) => c.subscribe(topic)));
  const { sendAt, senders } = sendersFor(server, app.key, channel.id);
  try {
    const lat = await latency(server, rec, await sendAt(RATE), sessions);
    const top = await ceiling(rec, await sendAt(80_000 / sessions), sessions);
    const over = await overload(server, rec, await sendAt((2 * top.best) / sessions), sessions, 2 * top.best);
    return { ...lat, ceiling: top, overload: over, eventBytes: rec.bytes };
  } finally {
    for (const c of [...viewers, ...senders]) c.close();
  }
};

/**
 * Stalled readers: current-dialect sessions, which ACK each event as the SDK does, on an OPEN
 * channel at RATE messages/s for STALL_SECONDS; STALLED_SHARE of them stall (stop reading their
 * socket: nothing read, nothing acknowledged). Their ACK windows close, their backlogs fill and
 * the slow-consumer policy drops the oldest messages (durable/outbox.ts) while the others keep up;
 * memory is sampled throughout. At the end the stalled sessions read on and count what reached
 * them and what they were told was dropped. (The load is one the others can take: at twice the
 * 2020 ceiling their own ACKs would be the overload.)
 */
const stalledRun = async (server, sessions) => {
  const { app, call } = await platform(server.baseUrl);
  const channel = (await call("POST", `/v1/applications/${app.id}/channels`, { type: "OPEN", name: "stalled readers" })).body;
  const topic = `/topic/v1/channels/${channel.id}/messages`;
  const stalledCount = Math.max(1, Math.round(sessions * STALLED_SHARE));
  const healthy = recorder();
  const stalled = recorder();
  const viewers = await openMany(sessions, (i) =>
    connectChat(server.baseUrl, app.key, `acker-${i}`, i < stalledCount ? stalled : healthy, "current"),
  );
  await Promise.all(viewers.map((c) => c.subscribe(topic)));
  const { sendAt, senders } = sendersFor(server, app.key, channel.id);
  try {
    // One event each, acknowledged: the server now counts these subscriptions' ACKs.
    (await sendAt(RATE))(String(now()));
    await settle(healthy, 500);
    await settle(stalled, 500);
    const before = stalled.count;
    for (const v of viewers.slice(0, stalledCount)) v.pause();
    const over = await overload(server, healthy, await sendAt(RATE), sessions, RATE * sessions, {
      receivers: sessions - stalledCount,
      duration: STALL_SECONDS,
    });
    const sentEach = over.asked / (sessions - stalledCount);
    const stalledAsked = sentEach * stalledCount;
    // Read on until every message is received or announced as dropped (a quiet spell alone can
    // end too early: the others' backlogs drain through the same thread).
    const resumedAt = now();
    for (const v of viewers.slice(0, stalledCount)) v.resume();
    await settle(stalled, 15_000, 120_000, () => stalled.count - before + stalled.dropped >= stalledAsked);
    return {
      drainSeconds: (now() - resumedAt) / 1000,
      stalled: stalledCount,
      overload: over,
      stalledReceived: stalled.count - before,
      stalledDropped: stalled.dropped,
      stalledNotices: stalled.notices,
      stalledAsked,
      stalledDisconnected: stalled.errors,
    };
  } finally {
    for (const c of [...viewers, ...senders]) c.close();
  }
};

/** `ack`: the clients ACK every event, as current-dialect viewers do (the floor reads and drops each ACK). */
const floorRun = async (server, sessions, eventBytes, ack = false) => {
  const rec = recorder();
  const viewers = await openMany(sessions, () => connectFloor(server.baseUrl, rec, { ack }));
  const sender = await connectFloor(server.baseUrl);
  // The same size as the chat run's events, so both runs write as many bytes.
  const padding = "x".repeat(Math.max(0, eventBytes - 80));
  const send = (body) => sender.send(JSON.stringify({ type: "floor", version: "v1", resource: { body, padding } }));
  try {
    const lat = await latency(server, rec, send, sessions);
    const top = await ceiling(rec, send, sessions);
    return { ...lat, ceiling: top };
  } finally {
    for (const c of [...viewers, sender]) c.close();
  }
};

/**
 * Events of the current dialect (chatkitty@1.58.2) on one PUBLIC channel, to N sessions that
 * subscribe to its topics: keystrokes (`thread.keystrokes.created`, keys = send time), edits of a
 * message (`channel.message.updated`, body = send time) and reactions added and taken back in turn
 * (`message.reaction.created`/`removed`: a viewer's k-th event from an actor answers that actor's
 * k-th action, as a room delivers in order). ACTORS users share RATE actions/s, so the figure is
 * delivery, not one connection's queue (a session's frames run one after another). Latency is
 * send → receive, MESSAGES actions of each kind.
 */
const ACTORS = Number(process.env.ACTORS ?? 4);

const currentRun = async (server, sessions) => {
  const { app, call } = await platform(server.baseUrl);
  const channel = (await call("POST", `/v1/applications/${app.id}/channels`, { type: "PUBLIC", name: "bench-current" })).body;
  const kinds = { typing: [], edit: [], reaction: [] };
  /** Per actor name: when each of its reaction actions was sent; per viewer and actor: events seen. */
  const reactionSent = new Map();
  const seen = [];
  /** Viewers ended by an ERROR (a slow consumer's, outbox.ts), so far. */
  const disconnects = { count: 0 };
  const onMessage = (i) => (body) => {
    const at = now();
    const { type, resource } = JSON.parse(body);
    if (type === "thread.keystrokes.created") kinds.typing.push(at - Number(resource.keys));
    else if (type === "channel.message.updated") kinds.edit.push(at - Number(resource.body));
    else if (type.startsWith("message.reaction.")) {
      const actor = resource.user.name;
      const k = seen[i].get(actor) ?? 0;
      seen[i].set(actor, k + 1);
      kinds.reaction.push(at - reactionSent.get(actor)[k]);
    }
  };
  const topics = ["keystrokes", "messages", "reactions"].map((t) => `/topic/v1/channels/${channel.id}/${t}`);
  const viewers = await openMany(sessions, (i) => {
    seen[i] = new Map();
    return connectChat(
      server.baseUrl,
      app.key,
      `current-viewer-${i}`,
      { onMessage: onMessage(i), onError: () => disconnects.count++ },
      "current",
    );
  });
  await Promise.all(viewers.flatMap((c) => topics.map((t) => c.subscribe(t))));
  const actors = await Promise.all(
    Array.from({ length: ACTORS }, async (_, i) => {
      const name = `current-actor-${i}`;
      const client = await connectChat(server.baseUrl, app.key, name, {}, "current");
      client.send(`/application/v1/channels/${channel.id}.join`, {});
      reactionSent.set(name, []);
      return { name, client };
    }),
  );
  await sleep(300);
  for (const actor of actors) {
    const sent = await call("POST", `/v1/applications/${app.id}/channels/${channel.id}/messages`, {
      type: "TEXT",
      body: "0",
      user: { username: actor.name },
    });
    actor.messageId = sent.body.id;
  }
  let next = 0;
  const actor = () => actors[next++ % actors.length];
  const measure = async (kind, send) => {
    const cpu = await cpuNow(server);
    const sent = await drive(() => send(actor()), RATE, MESSAGES / RATE);
    const rec = { count: 0 };
    const counter = setInterval(() => (rec.count = kinds[kind].length), 50);
    // At saturation deliveries come seconds late and in bursts: wait for all of them, or a long quiet.
    await settle(rec, 5000, 60_000, () => kinds[kind].length >= sent * sessions);
    clearInterval(counter);
    const sorted = [...kinds[kind]].sort((a, b) => a - b);
    return {
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      delivered: sorted.length,
      expected: sent * sessions,
      disconnected: disconnects.count,
      cpu: await cpuSince(server, cpu),
    };
  };
  try {
    const typing = await measure("typing", (a) =>
      a.client.send(`/application/v1/channels/${channel.id}.keystrokes`, { keys: String(now()) }),
    );
    const edit = await measure("edit", (a) => a.client.send(`/application/v1/messages/${a.messageId}.edit`, { body: String(now()) }));
    const reaction = await measure("reaction", (a) => {
      const times = reactionSent.get(a.name);
      times.push(now());
      a.client.send(`/application/v1/messages/${actors[0].messageId}.${times.length % 2 ? "react" : "remove-reaction"}`, { emoji: "👍" });
    });
    return { typing, edit, reaction };
  } finally {
    for (const c of [...viewers, ...actors.map((a) => a.client)]) c.close();
  }
};

const results = [];
for (const sessions of SESSIONS) {
  const vars = { BENCH_FLOORS: "on", ...(process.env.SHARDS ? { SESSION_SHARD_COUNT: process.env.SHARDS } : {}) };
  const server = await startServer({ vars });
  try {
    const chat = await chatRun(server, sessions);
    const floor = await floorRun(server, sessions, chat.eventBytes);
    const floorAcking = await floorRun(server, sessions, chat.eventBytes, true);
    const current = await currentRun(server, sessions);
    const slow = await stalledRun(server, sessions);
    // Last: past its ceiling this run leaves workerd with what it could not shed (bench/README.md).
    const chatAcking = await chatRun(server, sessions, "current");
    results.push({ sessions, chat, floor, current, slow, chatAcking, floorAcking });
    console.error(JSON.stringify({ sessions, chat, floor, current, slow, chatAcking, floorAcking }));
  } finally {
    await server.stop();
  }
}

const ms = (v) => (v === undefined ? "–" : v.toFixed(1));
/** A ceiling divided by its floor's; "–" when the floor delivered nothing in its steps. */
const ratioText = (ceiling, floorCeiling) => (floorCeiling > 0 ? (ceiling / floorCeiling).toFixed(2) : "–");
/** The RSS cells of an overload row: start → max → end, and the range over its last half. */
const rssCells = ({ start, max, end, lastHalf }) =>
  `${start.toFixed(0)} → ${max.toFixed(0)} → ${end.toFixed(0)} MiB | ${lastHalf.toFixed(0)} MiB`;
const heapRange = ({ min, max, answered, asked }) => (answered ? `${min.toFixed(0)} – ${max.toFixed(0)} MiB (${answered}/${asked})` : "–");
const pct = (v) => `${Math.round(v * 100)}%`;
const shards = process.env.SHARDS ?? "16 (default)";
const lines = [
  `Live fan-out: 1 OPEN channel, ${MESSAGES} messages at ${RATE}/s for latency; session shards: ${shards}`,
  "",
  "| sessions | run | p50 ms | p99 ms | delivered | ceiling deliveries/s | chat ÷ floor | workerd CPU | clients' CPU |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...results.flatMap(({ sessions, chat, floor, chatAcking, floorAcking }) =>
    [
      ["floor", floor],
      ["chat", chat, floor],
      ["floor, clients ACK", floorAcking],
      ["chat, viewers ACK (current SDK)", chatAcking, floorAcking],
    ].map(
      ([run, r, of]) =>
        `| ${sessions} | ${run} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.delivered}/${r.expected} | ${r.ceiling.best.toFixed(0)} | ${
          of ? ratioText(r.ceiling.best, of.ceiling.best) : ""
        } | ${pct(r.cpu.server)} | ${pct(r.cpu.client)} |`,
    ),
  ),
  "",
  `At twice each chat run's ceiling for ${OVERLOAD_SECONDS} s (slow-consumer policy: docs/scaling.md):`,
  "",
  "| sessions | viewers | offered deliveries/s | delivered | dropped (notices) | disconnected | p50 ms, first → last second | workerd RSS start → max → end | RSS range, last half | JS heap min – max (samples answered) |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...results.flatMap(({ sessions, chat, chatAcking }) =>
    [
      ["2020", chat.overload],
      ["current, ACKing", chatAcking.overload],
    ].map(
      ([viewers, o]) =>
        `| ${sessions} | ${viewers} | ${o.offered.toFixed(0)} | ${o.delivered}/${o.asked} | ${o.dropped} (${o.notices}) | ${o.disconnected} | ${ms(o.p50FirstSecond)} → ${ms(o.p50LastSecond)} | ${rssCells(o.rssMiB)} | ${heapRange(o.heapMiB)} |`,
    ),
  ),
  "",
  `Stalled readers: current-dialect sessions that ACK each event, ${RATE} messages/s for ${STALL_SECONDS} s; ${STALLED_SHARE * 100}% of them stall (stop reading), then read on at the end:`,
  "",
  "| sessions | stalled | deliveries/s | others delivered | stalled: received + dropped (notices) of asked | read on in | disconnected | workerd RSS start → max → end | RSS range, last half |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...results.map(({ sessions, slow }) => {
    const o = slow.overload;
    return `| ${sessions} | ${slow.stalled} | ${o.offered.toFixed(0)} | ${o.delivered}/${o.asked} | ${slow.stalledReceived} + ${slow.stalledDropped} (${slow.stalledNotices}) of ${slow.stalledAsked} | ${slow.drainSeconds.toFixed(1)} s | ${slow.stalledDisconnected} | ${rssCells(o.rssMiB)} |`;
  }),
  "",
  "Targets (issue #12); a latency target the floor itself misses in the same run cannot be met by chat on this machine:",
  "",
  "| sessions | target | chat | floor, same run | met |",
  "| --- | --- | --- | --- | --- |",
  ...results.flatMap(({ sessions, chat, floor, chatAcking, floorAcking }) => {
    // One rule for both ceiling targets; a floor that delivered nothing leaves nothing to compare.
    const ceilingRow = (target, r, of) =>
      `| ${sessions} | ${target} | ${ratioText(r.ceiling.best, of.ceiling.best)}× | ${of.ceiling.best.toFixed(0)}/s | ${
        of.ceiling.best === 0
          ? "– (the floor itself delivered nothing in its steps)"
          : r.ceiling.best >= 0.8 * of.ceiling.best
            ? "yes"
            : "**no**"
      } |`;
    // Not flat, but the objects' own memory (the JS heap) is: what grew is the runtime's (docs/scaling.md).
    const flat = ({ rssMiB: { start, lastHalf }, heapMiB }, viewers) =>
      `| ${sessions} | flat memory at 2× the ceiling, ${viewers} viewers (last half within ${FLAT_SHARE * 100}% of the start) | ${lastHalf.toFixed(0)} MiB | – | ${
        lastHalf <= start * FLAT_SHARE
          ? "yes"
          : heapMiB.answered && heapMiB.max - heapMiB.min <= start * FLAT_SHARE
            ? `**no**: workerd's own memory grew; the JS heap stayed within ${heapRange(heapMiB)}`
            : "**no**"
      } |`;
    return [
      ...(sessions === 200
        ? [
            `| 200 | p99 < ${P99_TARGET_MS} ms | ${ms(chat.p99)} | ${ms(floor.p99)} | ${
              chat.p99 < P99_TARGET_MS ? "yes" : floor.p99 >= P99_TARGET_MS ? "**no** (not reachable here: the floor's own p99)" : "**no**"
            } |`,
          ]
        : []),
      ceilingRow("ceiling ≥ 0.8× the floor's", chat, floor),
      ceilingRow("the same, viewers that ACK (against a floor whose clients ACK)", chatAcking, floorAcking),
      flat(chat.overload, "2020"),
      flat(chatAcking.overload, "current-dialect"),
    ];
  }),
  "",
  `Current dialect (chatkitty@1.58.2), 1 PUBLIC channel, ${MESSAGES} actions of each kind at ${RATE}/s by ${ACTORS} users, every session subscribed to its keystrokes, messages and reactions topics:`,
  "",
  "| sessions | event | p50 ms | p99 ms | delivered | viewers disconnected, so far | workerd CPU |",
  "| --- | --- | --- | --- | --- | --- | --- |",
  ...results.flatMap(({ sessions, current }) =>
    Object.entries(current).map(
      ([kind, r]) =>
        `| ${sessions} | ${kind} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.delivered}/${r.expected} | ${r.disconnected} | ${pct(r.cpu.server)} |`,
    ),
  ),
  "",
  `${new Date().toISOString()} · ${await machine()} · local wrangler dev (workerd)`,
];
console.log(lines.join("\n"));
mkdirSync(path.join(import.meta.dirname, "out"), { recursive: true });
writeFileSync(path.join(import.meta.dirname, "out", "RESULTS-realtime.md"), `# Real-time benchmark\n\n${lines.join("\n")}\n`);
