/**
 * Hosted files in R2. An object's key is `<appId>/<channelId>/<uuid>`: the random UUID (122
 * bits) makes its download URL unguessable, and the prefixes let a channel's files be deleted
 * with the channel. Whoever holds a file's URL may download it, like any chat attachment link;
 * the SDK's `?grant=` suffix is accepted and ignored (it is missing on later history pages).
 */
import { chunked } from "../db/chunks";
import type { StoredFile } from "../db/schema";

const fileKey = (applicationId: number, channelId: number) => `${applicationId}/${channelId}/${crypto.randomUUID()}`;

/** The public download URL of an object. */
const fileUrl = (baseUrl: string, key: string, name: string) => `${baseUrl}/stompx/v1/files/${key}/${encodeURIComponent(name)}`;

/** Stores the bytes and returns the message's `file` field (with its key, kept server-side). */
export const putFile = async (
  bucket: R2Bucket,
  baseUrl: string,
  applicationId: number,
  channelId: number,
  file: File,
): Promise<StoredFile> => {
  const key = fileKey(applicationId, channelId);
  const contentType = file.type || "application/octet-stream";
  const name = file.name || "file";
  await bucket.put(key, file.stream(), { httpMetadata: { contentType }, customMetadata: { name } });
  return { type: "HOSTED", url: fileUrl(baseUrl, key, name), name, contentType, size: file.size, key };
};

/** The most keys one R2 `delete` call accepts (and the most objects one `list` page returns). */
export const R2_MAX_KEYS_PER_CALL = 1000;

/** Deletes every object under the prefixes (e.g. a deleted channel's `<appId>/<channelId>/`). */
export const deleteFilesUnder = async (bucket: R2Bucket, prefix: string) => {
  for (let cursor: string | undefined, more = true; more; ) {
    const page = await bucket.list({ prefix, cursor, limit: R2_MAX_KEYS_PER_CALL });
    if (page.objects.length > 0) await bucket.delete(page.objects.map((o) => o.key));
    more = page.truncated;
    cursor = page.truncated ? page.cursor : undefined;
  }
};

/** Deletes the objects of hosted files (external ones have no key), any number of them. */
export const deleteFiles = async (bucket: R2Bucket, files: (StoredFile | null | undefined)[]) => {
  const keys = files.flatMap((f) => (f?.key ? [f.key] : []));
  for (const chunk of chunked(keys, R2_MAX_KEYS_PER_CALL)) await bucket.delete(chunk);
};

/**
 * Browsers and curl (7.81+) escape `"`, CR and LF in a multipart filename as `%22`, `%0D` and
 * `%0A`; the Fetch standard's form-data parser turns them back, but workerd's leaves them
 * escaped. Undo it, so `say "hi".txt` is stored under that name. (A name that really contains
 * `%22` is indistinguishable on the wire; the standard accepts that.)
 */
const FORM_ESCAPES: Record<string, string> = { "%0A": "\n", "%0D": "\r", "%22": '"' };
export const withFormFilename = (file: File): File => {
  const name = file.name.replace(/%0A|%0D|%22/g, (m) => FORM_ESCAPES[m]!);
  return name === file.name ? file : new File([file], name, { type: file.type });
};
