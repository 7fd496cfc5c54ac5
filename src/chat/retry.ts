/**
 * Durable Object calls that fail in passing (the object restarted, or the connection to it
 * broke) carry `retryable: true` (Cloudflare's documented contract); those are tried again a few
 * times with a short pause. An overloaded object (`overloaded: true`) is not: more calls would
 * only add to its queue. Anything else fails at once.
 * @example await retryTransient(() => stub.revokeChannel(user, 7))
 */
const ATTEMPTS = 3;

const isRetryable = (e: unknown) => {
  const flags = (typeof e === "object" && e !== null ? e : {}) as { retryable?: unknown; overloaded?: unknown };
  return flags.retryable === true && flags.overloaded !== true;
};

export const retryTransient = async <T>(call: () => Promise<T>, attempts = ATTEMPTS): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (!isRetryable(e) || attempt >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
};
