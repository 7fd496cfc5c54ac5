/**
 * The jobs queue's retry budget is stated twice: wrangler.toml's `max_retries` (what the queue
 * does) and `MAX_ATTEMPTS` in src/jobs/attempts.ts (when the consumer gives a job up as FAILED).
 * If they drift, a job either fails while the queue would still retry it or is never marked failed.
 */
import { describe, it } from "vitest";
import { MAX_ATTEMPTS } from "../../src/jobs/attempts.ts";
import { wranglerConfig } from "./harness.ts";

describe.each([undefined, "staging", "production"])("wrangler.toml (env %s)", (env) => {
  it("retries JOBS messages exactly as many times as the consumer expects", ({ expect }) => {
    const config = wranglerConfig(env);
    const jobs = config.queues.consumers?.filter((c) => c.queue.endsWith("-jobs")) ?? [];
    expect(jobs).toHaveLength(1);
    expect((jobs[0]?.max_retries ?? 0) + 1).toBe(MAX_ATTEMPTS);
  });
});
