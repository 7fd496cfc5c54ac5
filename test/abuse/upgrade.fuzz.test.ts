/**
 * Abuse tests for the chat-session upgrade (`GET /stompx/websocket`), property-based with
 * fast-check: random API keys, user names and `stompx_auth_params`, with and without an
 * Upgrade header, against an open application and one that requires authenticated sessions. The
 * answer is 101 or 426, never ≥ 500; a CONNECT on an upgraded socket is answered CONNECTED or
 * ERROR, never `InternalServerError`; and neither the locked application (no valid token is ever
 * sent) nor an unknown key writes anything.
 *
 * Runs are bounded (RUNS per property) so the file stays well under a minute. A failure prints
 * fast-check's seed and the shrunk input; rerun with `{ seed, path }` in `fc.assert` options.
 * The world, the checks and the shared generators are in test/helpers/fuzz-session.ts.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, it } from "vitest";
import { fetchWorker, setup } from "../helpers/api";
import { ChatClient, openSocket } from "../helpers/chat";
import { snapshot } from "../helpers/db-state";
import { safeStringify, TIMEOUT } from "../helpers/fuzz";
import { expectNoInternalError, RUNS, weird } from "../helpers/fuzz-session";

describe("the session upgrade under random query strings", () => {
  it("GET /stompx/websocket with random api keys, user names and auth params: 101 or 426, never a 5xx; unknown keys write nothing", {
    timeout: TIMEOUT,
  }, async ({ expect }) => {
    const { app } = await setup();
    const locked = await setup();
    await env.DB.prepare("UPDATE applications SET require_authenticated_sessions = 1 WHERE id = ?").bind(locked.app.id).run();
    const lockedUser = await locked.createUser();
    const name = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: "grapheme", maxLength: 20 }),
      fc.constantFrom("", " ", "undefined", "null", lockedUser.name, "x".repeat(256), "%", "a&b=c"),
    );
    const key = fc.oneof(fc.constantFrom(app.key, locked.app.key, "", "undefined"), fc.uuid(), fc.string({ maxLength: 80 }));
    const authParams = fc.option(
      fc.oneof(fc.json(), fc.record({ token: weird }).map(safeStringify), fc.string({ maxLength: 50 }), fc.constant("x".repeat(5000))),
      { nil: undefined },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({ key, name, authParams, upgrade: fc.boolean(), extra: fc.option(fc.webQueryParameters(), { nil: undefined }) }),
        async (q) => {
          const query = [
            `api_key=${encodeURIComponent(q.key)}`,
            `stompx_user=${encodeURIComponent(q.name)}`,
            ...(q.authParams === undefined ? [] : [`stompx_auth_params=${encodeURIComponent(q.authParams)}`]),
            ...(q.extra ? [q.extra] : []),
          ].join("&");
          const guarded = q.key !== app.key;
          const before = await snapshot(locked.app.id, { tableSizes: false });
          const beforeMine = guarded ? await snapshot(app.id) : undefined;
          let res: Response;
          if (q.upgrade) {
            try {
              res = await openSocket(query);
            } catch (e) {
              if (e instanceof URIError) return;
              throw e;
            }
          } else {
            res = await fetchWorker(`/stompx/websocket?${query}`);
          }
          expect(res.status, `${query.slice(0, 300)} → ${res.status}`).toBe(q.upgrade ? 101 : 426);
          if (res.webSocket) {
            const client = new ChatClient(res.webSocket);
            client.send("CONNECT", { "accept-version": "1.2", "heart-beat": "5000,5000" });
            const answer = await client.take("CONNECTED or ERROR", (f) => f.command === "CONNECTED" || f.command === "ERROR");
            expectNoInternalError(expect, [answer], query);
            client.close();
          } else {
            await res.text();
          }
          // The locked application admits nobody without a valid token (none is ever sent), and an
          // unknown key names no application: neither writes anything.
          expect(await snapshot(locked.app.id, { tableSizes: false }), query.slice(0, 300)).toBe(before);
          if (beforeMine) expect(await snapshot(app.id), query.slice(0, 300)).toBe(beforeMine);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
