/**
 * `GET /ping`, the benchmark's floor: answered by the Worker's fetch handler before the app, so
 * none of the middleware runs (no request id, no security headers, no D1 session).
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { floorFor } from "../../src/floors";
import { fetchWorker } from "../helpers/api";

describe("GET /ping", () => {
  it("answers pong before any middleware", async ({ expect }) => {
    const res = await fetchWorker("/ping");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("pong");
    expect(res.headers.get("X-Request-Id")).toBeNull();
    expect(res.headers.get("X-D1-Bookmark")).toBeNull();
  });

  it("is only the exact path and method: anything else goes to the app", async ({ expect }) => {
    for (const [path, method] of [
      ["/ping?x=1", "GET"],
      ["/v1/ping", "GET"],
      ["/pingx", "GET"],
      ["/ping", "POST"],
    ] as const) {
      const res = await fetchWorker(path, { method });
      expect(res.headers.get("X-Request-Id"), `${method} ${path}`).not.toBeNull();
      expect(await res.text(), `${method} ${path}`).not.toBe("pong");
    }
  });
});

describe("the platform floors (BENCH_FLOORS)", () => {
  const on = { ...env, BENCH_FLOORS: "on" };
  const floor = async (path: string, e: Env = on, method = "GET") => floorFor(new Request(`https://floors.test${path}`, { method }), e);

  it("are not served unless BENCH_FLOORS is on (wrangler.toml has it off)", async ({ expect }) => {
    expect(env.BENCH_FLOORS).toBe("off");
    for (const path of ["/ping/d1", "/ping/limit", "/ping/room", "/ping/websocket"]) {
      expect(await floor(path, env), path).toBeUndefined();
      expect((await fetchWorker(path)).headers.get("X-Request-Id"), path).not.toBeNull();
    }
  });

  it("each call one facility the way the app does and say what it answered", async ({ expect }) => {
    expect(await (await floor("/ping/d1"))?.text()).toBe("1");
    expect(await (await floor("/ping/limit"))?.text()).toBe("true");
    expect(await (await floor("/ping/room"))?.text()).toBe("0");
    expect((await floor("/ping/websocket"))?.status).toBe(426);
  });

  it("are only their exact paths, for GET", async ({ expect }) => {
    for (const path of ["/ping/d1x", "/ping/d1?x=1", "/v1/ping/d1", "/ping/", "/ping/unknown"]) {
      expect(await floor(path), path).toBeUndefined();
    }
    expect(await floor("/ping/d1", on, "POST")).toBeUndefined();
  });
});

describe("the real-time floor (GET /ping/websocket)", () => {
  const on = { ...env, BENCH_FLOORS: "on" };
  const open = async () => {
    const res = await floorFor(new Request("https://floors.test/ping/websocket", { headers: { Upgrade: "websocket" } }), on);
    const ws = res?.webSocket;
    if (!ws) throw new Error(`no socket: ${res?.status}`);
    ws.accept();
    const frames: string[] = [];
    ws.addEventListener("message", (e) => {
      frames.push(String(e.data));
    });
    return { ws, frames };
  };
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  };

  it("writes what one socket sends to the others as a MESSAGE frame, and drops ACKs", async ({ expect }) => {
    const [a, b] = [await open(), await open()];
    try {
      a.ws.send("ACK\nid:floor-1\nsubscription:floor\n\n\0");
      a.ws.send('{"n":"after the ACK"}');
      await until(() => b.frames.length > 0);
      expect(b.frames).toHaveLength(1);
      expect(b.frames[0]).toMatch(/^MESSAGE\n/);
      expect(b.frames[0]).toContain('\n\n{"n":"after the ACK"}\0');
      expect(a.frames, "not echoed to its sender").toEqual([]);
    } finally {
      a.ws.close();
      b.ws.close();
    }
  });
});
