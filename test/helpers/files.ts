/**
 * File messages for the Platform API tests: a setup that can send raw and multipart requests,
 * random bytes that survive nothing by luck, and what a hosted file left in (local) R2.
 * MAX_FILE_BYTES is 1 MiB in the test bindings (test/vitest.config.ts).
 */
import { env } from "cloudflare:workers";
import type { ExpectStatic } from "vitest";
import type { MessageResource } from "../../src/api/messages/messages.schemas";
import { fetchWorker, readResponse, setup, tokenFor } from "./api";

export const MAX_FILE_BYTES = 1024 * 1024;

/** Random bytes with NULs, CR/LF and a fake multipart boundary inside, so nothing survives by luck. */
export const binary = (n: number) => {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(bytes.subarray(i, Math.min(n, i + 65_536)));
  const tricky = new TextEncoder().encode("\0\0\r\n--boundary\r\n\0");
  if (n >= tricky.length) bytes.set(tricky, 0);
  return bytes;
};

/** The R2 key behind a hosted file's URL (`/stompx/v1/files/<app>/<channel>/<uuid>/<name>`). */
export const keyOf = (url: string) => new URL(url).pathname.split("/").slice(4, 7).join("/");

export const objectsUnder = async (prefix: string) => (await env.FILES.list({ prefix })).objects.map((o) => o.key);

export type Part = [name: string, value: string | File];

/** A file setup: the API client plus a token for raw multipart requests. */
export const fileSetup = async () => {
  const s = await setup();
  const token = await tokenFor(s.app);
  const send = (href: string, init: RequestInit) =>
    fetchWorker(href, { method: "POST", ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) } }).then(
      readResponse,
    );
  /** POSTs the parts as multipart/form-data (the boundary and content type come from FormData). */
  const upload = (href: string, parts: Part[]) => {
    const form = new FormData();
    for (const [name, value] of parts) form.append(name, value);
    return send(href, { body: form });
  };
  return { ...s, token, send, upload };
};

/** The hosted file's url serves exactly `bytes` as `contentType`. */
export const expectStoredFile = async (expect: ExpectStatic, message: MessageResource, bytes: Uint8Array, contentType: string) => {
  const res = await fetchWorker(message.file!.url);
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toBe(contentType);
  expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
};
