/**
 * Cursor pages (contract §7, platform-api-current.md §3.3), newest first. A page is the `size`
 * rows below a cursor, found by keyset (`id < next`) rather than OFFSET, so a deep page costs what
 * the first does and new rows arriving at the top never shift what `next` returns.
 *
 * Cursors are integer keys, which both forms accept: the current SDKs pass `start`, `next` and
 * `relation` back as typed numbers, the 2020 clients follow links. `relation=SELF` is the page at
 * `start` (keys `<= start`), `NEXT` the page after the one from `start` to `next` (keys `< next`;
 * a 2020 link without `next` means keys `< start`), `PREVIOUS` the `size` keys just above `start`.
 */
import { z } from "@hono/zod-openapi";
import { HalLink, link } from "./hal";
import { CurrentPageQuery, PageQuery } from "./pagination";

const cursorKey = (name: "start" | "next", description: string) =>
  z
    .string()
    .regex(/^\d{1,15}$/, `${name} must be a cursor from a link of this API`)
    .transform(Number)
    .optional()
    .openapi({ param: { name, in: "query" }, description, example: "42" });

const RELATIONS = ["SELF", "PREVIOUS", "NEXT"] as const;
type Relation = (typeof RELATIONS)[number];

const cursorQuery = (size: typeof PageQuery.shape.size) =>
  z.object({
    size,
    start: cursorKey("start", "Id of the newest item of the page a link was made from (from a link, or a page's items)"),
    next: cursorKey("next", "Id of the oldest item of the page a link was made from"),
    relation: z
      .enum(RELATIONS, { error: "relation must be SELF, PREVIOUS or NEXT" })
      .optional()
      .openapi({
        param: { name: "relation", in: "query" },
        description: "SELF: the page from start; NEXT: the older page after next; PREVIOUS: the newer page before start",
      }),
  });

export const CursorQuery = cursorQuery(PageQuery.shape.size);
export type CursorQuery = z.infer<typeof CursorQuery>;

/** The current form's cursor parameters: its pages default to 25 items. */
export const CurrentCursorQuery = cursorQuery(CurrentPageQuery.shape.size);

/** Keys `<= atMost` of a SELF or NEXT page (undefined: from the newest). PREVIOUS pages: see `newerThan`. */
export const cursorBound = ({ start, next, relation }: CursorQuery): number | undefined => {
  if (relation === "NEXT") {
    const below = next ?? start;
    return below === undefined ? undefined : below - 1;
  }
  return relation === "PREVIOUS" ? undefined : start;
};

/** A PREVIOUS page's exclusive lower key: it shows the `size` keys just above it. */
export const newerThan = ({ start, relation }: CursorQuery): number | undefined => (relation === "PREVIOUS" ? start : undefined);

export const CursorPageLinks = z.object({ self: HalLink, next: HalLink.optional() }).openapi("CursorPageLinks");
export type CursorPageLinks = z.infer<typeof CursorPageLinks>;

export const cursorPage = <N extends string, S extends z.ZodType>(name: N, item: S) =>
  z.object({
    _embedded: z.object({ [name]: z.array(item) } as Record<N, z.ZodArray<S>>),
    _links: CursorPageLinks,
    page: z.object({ size: z.number().int() }),
  });

/** Filters a page link repeats (`username`, `query`), as the request gave them. */
export type KeptParams = Record<string, string | undefined>;

/**
 * Callers fetch `size + 1` rows, newest first, from the page's upper key: the extra row only says
 * whether an older page exists, and is not shown; nor are rows at or below a PREVIOUS page's
 * `start`. Links carry `start` (newest key shown), `next` (oldest), `size` and `relation`.
 * @example const { rows, links } = cursorSlice(fetched, q, href, (m) => m.id)
 */
export const cursorSlice = <T>(
  fetched: T[],
  query: CursorQuery,
  hrefBase: string,
  keyOf: (row: T) => number,
  kept: KeptParams = {},
): { rows: T[]; links: CursorPageLinks } => {
  const above = newerThan(query);
  const rows = fetched.slice(0, query.size).filter((row) => above === undefined || keyOf(row) > above);
  const at = (start: number | undefined, next: number | undefined, relation: Relation | undefined) => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(kept)) if (value !== undefined) params.set(name, value);
    if (start !== undefined) params.set("start", String(start));
    if (next !== undefined) params.set("next", String(next));
    params.set("size", String(query.size));
    if (relation !== undefined) params.set("relation", relation);
    return link(`${hrefBase}?${params.toString()}`);
  };
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (first === undefined || last === undefined) return { rows, links: { self: at(query.start, query.next, query.relation) } };
  const [newest, oldest] = [keyOf(first), keyOf(last)];
  return {
    rows,
    links: {
      self: at(newest, oldest, "SELF"),
      ...(fetched.length > rows.length ? { next: at(newest, oldest, "NEXT") } : {}),
    },
  };
};
