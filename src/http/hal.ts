/**
 * HAL (application/hal+json): zod schemas describing links and pages, and the response helper.
 * Presenters build bodies typed by these schemas; routes declare them, so `/openapi.json` and
 * the tests see one definition.
 */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";

const HAL_JSON = "application/hal+json";

export const HalLink = z.object({ href: z.string(), templated: z.boolean().optional() }).openapi("HalLink");
export type HalLink = z.infer<typeof HalLink>;

/** `_links` with the named relations required and any others optional. */
export const halLinks = <const R extends string, const O extends string = never>(required: R[], optional: O[] = []) =>
  z.object({
    ...(Object.fromEntries(required.map((r) => [r, HalLink])) as Record<R, typeof HalLink>),
    ...(Object.fromEntries(optional.map((r) => [r, HalLink.optional()])) as Record<O, z.ZodOptional<typeof HalLink>>),
  });

/** @example link("http://x/v1") // { href: "http://x/v1" } */
export const link = (href: string): HalLink => ({ href });

/** A link whose href is an RFC 6570 URI template. */
export const templatedLink = (href: string): HalLink => ({ href, templated: true });

/** Response content entry for a route declaration: the HAL media type with its schema. */
export const halContent = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { [HAL_JSON]: { schema } } as { "application/hal+json": { schema: S } },
});

/** Sends a HAL body (200) with the HAL media type. */
export const hal = <T extends object>(c: Context, body: T) => c.json(body, 200, { "Content-Type": HAL_JSON });

/** Sends a newly created HAL resource: 201 with `Location`, when it has an address. */
export const halCreated = <T extends object>(c: Context, body: T, location?: string) =>
  c.json(body, 201, { "Content-Type": HAL_JSON, ...(location ? { Location: location } : {}) });
