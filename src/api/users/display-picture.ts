/**
 * The picture of a user who has none: ChatKitty's user resource requires a `displayPictureUrl`.
 * A `data:` URL of a small SVG (the display name's first letter on a colour picked from the
 * name) needs no picture service, never breaks, and works in every `<img>`.
 * @example defaultPictureUrl("jane", "Jane") // "data:image/svg+xml,%3Csvg…J…"
 */

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/** A stable hue per name, so one user keeps one colour. */
const hueOf = (name: string) => {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)!) % 360;
  return h;
};

export const defaultPictureUrl = (name: string, displayName: string) => {
  const initial = ([...displayName.trim()][0] ?? "?").toUpperCase().replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" fill="hsl(${hueOf(name)},45%,45%)"/>` +
    `<text x="32" y="42" font-family="sans-serif" font-size="28" fill="#fff" text-anchor="middle">${initial}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
};
