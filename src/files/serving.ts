/**
 * How hosted files are answered. They are served from the API's own origin, where the API
 * Explorer keeps a token in sessionStorage, and anyone in a channel can upload one: a file must
 * never run there as a page (HTML, SVG, XML) or be guessed into something active. So every answer
 * of the download route is sandboxed with nothing allowed to load, never sniffed, and only media
 * types browsers show as inert content are displayed inline; everything else is a download.
 *
 * The stored Content-Type is kept as uploaded, downloads included: apps read it to choose a
 * viewer, and nosniff, `attachment` and the sandbox CSP already keep a file from running as a
 * page. (`application/octet-stream` would also stop a page of this origin from including an
 * uploaded script or stylesheet by URL; the only page here, the API Explorer, builds no such tag
 * from data, and its CSP would need an injection first.)
 */

/** Media types (essence, lowercase) a browser renders as inert content. Not SVG: it runs scripts. */
const INLINE_TYPES = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "image/avif",
  "video/mp4",
  "video/webm",
  "audio/mpeg",
  "audio/ogg",
  "audio/wav",
  "audio/webm",
  "application/pdf",
]);

const essence = (contentType: string) => contentType.split(";")[0]!.trim().toLowerCase();

/** RFC 8187 `ext-value` text: encodeURIComponent leaves `'()*` as they are, which the grammar does not allow. */
const rfc8187 = (name: string) => encodeURIComponent(name).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The policy headers of the download route: with a file, for its 200 (type and disposition
 * included); without, for every other answer (errors), which carry the same guard.
 * @example fileServingHeaders({ contentType: "text/html", name: "a.html" })["Content-Disposition"] // "attachment; filename*=UTF-8''a.html"
 */
export const fileServingHeaders = (file?: { contentType: string; name: string }): Record<string, string> => ({
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy": "default-src 'none'; sandbox",
  // Apps on other origins show these files (images in a chat); the URL is the capability.
  "Cross-Origin-Resource-Policy": "cross-origin",
  ...(file && {
    "Content-Type": file.contentType,
    "Content-Disposition": `${INLINE_TYPES.has(essence(file.contentType)) ? "inline" : "attachment"}; filename*=UTF-8''${rfc8187(file.name)}`,
  }),
});
