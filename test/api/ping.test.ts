/**
 * `GET /ping`, the benchmark's floor: answered by the Worker's fetch handler before the app, so
 * none of the middleware runs (no request id, no security headers, no D1 session).
 */
import { describe, it } from "vitest";
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
