/**
 * Waiting helpers of the SDK e2e suites: the 1.1.1 SDK has almost no error paths, so a server
 * bug shows up as a promise that never settles; every await goes through `step()` so it fails
 * with the step's name instead of hanging.
 */
import { randomUUID } from "node:crypto";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const unique = (label: string) => `${label}-${randomUUID()}`;

/** Awaits an SDK promise, failing with the step's name if it does not settle in time. */
export const step = (what: string, promise: Promise<any>, ms = 5000): Promise<any> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: the SDK promise did not settle within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });

/** Waits until `condition()` holds, failing with `what` (and `detail()`) after a timeout. */
export const until = async (what: string, condition: () => boolean, detail: () => unknown = () => "", ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms. ${JSON.stringify(detail())?.slice(0, 1500) ?? ""}`);
    await sleep(20);
  }
};

/** The rejection of an SDK promise (failing if it resolves or hangs). */
export const rejection = async (what: string, promise: Promise<unknown>, ms = 3000) => {
  try {
    await step(what, promise, ms);
  } catch (e: any) {
    return e;
  }
  throw new Error(`${what}: resolved, expected a rejection`);
};
