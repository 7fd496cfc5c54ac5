/**
 * Abuse tests for the public HTTP endpoints outside `/v1`, property-based with fast-check: the
 * OAuth token endpoint gets random forms, credentials, content types and bytes, and must never
 * answer ≥ 500, answer every refusal as an RFC 6749 `{error, error_description}` JSON body and
 * write nothing when it refuses (a snapshot of the database and R2 before and after); the JWKS
 * document and the health check get random query strings and Accept headers.
 *
 * Runs are bounded (RUNS per property) so the file stays well under a minute. A failure prints
 * fast-check's seed and the shrunk request; rerun with `{ seed, path }` in `fc.assert` options.
 * The fixture and generators are in test/helpers/fuzz-http.ts.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { basicAuth } from "../helpers/api";
import { snapshot } from "../helpers/db-state";
import { TIMEOUT } from "../helpers/fuzz";
import {
  accept,
  anyJsonText,
  brief,
  jsonContentType,
  makeFixture,
  otherContentType,
  queryString,
  RUNS,
  send,
  type Body,
} from "../helpers/fuzz-http";

describe("the token endpoint under random input: never a 5xx, an RFC 6749 error, nothing written", () => {
  it("POST /oauth/token with random forms, credentials, content types and bytes", { timeout: TIMEOUT }, async ({ expect }) => {
    const f = await makeFixture();
    const { clientId, clientSecret } = f.mine.app;
    const fieldValue = fc.oneof(
      fc.constantFrom(clientId, clientSecret, "client_credentials", "password", "", "acme"),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: "grapheme", maxLength: 10 }),
    );
    const fieldName = fc.oneof(
      fc.constantFrom("grant_type", "client_id", "client_secret", "username", "password", "scope", "grant_type[]"),
      fc.string({ maxLength: 8 }),
    );
    const fields = fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 6 });
    const body: fc.Arbitrary<Body> = fc.oneof(
      fields.map((pairs) => ({ contentType: "application/x-www-form-urlencoded", data: new URLSearchParams(pairs).toString() })),
      fields.map((pairs) => ({ contentType: "application/x-www-form-urlencoded", data: pairs.map(([k, v]) => `${k}=${v}`).join("&") })),
      fields.map((pairs) => {
        const boundary = "----fuzz";
        const parts = pairs.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join("");
        return { contentType: `multipart/form-data; boundary=${boundary}`, data: `${parts}--${boundary}--\r\n` };
      }),
      fc.record({
        contentType: fc.oneof(otherContentType, jsonContentType),
        data: fc.oneof(fc.uint8Array({ maxLength: 400 }), anyJsonText),
      }),
    );
    const authorization = fc.oneof(
      fc.constant(undefined),
      fc.constant(basicAuth(clientId, clientSecret)),
      fc.tuple(fieldValue, fieldValue).map(([id, secret]) => {
        try {
          return basicAuth(id, secret);
        } catch {
          return "Basic !!";
        }
      }),
      fc.string({ unit: "grapheme-ascii", maxLength: 40 }).map((s) => `Basic ${s}`),
      fc.constantFrom("Basic", "Basic ", "Basic Og==", "Basic OjpAOg==", "Bearer x", `basic ${btoa(`${clientId}:${clientSecret}`)}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.record({ body, authorization, accept, query: fc.option(queryString, { nil: undefined }) }), async (req) => {
        const headers = new Headers();
        try {
          if (req.authorization !== undefined) headers.set("Authorization", req.authorization);
          if (req.body.contentType !== undefined) headers.set("Content-Type", req.body.contentType);
          if (req.accept !== undefined) headers.set("Accept", req.accept);
        } catch {
          return;
        }
        const before = await snapshot(f.appId);
        const answer = await send(`/oauth/token${req.query ? `?${req.query}` : ""}`, {
          method: "POST",
          headers,
          body: req.body.data ?? null,
        });
        if (!answer) return;
        expect(answer.status, `${brief(req)} → ${answer.status} ${answer.text.slice(0, 200)}`).toBeLessThan(500);
        if (answer.status >= 400) {
          expect(answer.contentType).toMatch(/^application\/json\b/);
          expect(typeof (answer.json as { error?: unknown })?.error, answer.text.slice(0, 200)).toBe("string");
          expect(await snapshot(f.appId)).toBe(before);
        } else {
          expect(answer.status).toBe(200);
          expect(answer.json).toMatchObject({ token_type: "bearer", access_token: expect.any(String) });
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("GET /.well-known/jwks.json and /healthz with random query strings", { timeout: TIMEOUT }, async ({ expect }) => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("/.well-known/jwks.json", "/healthz"), queryString, accept, async (path, query, acceptHeader) => {
        const headers = new Headers();
        try {
          if (acceptHeader !== undefined) headers.set("Accept", acceptHeader);
        } catch {
          return;
        }
        const answer = await send(`${path}?${query}`, { headers });
        if (answer) expect(answer.status, `${path}?${query} → ${answer.text.slice(0, 200)}`).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
  });
});
