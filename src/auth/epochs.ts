/**
 * Token epochs: how access tokens are cut off before they expire. Every token carries its
 * application's `applications.token_epoch` from when it was issued (the `epoch` claim; tokens from
 * before epochs existed have none and count as 0). Raising the epoch (`npm run app -- tokens
 * revoke-all`) makes every token issued before it stale, and the bearer middleware refuses a token
 * whose epoch is below its application's current one.
 *
 * Reading the current epoch from D1 on every request would undo what signed tokens buy us, so each
 * isolate keeps the epochs it has seen and re-reads an application's epoch at most once per
 * `TOKEN_EPOCH_TTL_SECONDS`. That bounds how long a revocation takes to reach every isolate; in
 * the isolate that raised the epoch it applies at once (`revokeIssuedTokens`). Token requests read
 * the epoch anyway (with the credential) and refresh the entry for free.
 */
import type { Db } from "../db/client";
import { findTokenEpoch, raiseTokenEpoch } from "./credentials.queries";
import type { VerifiedToken } from "./tokens";

/** Where the current epoch comes from when the cached one is too old, and how old is too old. */
export interface EpochSource {
  ttlMs: number;
  /** The application's epoch in D1; undefined when the application does not exist. */
  load: () => Promise<number | undefined>;
}

interface Entry {
  epoch: number;
  /** When D1 last told us this epoch (ms, from the cache's clock). */
  checkedAt: number;
}

/**
 * Application id → latest known token epoch, refreshed at most once per TTL per application. Epochs
 * only ever grow, so two observations combine by taking the larger: a slow load finishing after a
 * fresher value was remembered can never lower it.
 * @example const epoch = await cache.current(appId, { ttlMs: 30_000, load: () => findTokenEpoch(db, appId) })
 */
export class EpochCache {
  readonly #entries = new Map<number, Entry>();
  /** One load in flight per application: concurrent requests after the TTL share it. */
  readonly #loading = new Map<number, Promise<number>>();
  readonly #now: () => number;
  readonly #maxEntries: number;

  constructor(options: { now?: () => number; maxEntries?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  /** The application's current epoch: from memory when checked less than `ttlMs` ago, else loaded. */
  async current(applicationId: number, source: EpochSource): Promise<number> {
    const entry = this.#entries.get(applicationId);
    if (entry && this.#now() - entry.checkedAt < source.ttlMs) return entry.epoch;
    const inFlight = this.#loading.get(applicationId);
    if (inFlight) return inFlight;
    // Stamped with the time the load started: the value is at least that fresh.
    const startedAt = this.#now();
    const load: Promise<number> = source
      .load()
      // An application that no longer exists has nothing a token could reach (every query is
      // scoped to it, and ids are never reused), so it has no epoch to enforce: 0.
      .then((epoch) => (this.#loading.get(applicationId) === load ? this.remember(applicationId, epoch ?? 0, startedAt) : (epoch ?? 0)))
      .finally(() => {
        if (this.#loading.get(applicationId) === load) this.#loading.delete(applicationId);
      });
    this.#loading.set(applicationId, load);
    return load;
  }

  /**
   * Records an epoch just read from (or written to) D1, and returns the epoch now known.
   * @example cache.remember(appId, credential.tokenEpoch)
   */
  remember(applicationId: number, epoch: number, at: number = this.#now()): number {
    const known = this.#entries.get(applicationId);
    const entry = { epoch: Math.max(epoch, known?.epoch ?? 0), checkedAt: Math.max(at, known?.checkedAt ?? at) };
    // Re-inserting keeps the Map in refresh order, so the bound drops the longest-unchecked entry.
    this.#entries.delete(applicationId);
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(applicationId, entry);
    return entry.epoch;
  }

  /** Drops what this isolate knows about the application: the next check reads D1. */
  forget(applicationId: number): void {
    this.#entries.delete(applicationId);
    // A load already in flight may have read the old epoch; it finishes for its callers but is not kept.
    this.#loading.delete(applicationId);
  }
}

/** This isolate's epochs, shared by every request it serves. */
export const applicationEpochs = new EpochCache();

/**
 * Whether the token was issued before its application's current epoch (i.e. revoked). Costs a D1
 * read only when this isolate has not checked the application for `ttlSeconds`.
 * @example if (await isRevoked(c.var.db, claims, c.var.config.tokenEpochTtlSeconds)) throw …
 */
export const isRevoked = async (db: Db, token: VerifiedToken, ttlSeconds: number): Promise<boolean> => {
  const current = await applicationEpochs.current(token.applicationId, {
    ttlMs: ttlSeconds * 1000,
    load: () => findTokenEpoch(db, token.applicationId),
  });
  return (token.epoch ?? 0) < current;
};

/**
 * Cuts off every access token the application holds: raises its epoch in D1 and applies it in this
 * isolate at once (other isolates follow within `TOKEN_EPOCH_TTL_SECONDS`). Returns the new epoch,
 * or undefined when there is no such application.
 * @example await revokeIssuedTokens(db, appId) // 1
 */
export const revokeIssuedTokens = async (db: Db, applicationId: number): Promise<number | undefined> => {
  const epoch = await raiseTokenEpoch(db, applicationId);
  return epoch === undefined ? undefined : applicationEpochs.remember(applicationId, epoch);
};
