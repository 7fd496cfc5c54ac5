/**
 * The per-isolate copy of `signing_keys` in isolation: a clock the test moves and a source that
 * counts its reads stand in for time and D1, which is how "at most one read per TTL" and "forged
 * kids cannot turn every request into a read" are shown.
 */
import type { JWK } from "jose";
import { describe, it, vi } from "vitest";
import { KeyRing, type KeySource } from "../../src/auth/key-ring";
import { retireKeysExcept } from "../../src/auth/signing-keys.queries";

/** Longer than the 5 s unknown-kid interval, so the two can be told apart. */
const TTL_MS = 30_000;
const UNKNOWN_KID_REFRESH_MS = 5_000;

type Row = Awaited<ReturnType<KeySource["load"]>>[number];

/** A P-256 public JWK, as the table stores it. */
const newPublicJwk = async (): Promise<JWK> => {
  const { publicKey } = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const { kty, crv, x, y } = (await crypto.subtle.exportKey("jwk", publicKey)) as JsonWebKey;
  return { kty, crv, x, y };
};

const row = async (kid: string, acceptedUntil: number | null = null, jwk?: JWK): Promise<Row> => ({
  kid,
  publicJwk: JSON.stringify(jwk ?? (await newPublicJwk())),
  acceptedUntil: acceptedUntil === null ? null : new Date(acceptedUntil),
});

/** A ring on a clock the test moves, and a source answering `state.rows` that counts its reads. */
const fixture = (rows: Row[] = []) => {
  let time = 1_000_000;
  const state = { rows, loads: 0, loadedAt: [] as number[] };
  const ring = new KeyRing({ now: () => time });
  const source: KeySource = {
    ttlMs: TTL_MS,
    load: async (now) => {
      state.loads++;
      state.loadedAt.push(now);
      return state.rows;
    },
  };
  return { ring, source, state, now: () => time, advance: (ms: number) => (time += ms) };
};

/** A load the test finishes by hand, to interleave it with other calls. */
const deferred = <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe("KeyRing", () => {
  it("reads the table once for any number of lookups within the TTL, and again after it", async ({ expect }) => {
    const { ring, source, state, advance } = fixture([await row("previous")]);
    for (let i = 0; i < 1_000; i++) {
      expect(await ring.find("previous", source)).toMatchObject({ kid: "previous" });
      advance(29); // 1,000 lookups spread over 29 s
    }
    expect(await ring.accepted(source)).toHaveLength(1);
    expect(state.loads).toBe(1);

    advance(TTL_MS);
    state.rows = []; // deleted from the table meanwhile
    expect(await ring.find("previous", source)).toBeUndefined();
    expect(state.loads).toBe(2);
  });

  it("passes the time of the read to the source, which selects what is accepted then", async ({ expect }) => {
    const { ring, source, state, now } = fixture([]);
    await ring.accepted(source);
    expect(state.loadedAt).toEqual([now()]);
  });

  it("shares one read among concurrent lookups of a stale ring", async ({ expect }) => {
    const { ring, state } = fixture();
    const pending = deferred<Row[]>();
    const source: KeySource = {
      ttlMs: TTL_MS,
      load: () => {
        state.loads++;
        return pending.promise;
      },
    };
    const lookups = Array.from({ length: 50 }, (_, i) => (i % 2 ? ring.find("previous", source) : ring.find(`forged-${i}`, source)));
    const listing = ring.accepted(source);
    pending.resolve([await row("previous")]);
    const found = await Promise.all(lookups);
    expect(found.filter((key) => key?.kid === "previous")).toHaveLength(25);
    expect(found.filter((key) => key === undefined)).toHaveLength(25);
    expect((await listing).map((key) => key.kid)).toEqual(["previous"]);
    expect(state.loads).toBe(1);
  });

  it("re-reads for unknown kids at most once per 5 s, however many forged kids are asked for", async ({ expect }) => {
    const { ring, source, state, advance } = fixture([await row("previous")]);
    await ring.find("previous", source);
    expect(state.loads).toBe(1);

    for (let i = 0; i < 500; i++) {
      expect(await ring.find(`forged-${i}`, source)).toBeUndefined();
      advance(9); // 500 forged kids spread over 4.5 s
    }
    advance(UNKNOWN_KID_REFRESH_MS - 500 * 9 - 1);
    expect(await ring.find("forged-last", source)).toBeUndefined();
    expect(state.loads).toBe(1);

    advance(1);
    expect(await ring.find("forged-again", source)).toBeUndefined();
    expect(state.loads).toBe(2);
    await Promise.all(Array.from({ length: 100 }, (_, i) => ring.find(`forged-burst-${i}`, source)));
    expect(state.loads).toBe(2);
  });

  it("accepts a key published after its last read within 5 s, well before the TTL", async ({ expect }) => {
    const { ring, source, state, advance } = fixture([await row("current")]);
    await ring.find("current", source);
    state.rows = [...state.rows, await row("pending")]; // `keys rotate` inserted the next key
    advance(UNKNOWN_KID_REFRESH_MS - 1);
    expect(await ring.find("pending", source)).toBeUndefined();
    advance(1);
    expect(await ring.find("pending", source)).toMatchObject({ kid: "pending", acceptedUntil: null });
    expect(state.loads).toBe(2);
  });

  it("refuses a cached key from the moment its accepted_until passes, without a read", async ({ expect }) => {
    const { ring, source, state, now, advance } = fixture([]);
    const until = now() + 2_000;
    state.rows = [await row("previous", until), await row("pending")];
    expect(await ring.find("previous", source)).toMatchObject({ kid: "previous", acceptedUntil: until });
    advance(until - now() - 1);
    expect(await ring.find("previous", source)).toBeDefined();
    advance(1);
    expect(await ring.find("previous", source)).toBeUndefined();
    expect((await ring.accepted(source)).map((key) => key.kid)).toEqual(["pending"]);
    expect(state.loads).toBe(1);
  });

  it("lists only the keys accepted now: unretired and not yet past their window", async ({ expect }) => {
    const { ring, source, state, now } = fixture([]);
    // The fake source returns a closed window too: the ring filters on its own, not only the query.
    state.rows = [await row("pending"), await row("previous", now() + 60_000), await row("expired", now()), await row("older", now() - 1)];
    expect((await ring.accepted(source)).map((key) => key.kid).sort()).toEqual(["pending", "previous"]);
    expect(await ring.find("expired", source)).toBeUndefined();
    expect(await ring.find("older", source)).toBeUndefined();
  });

  it("keeps an unchanged key's imported CryptoKey across reads, and imports a changed one", async ({ expect }) => {
    const jwk = await newPublicJwk();
    const { ring, source, state, advance } = fixture([await row("previous", null, jwk)]);
    const first = await (await ring.find("previous", source))!.publicKey;
    expect(first?.type).toBe("public");
    expect(first?.usages).toEqual(["verify"]);

    advance(TTL_MS);
    state.rows = [await row("previous", null, jwk)];
    expect(await (await ring.find("previous", source))!.publicKey).toBe(first);
    expect(state.loads).toBe(2);

    advance(TTL_MS);
    state.rows = [await row("previous")]; // same kid, another key
    const replaced = await (await ring.find("previous", source))!.publicKey;
    expect(replaced).not.toBe(first);
    expect(state.loads).toBe(3);
  });

  it("keeps only a stored key's public half: a private d is dropped, and a row that is not a key is skipped", async ({ expect }) => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const { privateKey } = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
        "sign",
        "verify",
      ])) as CryptoKeyPair;
      const full = (await crypto.subtle.exportKey("jwk", privateKey)) as JWK;
      const { ring, source } = fixture([
        { kid: "with-private-part", publicJwk: JSON.stringify({ ...full, kid: "with-private-part" }), acceptedUntil: null },
        { kid: "not-json", publicJwk: "{not json", acceptedUntil: null },
        { kid: "not-p256", publicJwk: JSON.stringify({ kty: "oct", k: "c2VjcmV0" }), acceptedUntil: null },
        { kid: "off-curve", publicJwk: JSON.stringify({ kty: "EC", crv: "P-256", x: full.x, y: full.x }), acceptedUntil: null },
        await row("previous"),
      ]);
      const withPrivate = await ring.find("with-private-part", source);
      expect(withPrivate?.publicJwk).toEqual({ kty: "EC", crv: "P-256", x: full.x, y: full.y });
      expect((await withPrivate!.publicKey)?.type).toBe("public");
      expect(await ring.find("not-json", source)).toBeUndefined();
      expect(await ring.find("not-p256", source)).toBeUndefined();
      expect(await (await ring.find("off-curve", source))!.publicKey).toBeUndefined(); // refused, not thrown
      expect((await ring.accepted(source)).map((key) => key.kid)).toEqual(["with-private-part", "off-curve", "previous"]);
      expect(errors.mock.calls.map(([line]) => JSON.parse(String(line)).kid)).toEqual(["not-json", "not-p256"]);
    } finally {
      errors.mockRestore();
    }
  });

  it("caches no failed read: the lookup rejects and the next one reads again", async ({ expect }) => {
    const { ring, source, state } = fixture([await row("previous")]);
    const failing: KeySource = { ttlMs: TTL_MS, load: () => Promise.reject(new Error("D1 is down")) };
    await expect(ring.find("previous", failing)).rejects.toThrow("D1 is down");
    expect(await ring.find("previous", source)).toMatchObject({ kid: "previous" });
    expect(state.loads).toBe(1);
  });
});

describe("retireKeysExcept", () => {
  it("refuses a time that is not finite, which D1 would store as NULL (accepted forever)", ({ expect }) => {
    const db = {} as Parameters<typeof retireKeysExcept>[0];
    expect(() => retireKeysExcept(db, "new", { now: Date.now(), acceptedUntil: Number.NaN })).toThrow(RangeError);
    expect(() => retireKeysExcept(db, "new", { now: Number.POSITIVE_INFINITY, acceptedUntil: Date.now() })).toThrow(RangeError);
  });
});
