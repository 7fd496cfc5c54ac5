import { describe, it } from "vitest";
import { CursorQuery, cursorBound, cursorSlice } from "../../src/http/cursor";

const BASE = "http://example.test/v1/applications/7/channels/3/messages";

interface Row {
  id: number;
}

const query = (q: Record<string, string> = {}) => CursorQuery.parse(q);

/** Parses a link back into the query the server would read from it, as a client following it does. */
const follow = (href: string) => {
  const url = new URL(href);
  return { url, query: CursorQuery.parse(Object.fromEntries(url.searchParams)) };
};

/** Rows with ids `from` down to `to`, newest first, as a keyset query returns them. */
const rowsDown = (from: number, to: number): Row[] => Array.from({ length: from - to + 1 }, (_, i) => ({ id: from - i }));

/** What the messages route does: `size + 1` rows at or below the bound, newest first. */
const fetchPage = (all: Row[], q: CursorQuery) => {
  const atMost = cursorBound(q);
  return all
    .filter((r) => atMost === undefined || r.id <= atMost)
    .sort((a, b) => b.id - a.id)
    .slice(0, q.size + 1);
};

describe("cursorBound", () => {
  it.for([
    [{}, undefined],
    [{ start: "10" }, 10],
    [{ start: "10", relation: "SELF" }, 10],
    [{ start: "10", relation: "NEXT" }, 9],
    [{ relation: "NEXT" }, undefined],
  ] as const)("bounds %j at %s", async ([input, expected], { expect }) => {
    expect(cursorBound(query(input as Record<string, string>))).toBe(expected);
  });
});

describe("cursorSlice", () => {
  it("shows size rows and links next to the page after them when there is an extra row", async ({ expect }) => {
    const q = query({ size: "3" });
    const { rows, links } = cursorSlice(rowsDown(10, 7), q, BASE, (r) => r.id);
    expect(rows.map((r) => r.id)).toEqual([10, 9, 8]);
    expect(links.next).toBeDefined();
    const next = follow(links.next!.href);
    expect(next.url.origin + next.url.pathname).toBe(BASE);
    expect(next.query.size).toBe(3);
    // The next page starts right below the last row shown.
    expect(cursorBound(next.query)).toBe(7);
  });

  it("has no next link when there is no extra row", async ({ expect }) => {
    const q = query({ size: "3" });
    const { rows, links } = cursorSlice(rowsDown(10, 8), q, BASE, (r) => r.id);
    expect(rows.map((r) => r.id)).toEqual([10, 9, 8]);
    expect(links.next).toBeUndefined();
  });

  it("has no next link when the page is not full", async ({ expect }) => {
    const { rows, links } = cursorSlice(rowsDown(2, 1), query({ size: "3" }), BASE, (r) => r.id);
    expect(rows).toHaveLength(2);
    expect(links.next).toBeUndefined();
  });

  it("links self to the page it shows, with the size in force", async ({ expect }) => {
    const q = query({ size: "5000" });
    const { links } = cursorSlice(rowsDown(10, 1), q, BASE, (r) => r.id);
    const self = follow(links.self.href);
    expect(self.url.origin + self.url.pathname).toBe(BASE);
    expect(self.url.searchParams.get("size")).toBe("100");
    expect(cursorBound(self.query)).toBe(10);
    // Following self again gives the same rows.
    const again = cursorSlice(fetchPage(rowsDown(10, 1), self.query), self.query, BASE, (r) => r.id);
    expect(again.rows.map((r) => r.id)).toEqual(rowsDown(10, 1).map((r) => r.id));
  });

  it("keeps the self link stable when newer rows arrive", async ({ expect }) => {
    const q = query({ size: "2" });
    const first = cursorSlice(fetchPage(rowsDown(5, 1), q), q, BASE, (r) => r.id);
    const self = follow(first.links.self.href).query;
    const later = cursorSlice(fetchPage(rowsDown(9, 1), self), self, BASE, (r) => r.id);
    expect(later.rows.map((r) => r.id)).toEqual([5, 4]);
  });

  it.for([
    ["the first page", {}],
    ["a page after the end", { start: "4", relation: "NEXT", size: "5" }],
  ] as const)("answers an empty page for %s with a self link and no next", async ([_name, input], { expect }) => {
    const q = query(input as Record<string, string>);
    const { rows, links } = cursorSlice([] as Row[], q, BASE, (r) => r.id);
    expect(rows).toEqual([]);
    expect(links.next).toBeUndefined();
    const self = follow(links.self.href);
    expect(self.url.origin + self.url.pathname).toBe(BASE);
    expect(self.query.size).toBe(q.size);
    expect(cursorBound(self.query)).toBe(cursorBound(q));
  });

  it.for([1, 2, 3, 7, 20])("visits every row exactly once following next links with size %i", async (size, { expect }) => {
    const all = rowsDown(23, 1);
    const seen: number[] = [];
    let q: CursorQuery = query({ size: String(size) });
    for (let guard = 0; guard < 100; guard++) {
      const { rows, links } = cursorSlice(fetchPage(all, q), q, BASE, (r) => r.id);
      seen.push(...rows.map((r) => r.id));
      if (!links.next) break;
      q = follow(links.next.href).query;
      // New rows arriving at the top must not disturb the walk.
      all.unshift({ id: all[0]!.id + 1 });
    }
    expect(seen).toEqual(rowsDown(23, 1).map((r) => r.id));
  });
});

describe("CursorQuery", () => {
  it.for([
    [{}, { size: 20 }],
    [{ size: "1" }, { size: 1 }],
    [{ size: "100" }, { size: 100 }],
    [{ size: "5000" }, { size: 100 }],
    [
      { start: "42", relation: "NEXT" },
      { size: 20, start: 42, relation: "NEXT" },
    ],
    [
      { start: "42", relation: "SELF", size: "3" },
      { size: 3, start: 42, relation: "SELF" },
    ],
  ] as const)("reads %j", async ([input, expected], { expect }) => {
    expect(CursorQuery.parse(input)).toEqual(expected);
  });

  it.for([
    ["size", "0"],
    ["size", "-1"],
    ["size", "1.5"],
    ["size", "abc"],
    ["start", "abc"],
    ["start", "-1"],
    ["start", "1.5"],
    ["start", "9".repeat(16)],
    ["relation", "PREV"],
    ["relation", "next"],
  ] as const)("refuses %s=%j", async ([name, value], { expect }) => {
    const result = CursorQuery.safeParse({ [name]: value });
    expect(result.success).toBe(false);
    expect(result.error?.issues.some((issue) => issue.path[0] === name)).toBe(true);
  });
});
