/**
 * Durable Object calls that fail in passing (the object restarted, was overloaded, or the
 * connection to it broke) carry `retryable: true` (Cloudflare's documented contract); those are
 * tried again a few times with a short pause. Anything else fails at once.
 * @example await retryTransient(() => stub.revokeChannel(user, 7))
 */
const ATTEMPTS = 3;

export const isRetryable = (e: unknown) =>
  typeof e === "object" && e !== null && ((e as { retryable?: unknown }).retryable === true);

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
