/**
 * Cursor pages (contract §7), newest first. A page is the `size` rows with key below a cursor,
 * found by keyset (`id < start`) rather than OFFSET, so a deep page costs what the first does and
 * new rows arriving at the top never shift what `next` returns. The cursor parameters are
 * `start` (a key) and `relation` (`SELF`: the page starting at `start` inclusive; `NEXT`: the
 * page after it), as the seed's links show; clients treat them as opaque.
 */
import { z } from "@hono/zod-openapi";
import { HalLink, link } from "./hal";
import { PageQuery } from "./pagination";

export const CursorQuery = z.object({
  size: PageQuery.shape.size,
  start: z
    .string()
    .regex(/^\d{1,15}$/, "start must be a cursor from a link of this API")
    .transform(Number)
    .optional()
    .openapi({ param: { name: "start", in: "query" }, description: "Opaque cursor (from a link)" }),
  relation: z
    .enum(["SELF", "NEXT"], { error: "relation must be SELF or NEXT" })
    .optional()
    .openapi({ param: { name: "relation", in: "query" }, description: "Opaque cursor (from a link)" }),
});
export type CursorQuery = z.infer<typeof CursorQuery>;

/** Keyset bounds of the requested page: keys `<= atMost` (undefined: from the newest). */
export const cursorBound = ({ start, relation }: CursorQuery): number | undefined =>
  start === undefined ? undefined : relation === "NEXT" ? start - 1 : start;

export const CursorPageLinks = z.object({ self: HalLink, next: HalLink.optional() }).openapi("CursorPageLinks");
export type CursorPageLinks = z.infer<typeof CursorPageLinks>;

export const cursorPage = <N extends string, S extends z.ZodType>(name: N, item: S) =>
  z.object({
    _embedded: z.object({ [name]: z.array(item) } as Record<N, z.ZodArray<S>>),
    _links: CursorPageLinks,
    page: z.object({ size: z.number().int() }),
  });

/**
 * Callers fetch `size + 1` rows, newest first: the extra row only says whether an older page
 * exists, and is not shown.
 * @example const { rows, links } = cursorSlice(fetched, q, href, (m) => m.id)
 */
export const cursorSlice = <T>(
  fetched: T[],
  query: CursorQuery,
  hrefBase: string,
  keyOf: (row: T) => number,
): { rows: T[]; links: CursorPageLinks } => {
  const rows = fetched.slice(0, query.size);
  const at = (start: number | undefined, relation: "SELF" | "NEXT") => {
    const params = new URLSearchParams();
    if (start !== undefined) params.set("start", String(start));
    params.set("size", String(query.size));
    if (start !== undefined) params.set("relation", relation);
    return link(`${hrefBase}?${params.toString()}`);
  };
  const first = rows[0];
  const last = rows[rows.length - 1];
  const selfStart = first !== undefined ? keyOf(first) : query.start;
  const selfRelation = first !== undefined ? "SELF" : (query.relation ?? "SELF");
  return {
    rows,
    links: {
      self: at(selfStart, selfRelation),
      ...(fetched.length > query.size && last !== undefined ? { next: at(keyOf(last), "NEXT") } : {}),
    },
  };
};
