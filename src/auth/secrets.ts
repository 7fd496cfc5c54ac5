/**
 * Client secrets: 256 random bits, stored only as a SHA-256 digest. A fast hash is the right tool
 * here because the secrets are random, not chosen by people; a slow KDF would add nothing but
 * latency to every token request. Comparison is constant-time over the digests.
 */
const encoder = new TextEncoder();

const toHex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

const toBase64Url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

/** @example generateClientSecret() // "q0v…" (43 characters, 256 bits) */
export const generateClientSecret = (): string => toBase64Url(crypto.getRandomValues(new Uint8Array(32)));

/** Lowercase hex SHA-256, the form stored in `client_credentials.secret_hash`. */
export const hashSecret = async (secret: string): Promise<string> => toHex(await crypto.subtle.digest("SHA-256", encoder.encode(secret)));

/** Constant-time check of a presented secret against a stored hash. */
export const verifySecret = async (secret: string, storedHash: string): Promise<boolean> => {
  const presented = encoder.encode(await hashSecret(secret));
  const stored = encoder.encode(storedHash);
  // Both are 64 hex characters for any well-formed row; the length check leaks nothing secret.
  return presented.byteLength === stored.byteLength && crypto.subtle.timingSafeEqual(presented, stored);
};
