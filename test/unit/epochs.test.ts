/**
 * The per-isolate epoch cache in isolation: a fake clock and a loader that counts its calls stand
 * in for time and D1, which is how "no D1 query per request" is shown: within the TTL, any number
 * of checks cost one load.
 */
import { describe, it } from "vitest";
import { EpochCache, type EpochSource } from "../../src/auth/epochs";

const TTL_MS = 30_000;

/** A clock the test moves, and a loader that answers `value` and counts calls. */
const fixture = (value: number | undefined = 0) => {
  let time = 1_000_000;
  const state = { value, loads: 0 };
  const cache = new EpochCache({ now: () => time });
  const source: EpochSource = {
    ttlMs: TTL_MS,
    load: async () => {
      state.loads++;
      return state.value;
    },
  };
  return { cache, source, state, advance: (ms: number) => (time += ms) };
};

/** A load the test finishes by hand, to interleave it with other calls. */
const deferred = () => {
  let resolve!: (epoch: number | undefined) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<number | undefined>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe("EpochCache", () => {
  it("loads an application's epoch once for any number of checks within the TTL", async ({ expect }) => {
    const { cache, source, state, advance } = fixture(3);
    for (let i = 0; i < 1_000; i++) {
      expect(await cache.current(7, source)).toBe(3);
      advance(TTL_MS / 2_000); // 1,000 checks spread over half the TTL
    }
    expect(state.loads).toBe(1);
  });

  it("reloads once the TTL has passed, and sees a raised epoch then", async ({ expect }) => {
    const { cache, source, state, advance } = fixture(0);
    expect(await cache.current(7, source)).toBe(0);
    state.value = 1; // raised elsewhere (the CLI, another isolate)
    advance(TTL_MS - 1);
    expect(await cache.current(7, source)).toBe(0); // within the TTL: still the cached epoch
    expect(state.loads).toBe(1);
    advance(1);
    expect(await cache.current(7, source)).toBe(1);
    expect(state.loads).toBe(2);
  });

  it("shares one load among concurrent checks of a stale application", async ({ expect }) => {
    const { cache } = fixture();
    const pending = deferred();
    let loads = 0;
    const source: EpochSource = {
      ttlMs: TTL_MS,
      load: () => {
        loads++;
        return pending.promise;
      },
    };
    const checks = Array.from({ length: 50 }, () => cache.current(7, source));
    pending.resolve(4);
    expect(await Promise.all(checks)).toEqual(Array(50).fill(4));
    expect(loads).toBe(1);
  });

  it("keeps applications apart", async ({ expect }) => {
    const { cache, source, state } = fixture(0);
    expect(await cache.current(1, source)).toBe(0);
    cache.remember(2, 5);
    expect(await cache.current(1, source)).toBe(0);
    expect(await cache.current(2, source)).toBe(5);
    expect(state.loads).toBe(1);
  });

  it("applies a remembered epoch at once, without a load", async ({ expect }) => {
    const { cache, source, state } = fixture(0);
    expect(await cache.current(7, source)).toBe(0);
    expect(cache.remember(7, 1)).toBe(1);
    expect(await cache.current(7, source)).toBe(1);
    expect(state.loads).toBe(1);
  });

  it("never lowers an epoch: a slow load that read the old value does not undo a newer one", async ({ expect }) => {
    const { cache, advance } = fixture();
    const slow = deferred();
    const source: EpochSource = { ttlMs: TTL_MS, load: () => slow.promise };
    const check = cache.current(7, source);
    advance(10);
    cache.remember(7, 2); // the revoking request ran here meanwhile
    slow.resolve(1);
    expect(await check).toBe(2);
    expect(await cache.current(7, source)).toBe(2);
    expect(cache.remember(7, 1)).toBe(2);
  });

  it("reads D1 again after forget, and drops a load that was in flight", async ({ expect }) => {
    const { cache, source, state } = fixture(0);
    expect(await cache.current(7, source)).toBe(0);
    state.value = 3;
    cache.forget(7);
    expect(await cache.current(7, source)).toBe(3);
    expect(state.loads).toBe(2);

    const stale = deferred();
    const inFlight = cache.current(8, { ttlMs: TTL_MS, load: () => stale.promise });
    cache.forget(8);
    stale.resolve(0);
    expect(await inFlight).toBe(0); // its callers get what it read…
    state.value = 6;
    expect(await cache.current(8, source)).toBe(6); // …but the cache does not keep it
  });

  it("caches no failure: a failed load rejects and the next check tries again", async ({ expect }) => {
    const { cache, source } = fixture(2);
    const failing = deferred();
    const check = cache.current(7, { ttlMs: TTL_MS, load: () => failing.promise });
    failing.reject(new Error("D1 is down"));
    await expect(check).rejects.toThrow("D1 is down");
    expect(await cache.current(7, source)).toBe(2);
  });

  it("counts an application that does not exist as epoch 0", async ({ expect }) => {
    const { cache, source } = fixture(undefined);
    expect(await cache.current(404, source)).toBe(0);
  });

  it("holds at most maxEntries applications, dropping the longest unchecked", async ({ expect }) => {
    let loads = 0;
    const cache = new EpochCache({ maxEntries: 3 });
    const source: EpochSource = {
      ttlMs: TTL_MS,
      load: async () => {
        loads++;
        return 1;
      },
    };
    for (const id of [1, 2, 3, 4]) await cache.current(id, source);
    expect(loads).toBe(4);
    for (const id of [2, 3, 4]) await cache.current(id, source);
    expect(loads).toBe(4); // still cached
    await cache.current(1, source);
    expect(loads).toBe(5); // dropped to make room for 4
  });
});
