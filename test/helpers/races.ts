/**
 * What the race suites (test/abuse/concurrency.test.ts, test/abuse/idempotent-races.test.ts)
 * share: labelled, jittered requests and chat SENDs, the no-5xx check, row counts.
 */
import { env } from "cloudflare:workers";
import type { ExpectStatic } from "vitest";
import { ORIGIN, type ApiResponse, type setup } from "./api";
import { type ChatClient, ERRORS_QUEUE, receipt, sleep } from "./chat";

/** Each race test runs its rounds well within this. */
export const TIMEOUT = 60_000;

export type World = Awaited<ReturnType<typeof setup>>;

export const userHref = (w: World, id: number) => `${ORIGIN}/v1/applications/${w.app.id}/users/${id}`;

/** Every answer below 500 (with what was asked, to explain a failure). */
export const expectNo5xx = (expect: ExpectStatic, answers: { what: string; res: ApiResponse }[]) => {
  const failures = answers
    .filter(({ res }) => res.status >= 500)
    .map(({ what, res }) => `${what} → ${res.status} ${JSON.stringify(res.body)}`);
  expect.soft(failures, "answers ≥ 500").toEqual([]);
};

/**
 * Labels each request so a failure names it, and starts it after a little jitter (0–8 ms), so
 * the rounds see different interleavings of the requests' reads and writes.
 */
export const labelled = (what: string, p: () => Promise<ApiResponse>) =>
  sleep(Math.random() * 8)
    .then(p)
    .then((res) => ({ what, res }));

/** SENDs of a chat session, spread over the first few milliseconds (like `labelled`); their receipts. */
export const sendAll = async (client: ChatClient, sends: { destination: string; body: unknown }[], jitter = true) =>
  Promise.all(
    sends.map(async ({ destination, body }) => {
      if (jitter) await sleep(Math.random() * 8);
      const r = receipt();
      client.send("SEND", { destination, receipt: r }, JSON.stringify(body));
      return { r, destination };
    }),
  );

/** The errors-queue answers of a session that report an unexpected failure. */
export const internalErrors = (client: ChatClient) =>
  client.frames.filter((f) => f.headers.destination === ERRORS_QUEUE && /InternalServerError/.test(f.body)).map((f) => f.body);

export const countRows = async (sql: string, ...binds: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...binds)
    .first<number>("n")) ?? -1;
