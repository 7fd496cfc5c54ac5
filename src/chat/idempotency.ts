/**
 * `Idempotency-Key` on `POST {channel messages}`: a client that did not hear the answer (a
 * timeout, a dropped connection) retries with the same key and gets the first request's message
 * back instead of sending it twice. A key names one request: its fingerprint (a SHA-256 over the
 * method, the channel's path and what the body asks for, file bytes included) is stored with it,
 * and the same key with another request is refused. Keys are kept a day, per application: in D1
 * for persisted channels (written in the message's own transaction, see queries/messages.ts), in
 * the channel's room for OPEN channels (whose messages never reach D1).
 * @example const claim = { key: "order-42", fingerprint: await requestFingerprint(1, 7, content) }
 */
import { ChatError } from "./errors";

/** How long a key is remembered: far longer than any client keeps retrying one request. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/** A request's key and what it asked for, as stored with the message it sent. */
export interface IdempotencyClaim {
  key: string;
  fingerprint: string;
}

/** The same key sent with another request: which of the two was meant is the client's to say. */
export const keyReused = (key: string) =>
  new ChatError("DuplicateResourceError", `Idempotency-Key "${key}" was already used for a different request`, {
    "Idempotency-Key": "was used for a different request (another channel, body or file) in the last 24 hours",
  });

const toHex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/**
 * Hex SHA-256 of what a POST to the channel's messages asks for. `content` must be built the same
 * way for equal requests (a fixed key order), so that `{body}` and `{type: "TEXT", body}` agree.
 */
export const requestFingerprint = async (applicationId: number, channelId: number, content: unknown) => {
  const request = ["POST", `/v1/applications/${applicationId}/channels/${channelId}/messages`, content];
  return toHex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(request))));
};

/** Hex SHA-256 of a file's bytes, streamed: an upload may be as large as MAX_FILE_BYTES. */
export const fileDigest = async (file: Blob) => {
  const digest = new crypto.DigestStream("SHA-256");
  await file.stream().pipeTo(digest);
  return toHex(await digest.digest);
};
