/**
 * What a client says about who it is, parsed defensively: never a throw, anything unusable is
 * "absent". The 2020 dialect sends auth params as URL-encoded JSON in the upgrade's query; the
 * current one as base64 JSON (1.58) or raw JSON (1.26–1.56) in CONNECT (stompx-current.md §2.4).
 */
import { LIMITS } from "../config";

/** Longest auth params accepted, encoded: a challenge token is far shorter. */
const MAX_AUTH_PARAMS_CHARS = 4096;

/** A name a session may start with: the SDK sends the literal "undefined" when the app passed none. */
export const isUsableName = (name: string) => name !== "" && name !== "undefined" && name.trim() !== "" && name.length <= LIMITS.nameLength;

/**
 * The JSON text of CONNECT's `StompX-Auth-Params`: as is when it starts with `{`, else decoded
 * from base64 as UTF-8. Undefined for anything else.
 * @example decodeAuthParams("eyJ0b2tlbiI6ImFiYyJ9") // '{"token":"abc"}'
 */
export const decodeAuthParams = (header: string | undefined): string | undefined => {
  if (!header || header.length > MAX_AUTH_PARAMS_CHARS) return undefined;
  if (header.startsWith("{")) return header;
  try {
    const bytes = Uint8Array.from(atob(header), (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
};

/**
 * The challenge token in auth params (`{"token": "…"}`), when it is a JSON object with a plausible
 * `token` string; undefined for anything else.
 * @example challengeToken('{"token":"abc"}') // "abc"
 */
export const challengeToken = (authParams: string | undefined): string | undefined => {
  if (!authParams || authParams.length > MAX_AUTH_PARAMS_CHARS) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(authParams);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const token: unknown = (parsed as Record<string, unknown>).token;
  return typeof token === "string" && token.length > 0 && token.length <= 128 ? token : undefined;
};

/** The SDK session id a reconnect sends back (`StompX-Auth-Session-ID`), if it is one of ours (a UUID). */
export const resumedSessionId = (header: string | undefined) =>
  header !== undefined && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(header) ? header : undefined;
