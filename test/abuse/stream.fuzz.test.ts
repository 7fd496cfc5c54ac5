/**
 * Abuse tests for the SDK's HTTP stream, property-based with fast-check: uploads to
 * `/stompx/v1/channels/{id}/messages` with random grants, multipart forms, bytes and content
 * types, and downloads from `/stompx/v1/files/...` with random paths and methods. Never an answer
 * ≥ 500, every error the contract's JSON error body, and a refused upload writes nothing (a
 * snapshot of the database and R2 before and after).
 *
 * Runs are bounded (RUNS per property) so the file stays well under a minute. A failure prints
 * fast-check's seed and the shrunk request; rerun with `{ seed, path }` in `fc.assert` options.
 * The fixture and generators are in test/helpers/fuzz-http.ts.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { snapshot } from "../helpers/db-state";
import { TIMEOUT } from "../helpers/fuzz";
import {
  anyJsonText,
  CHANNEL_TYPES,
  expectSaneAnswer,
  garbageId,
  jsonContentType,
  makeFixture,
  otherContentType,
  queryString,
  RUNS,
  segment,
  send,
  type Body,
} from "../helpers/fuzz-http";

describe("the SDK's HTTP stream under random input", () => {
  it("POST /stompx/v1/channels/{id}/messages: random grants, forms, bytes and content types", { timeout: TIMEOUT }, async ({ expect }) => {
    const f = await makeFixture();
    const grant = fc.oneof(
      { weight: 4, arbitrary: fc.constant(f.grants.write) },
      { weight: 1, arbitrary: fc.constantFrom(f.grants.read, f.grants.foreign, f.token, "", "x.y.z") },
      { weight: 1, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 60 }) },
    );
    const channel = fc.oneof(
      fc.constantFrom(...CHANNEL_TYPES.map((t) => String(f.ids.channels[t])), String(f.foreign.channel), "999999999"),
      segment(garbageId),
    );
    const boundary = "----fuzzboundary";
    const part = fc.record({
      name: fc.oneof(fc.constantFrom("file", "groupTag", "x"), fc.string({ maxLength: 8 })),
      filename: fc.option(
        fc.oneof(fc.constantFrom("a.txt", "", "../../etc/passwd", "x".repeat(300)), fc.string({ unit: "grapheme", maxLength: 20 })),
        { nil: undefined },
      ),
      type: fc.option(fc.oneof(fc.constantFrom("text/plain", "image/png", ""), fc.string({ unit: "grapheme-ascii", maxLength: 20 })), {
        nil: undefined,
      }),
      content: fc.oneof(fc.string({ maxLength: 100 }), fc.constant("")),
    });
    const body: fc.Arbitrary<Body> = fc.oneof(
      fc.array(part, { maxLength: 3 }).chain((parts) =>
        fc.record({
          contentType: fc.constantFrom(
            `multipart/form-data; boundary=${boundary}`,
            "multipart/form-data",
            "multipart/form-data; boundary=other",
          ),
          data: fc.constant(
            `${parts
              .map(
                (p) =>
                  `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename === undefined ? "" : `; filename="${p.filename}"`}\r\n${
                    p.type === undefined ? "" : `Content-Type: ${p.type}\r\n`
                  }\r\n${p.content}\r\n`,
              )
              .join("")}--${boundary}--\r\n`,
          ),
        }),
      ),
      fc.record({
        contentType: fc.oneof(otherContentType, jsonContentType),
        data: fc.oneof(fc.uint8Array({ maxLength: 500 }), anyJsonText),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.record({ grant, channel, body, query: fc.option(queryString, { nil: undefined }) }), async (req) => {
        const headers = new Headers();
        try {
          headers.set("Grant", req.grant);
          if (req.body.contentType !== undefined) headers.set("Content-Type", req.body.contentType);
        } catch {
          return;
        }
        const url = `/stompx/v1/channels/${req.channel}/messages${req.query ? `?${req.query}` : ""}`;
        const before = await snapshot(f.appId);
        const answer = await send(url, { method: "POST", headers, body: req.body.data ?? null });
        if (!answer) return;
        expectSaneAnswer(expect, answer, { ...req, body: { ...req.body, data: String(req.body.data).slice(0, 200) } });
        if (answer.status >= 400) expect(await snapshot(f.appId), `refused upload ${url} (${answer.status}) wrote something`).toBe(before);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("GET /stompx/v1/files/... with random paths, and OPTIONS preflights", { timeout: TIMEOUT }, async ({ expect }) => {
    const f = await makeFixture();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "OPTIONS", "HEAD"),
        fc.array(segment(fc.oneof(garbageId, fc.uuid(), fc.constant(String(f.appId)))), { minLength: 1, maxLength: 5 }),
        fc.option(queryString, { nil: undefined }),
        async (method, parts, query) => {
          const answer = await send(`/stompx/v1/files/${parts.join("/")}${query ? `?${query}` : ""}`, { method });
          if (answer) expect(answer.status, `${method} ${parts.join("/")} → ${answer.text.slice(0, 200)}`).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
