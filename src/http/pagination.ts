/**
 * Numbered pages (contract §7): `page` zero-based, `size` 1..100 (larger served as 100),
 * metadata `{size, totalElements, totalPages, number}` and first/prev/self/next/last links that
 * repeat `page` and `size` and keep every other query parameter.
 */
import { z } from "@hono/zod-openapi";
import { LIMITS } from "../config";
import { HalLink, link } from "./hal";

const wholeNumber = (name: string) =>
  z
    .string()
    .regex(/^\d{1,15}$/, `${name} must be a whole number`)
    .transform(Number);

/** `page` and `size`, with `size` defaulting to `defaultSize` when the request leaves it out. */
const pageQuery = (defaultSize: number) =>
  z.object({
    page: wholeNumber("page")
      .optional()
      .default(0)
      // `default` as the query string spells it (zod's is the parsed number).
      .openapi({ param: { name: "page", in: "query" }, description: "Zero-based page index", example: "0", default: "0" }),
    size: wholeNumber("size")
      .refine((n) => n >= 1, "size must be at least 1")
      .transform((n) => Math.min(n, LIMITS.maxPageSize))
      .optional()
      .default(defaultSize)
      .openapi({
        param: { name: "size", in: "query" },
        description: `Page size, 1 or more; values above ${LIMITS.maxPageSize} are served as ${LIMITS.maxPageSize}`,
        example: String(defaultSize),
        default: String(defaultSize),
      }),
  });

export const PageQuery = pageQuery(LIMITS.defaultPageSize);

/**
 * The current form's default page size (ChatKitty's document says 25; the 2020 contract 20).
 * Callers of the current SDKs normally pass `size`; the cap is the same.
 */
const CURRENT_DEFAULT_PAGE_SIZE = 25;
export const CurrentPageQuery = pageQuery(CURRENT_DEFAULT_PAGE_SIZE);
export type PageQuery = z.infer<typeof PageQuery>;

export const PageMetadata = z
  .object({
    size: z.number().int(),
    totalElements: z.number().int(),
    totalPages: z.number().int(),
    number: z.number().int(),
  })
  .openapi("PageMetadata");
export type PageMetadata = z.infer<typeof PageMetadata>;

export const PageLinks = z
  .object({ self: HalLink, first: HalLink, last: HalLink, prev: HalLink.optional(), next: HalLink.optional() })
  .openapi("PageLinks");
export type PageLinks = z.infer<typeof PageLinks>;

/** A numbered page of `item` embedded under `name`. */
export const numberedPage = <N extends string, S extends z.ZodType>(name: N, item: S) =>
  z.object({
    _embedded: z.object({ [name]: z.array(item) } as Record<N, z.ZodArray<S>>),
    _links: PageLinks,
    page: PageMetadata,
  });

/** Offset of the first row of a page. */
export const pageOffset = ({ page, size }: PageQuery) => page * size;

export const pageMetadata = ({ page, size }: PageQuery, totalElements: number): PageMetadata => ({
  size,
  totalElements,
  totalPages: Math.ceil(totalElements / size),
  number: page,
});

/**
 * Page links for `requestUrl`: every other query parameter is kept, `page` and `size` are set
 * explicitly (size as served, so a requested 5000 reads 100).
 * @example pageLinks("http://x/users?page=1&size=2", meta).next?.href // "http://x/users?page=2&size=2"
 */
export const pageLinks = (hrefBase: string, requestUrl: string, meta: PageMetadata): PageLinks => {
  const query = new URL(requestUrl).searchParams;
  const at = (page: number) => {
    const params = new URLSearchParams(query);
    params.delete("page");
    params.delete("size");
    params.set("page", String(page));
    params.set("size", String(meta.size));
    return link(`${hrefBase}?${params.toString()}`);
  };
  const lastPage = Math.max(meta.totalPages - 1, 0);
  return {
    first: at(0),
    ...(meta.number > 0 ? { prev: at(Math.min(meta.number - 1, lastPage)) } : {}),
    self: at(meta.number),
    ...(meta.number < meta.totalPages - 1 ? { next: at(meta.number + 1) } : {}),
    last: at(lastPage),
  };
};
