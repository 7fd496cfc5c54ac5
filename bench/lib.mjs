/**
 * Shared by the benchmark scripts: start the Worker the way users do (`scripts/dev.mjs`, i.e.
 * `npm run dev`) on a free port with a throwaway state folder, and get a Platform API token.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");

const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

/** @example const server = await startServer({ vars: { SESSION_SHARD_COUNT: "1" } }); … await server.stop() */
export const startServer = async ({ vars = {} } = {}) => {
  const port = await freePort();
  const inspectorPort = await freePort();
  const state = mkdtempSync(path.join(tmpdir(), "kitty-edge-bench-"));
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const child = spawn(
    process.execPath,
    [
      "scripts/dev.mjs",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--persist-to",
      state,
      "--show-interactive-dev-session=false",
      "--inspector-port",
      String(inspectorPort),
      ...varArgs,
    ],
    { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "true" } },
  );
  // Keep only the tail of the server's output (every request logs a line): for error reports.
  let log = "";
  const keep = (d) => (log = (log + d).slice(-65_536));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
    rmSync(state, { recursive: true, force: true });
  };
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`dev server exited:\n${log}`);
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) return { baseUrl, port, inspectorPort, state, stop, log: () => log, group: child.pid };
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`dev server did not start:\n${log}`);
};

/** A Platform API client with the demo credentials (acme / acmesecret). */
export const platform = async (baseUrl) => {
  const res = await fetch(`${baseUrl}/oauth/token`, {
    method: "POST",
    headers: { Authorization: `Basic ${btoa("acme:acmesecret")}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials",
  });
  const { access_token: token } = await res.json();
  const call = async (method, url, body) => {
    const r = await fetch(url.startsWith("http") ? url : `${baseUrl}${url}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, body: await r.json() };
  };
  const app = (await call("GET", "/v1/applications/me")).body;
  return { token, app, call };
};

export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

export const machine = async () => {
  const os = await import("node:os");
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
};

/**
 * Resident memory (KiB) and CPU time (s) of the server's workerd processes (in the process group
 * `startServer` made), read from /proc: what the objects hold, whatever the clients do.
 * @example const { rssKiB, cpuSeconds } = await serverProcess(server.group)
 */
export const serverProcess = async (group) => {
  const { readdirSync, readFileSync } = await import("node:fs");
  let rssKiB = 0;
  let cpuSeconds = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // fields[2] is the process group; utime and stime are fields 11 and 12 (clock ticks).
      if (Number(fields[2]) !== group || !stat.includes("(workerd)")) continue;
      cpuSeconds += (Number(fields[11]) + Number(fields[12])) / 100;
      rssKiB += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      /* the process ended meanwhile */
    }
  }
  return { rssKiB, cpuSeconds };
};

/**
 * The Worker's JavaScript heap, read over wrangler's inspector (`Runtime.getHeapUsage`): what the
 * objects themselves hold, as against workerd's resident memory. `read()` gives MiB used, or
 * undefined when the isolate did not answer within `timeoutMs` (a saturated isolate answers late).
 * @example const heap = await jsHeap(server); const mib = await heap.read(); heap.close();
 */
export const jsHeap = async ({ inspectorPort }, timeoutMs = 1000) => {
  const { default: WebSocket } = await import("ws");
  const [target] = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  // A later failure (the server stopping) leaves reads to time out rather than end the benchmark.
  ws.on("error", () => {});
  const waiting = new Map();
  let id = 0;
  ws.on("message", (data) => {
    const { id: answered, result } = JSON.parse(data);
    waiting.get(answered)?.(result?.usedSize === undefined ? undefined : result.usedSize / 2 ** 20);
    waiting.delete(answered);
  });
  const read = () =>
    new Promise((resolve) => {
      const asked = ++id;
      waiting.set(asked, resolve);
      ws.send(JSON.stringify({ id: asked, method: "Runtime.getHeapUsage" }));
      setTimeout(() => waiting.delete(asked) && resolve(undefined), timeoutMs);
    });
  return { read, close: () => ws.close() };
};
