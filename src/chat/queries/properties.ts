/**
 * The `properties` filter of lists (users now, channels later): a row matches when its custom
 * data holds every given key with an equal JSON value. Values compare by JSON type and value, so
 * `true` never matches `1`; objects and arrays compare by their JSON text, key order included.
 */
import { and, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { JsonObject } from "../../db/schema";

/** Keys one filter may name: each binds three parameters, far below D1's limit per statement. */
export const MAX_PROPERTY_FILTER_KEYS = 10;

/** SQL: `column` (a JSON object) contains every entry of `filter`; undefined for no filter. */
export const propertiesContain = (column: SQLiteColumn, filter: JsonObject | undefined): SQL | undefined => {
  if (!filter) return undefined;
  const entries = Object.entries(filter);
  if (entries.length === 0) return undefined;
  return and(
    ...entries.map(([key, value]) => {
      const json = JSON.stringify(value);
      return sql`exists (select 1 from json_each(${column}) as e
        where e.key = ${key} and e.type = json_type(${json}) and e.value is json_extract(${json}, '$'))`;
    }),
  );
};
