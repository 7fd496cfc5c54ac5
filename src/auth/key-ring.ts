/**
 * Which keys verify tokens. The signing key (`JWT_PRIVATE_KEY`) always does, with no database
 * read. After `npm run keys -- rotate`, tokens signed by the previous key keep working: its public
 * half stays in D1 `signing_keys` with an `accepted_until` past the expiry of the last token it
 * signed, and is published in the JWKS until then. A key the rotation is about to install is in
 * the table before the secret changes, so isolates still on the old secret already accept tokens
 * from isolates on the new one.
 *
 * Each isolate keeps the table in memory and re-reads it at most once per
 * `TOKEN_EPOCH_TTL_SECONDS` (the same bound as token revocation, auth/epochs.ts), and at most every
 * few seconds when a token names a `kid` it does not know: forged kids cannot turn every request
 * into a D1 read, and a freshly published key is accepted everywhere within seconds. A key whose
 * window closes is refused from that moment, cached or not.
 */
import type { JWK } from "jose";
import type { Db } from "../db/client";
import { deleteExpiredKeys, insertKey, retireKeysExcept, ROTATION_MARGIN_MS, selectAcceptedKeys } from "./signing-keys.queries";
import { currentSigningKey, importPublicKey, type KeyResolver } from "./tokens";

interface PublishedKey {
  kid: string;
  publicJwk: JWK;
  /** ms since the epoch; null: not retired. */
  acceptedUntil: number | null;
  /** undefined: the stored x and y are not a P-256 point; tokens naming this kid are refused. */
  publicKey: Promise<CryptoKey | undefined>;
}

/** Where the table comes from when the cached copy is too old, and how old is too old. */
export interface KeySource {
  ttlMs: number;
  load: (now: number) => Promise<{ kid: string; publicJwk: string; acceptedUntil: Date | null }[]>;
}

/** The least time between two reads of the table caused by unknown kids. */
const UNKNOWN_KID_REFRESH_MS = 5_000;

/**
 * The P-256 public half of a stored JWK; undefined for anything else. Only these fields are kept, so
 * a private `d` stored by mistake is neither published in the JWKS nor imported (a private key
 * cannot verify), and a row that is not a key is skipped instead of failing every lookup.
 */
const publicHalf = (text: string): JWK | undefined => {
  try {
    const { kty, crv, x, y } = JSON.parse(text) as JWK;
    return kty === "EC" && crv === "P-256" && typeof x === "string" && typeof y === "string" ? { kty, crv, x, y } : undefined;
  } catch {
    return undefined;
  }
};

const isAccepted = (key: PublishedKey, now: number) => key.acceptedUntil === null || key.acceptedUntil > now;

/** An isolate's copy of `signing_keys`. @example const key = await ring.find("a1b2…", source) */
export class KeyRing {
  #keys = new Map<string, PublishedKey>();
  #loadedAt = Number.NEGATIVE_INFINITY;
  #loading: Promise<void> | undefined;
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** One read in flight at a time; concurrent callers share it. */
  #refresh(source: KeySource): Promise<void> {
    this.#loading ??= (async () => {
      const startedAt = this.#now();
      const rows = await source.load(startedAt);
      const keys = new Map<string, PublishedKey>();
      for (const row of rows) {
        const publicJwk = publicHalf(row.publicJwk);
        if (!publicJwk) {
          console.error(JSON.stringify({ level: "error", event: "signing_key_unusable", kid: row.kid }));
          continue;
        }
        // An unchanged key keeps its imported CryptoKey: importing costs more than verifying.
        const known = this.#keys.get(row.kid);
        const publicKey =
          known && JSON.stringify(known.publicJwk) === JSON.stringify(publicJwk)
            ? known.publicKey
            : importPublicKey(publicJwk).catch(() => undefined);
        keys.set(row.kid, { kid: row.kid, publicJwk, acceptedUntil: row.acceptedUntil?.getTime() ?? null, publicKey });
      }
      this.#keys = keys;
      this.#loadedAt = startedAt;
    })().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #fresh(source: KeySource): Promise<void> {
    if (this.#now() - this.#loadedAt >= source.ttlMs) await this.#refresh(source);
  }

  /** Every key accepted now (for the JWKS). */
  async accepted(source: KeySource): Promise<PublishedKey[]> {
    await this.#fresh(source);
    const now = this.#now();
    return [...this.#keys.values()].filter((key) => isAccepted(key, now));
  }

  /** The accepted key with this kid, if any. */
  async find(kid: string, source: KeySource): Promise<PublishedKey | undefined> {
    await this.#fresh(source);
    if (!this.#keys.has(kid) && this.#now() - this.#loadedAt >= UNKNOWN_KID_REFRESH_MS) await this.#refresh(source);
    const key = this.#keys.get(kid);
    return key && isAccepted(key, this.#now()) ? key : undefined;
  }
}

/** This isolate's keys, shared by every request it serves. */
const publishedKeys = new KeyRing();

const tableOf = (db: Db, ttlSeconds: number): KeySource => ({
  ttlMs: ttlSeconds * 1000,
  load: (now) => selectAcceptedKeys(db, now),
});

/**
 * The keys this deployment verifies with: the signing key first, then the accepted keys of the
 * table. `ttlSeconds` bounds how stale this isolate's copy of the table may be.
 * @example const resolve = keyResolver(env.JWT_PRIVATE_KEY, db, config.tokenEpochTtlSeconds)
 */
export const keyResolver =
  (secret: string | undefined, db: Db, ttlSeconds: number): KeyResolver =>
  async (kid) => {
    const current = await currentSigningKey(secret);
    if (kid === undefined) return undefined;
    if (kid === current.kid) return current.publicKey;
    return (await publishedKeys.find(kid, tableOf(db, ttlSeconds)))?.publicKey;
  };

/** The JWKS: the signing key, then every other key still accepted. */
export const publicKeySet = async (secret: string | undefined, db: Db, ttlSeconds: number): Promise<JWK[]> => {
  const current = await currentSigningKey(secret);
  const others = (await publishedKeys.accepted(tableOf(db, ttlSeconds))).filter((key) => key.kid !== current.kid);
  return [current.publicJwk, ...others.map(({ publicJwk, kid }) => ({ ...publicJwk, kid, alg: "ES256", use: "sig" }))];
};

/**
 * The scheduled sweep's part (src/index.ts): records the signing key's public half (a secret put
 * by hand, or a deployment older than the table, gets its row here, so the next rotation knows
 * what to keep accepting), retires keys that were replaced without `keys rotate` as a rotation
 * would, and forgets keys whose window has closed. One batch.
 * @example await sweepSigningKeys(db, env.JWT_PRIVATE_KEY, config.tokenTtlSeconds, Date.now())
 */
export const sweepSigningKeys = async (db: Db, secret: string | undefined, tokenTtlSeconds: number, now: number) => {
  const current = await currentSigningKey(secret);
  await db.batch([
    insertKey(db, current.kid, current.publicJwk),
    retireKeysExcept(db, current.kid, {
      now,
      acceptedUntil: now + tokenTtlSeconds * 1000 + ROTATION_MARGIN_MS,
      recordedBefore: now - ROTATION_MARGIN_MS,
    }),
    deleteExpiredKeys(db, now),
  ]);
};
