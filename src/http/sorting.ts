/**
 * `sort` of numbered pages, as ChatKitty's document (Spring Data) spells it: repeated
 * `property,asc|desc` parameters, the first deciding most; a direction left out is ascending, and
 * `name,id,desc` sorts both properties descending. Only listed properties may be named (400
 * otherwise), so a query never orders by a column the caller picked freely.
 * @example sortParam(["id", "name"]) // "sort=name,desc&sort=id" → [{property: "name", descending: true}, {property: "id", descending: false}]
 */
import { z } from "@hono/zod-openapi";

export interface SortOrder<P extends string> {
  property: P;
  descending: boolean;
}

/** More criteria than this cannot make a page any more deterministic than `id` already does. */
const MAX_CRITERIA = 5;

export const sortParam = <const P extends string>(properties: readonly P[]) => {
  const rule = `sort must be property[,asc|desc] with property one of ${properties.join(", ")}`;
  return z
    .union([z.string(), z.array(z.string())])
    .transform((value, ctx): SortOrder<P>[] => {
      const criteria = typeof value === "string" ? [value] : value;
      if (criteria.length > MAX_CRITERIA) {
        ctx.addIssue({ code: "custom", message: `sort may be given at most ${MAX_CRITERIA} times` });
        return z.NEVER;
      }
      const orders: SortOrder<P>[] = [];
      for (const criterion of criteria) {
        const parts = criterion.split(",").map((p) => p.trim());
        const direction = /^(asc|desc)$/i.test(parts.at(-1) ?? "") ? parts.pop()!.toLowerCase() : "asc";
        if (parts.length === 0 || !parts.every((p): p is P => (properties as readonly string[]).includes(p))) {
          ctx.addIssue({ code: "custom", message: rule });
          return z.NEVER;
        }
        for (const property of parts) orders.push({ property, descending: direction === "desc" });
      }
      return orders;
    })
    .optional()
    .openapi({
      param: { name: "sort", in: "query", style: "form", explode: true },
      description: `Order of the page: property[,asc|desc], repeatable; property one of ${properties.join(", ")}. Default: id ascending`,
      example: "id,desc",
    });
};
