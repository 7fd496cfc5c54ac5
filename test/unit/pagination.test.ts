import { describe, it } from "vitest";
import { PageQuery, pageLinks, pageMetadata, pageOffset, type PageLinks } from "../../src/http/pagination";

const BASE = "http://example.test/v1/applications/7/users";

/** `{page, size}` of a link's href, plus every other query parameter it carries. */
const params = (href: string | undefined) => {
  if (href === undefined) throw new Error("link missing");
  const url = new URL(href);
  return {
    origin: url.origin,
    path: url.pathname,
    page: url.searchParams.get("page"),
    size: url.searchParams.get("size"),
    all: url.searchParams,
  };
};

const linksFor = (page: number, size: number, totalElements: number, requestUrl = `${BASE}?page=${page}&size=${size}`): PageLinks =>
  pageLinks(BASE, requestUrl, pageMetadata({ page, size }, totalElements));

const relations = (links: PageLinks) => Object.keys(links).sort();

describe("pageMetadata", () => {
  it.for([
    // page, size, totalElements, totalPages
    [0, 20, 0, 0],
    [0, 20, 1, 1],
    [0, 20, 20, 1],
    [0, 20, 21, 2],
    [1, 2, 5, 3],
    [9, 100, 1000, 10],
    [4, 3, 7, 3],
  ] as const)("page %i of size %i over %i elements has %i pages", async ([page, size, totalElements, totalPages], { expect }) => {
    expect(pageMetadata({ page, size }, totalElements)).toEqual({ size, totalElements, totalPages, number: page });
  });

  it("reports the size in force, not the number of rows on the page", async ({ expect }) => {
    // The seed's channel example: 2 channels, size 20.
    expect(pageMetadata({ page: 0, size: 20 }, 2).size).toBe(20);
  });

  it.for([
    [0, 20, 0],
    [1, 20, 20],
    [3, 7, 21],
  ] as const)("page %i of size %i starts at offset %i", async ([page, size, offset], { expect }) => {
    expect(pageOffset({ page, size })).toBe(offset);
  });
});

describe("pageLinks", () => {
  it.for([
    // name, page, size, total, relations present
    ["first of several", 0, 2, 5, ["first", "last", "next", "self"]],
    ["middle", 1, 2, 5, ["first", "last", "next", "prev", "self"]],
    ["last", 2, 2, 5, ["first", "last", "prev", "self"]],
    ["only page", 0, 20, 3, ["first", "last", "self"]],
    ["only page, exactly full", 0, 3, 3, ["first", "last", "self"]],
    ["empty collection", 0, 20, 0, ["first", "last", "self"]],
    ["past the end", 7, 2, 5, ["first", "last", "prev", "self"]],
    ["past the end of an empty collection", 3, 20, 0, ["first", "last", "prev", "self"]],
  ] as const)("%s (page %i, size %i, %i elements) has the right relations", async ([_name, page, size, total, expected], { expect }) => {
    expect(relations(linksFor(page, size, total))).toEqual(expected);
  });

  it("points each relation at the right page", async ({ expect }) => {
    const links = linksFor(1, 2, 7); // 4 pages: 0..3
    expect(params(links.first.href).page).toBe("0");
    expect(params(links.prev?.href).page).toBe("0");
    expect(params(links.self.href).page).toBe("1");
    expect(params(links.next?.href).page).toBe("2");
    expect(params(links.last.href).page).toBe("3");
  });

  it("makes a page past the end point prev at the last page", async ({ expect }) => {
    const links = linksFor(10, 2, 5); // 3 pages: 0..2
    expect(params(links.prev?.href).page).toBe("2");
    expect(params(links.last.href).page).toBe("2");
    expect(params(links.self.href).page).toBe("10");
    expect(links.next).toBeUndefined();
  });

  it("points first and last at page 0 for an empty collection", async ({ expect }) => {
    const meta = pageMetadata({ page: 0, size: 20 }, 0);
    expect(meta).toEqual({ size: 20, totalElements: 0, totalPages: 0, number: 0 });
    const links = pageLinks(BASE, `${BASE}?page=0&size=20`, meta);
    expect(params(links.first.href).page).toBe("0");
    expect(params(links.last.href).page).toBe("0");
    expect(params(links.self.href).page).toBe("0");
  });

  it("builds absolute hrefs on the given base, with page and size repeated in every link", async ({ expect }) => {
    const links = linksFor(1, 2, 7, BASE); // the request itself had no query at all
    for (const l of Object.values(links)) {
      const p = params(l.href);
      expect(p.origin).toBe("http://example.test");
      expect(p.path).toBe("/v1/applications/7/users");
      expect(p.page).toMatch(/^\d+$/);
      expect(p.size).toBe("2");
    }
  });

  it("keeps every other query parameter of the request, repeated ones included", async ({ expect }) => {
    const links = linksFor(1, 2, 7, `${BASE}?type=PUBLIC&page=1&tag=a&tag=b&size=2&q=a%20b%26c`);
    for (const l of Object.values(links)) {
      const p = params(l.href);
      expect(p.all.get("type")).toBe("PUBLIC");
      expect(p.all.getAll("tag")).toEqual(["a", "b"]);
      expect(p.all.get("q")).toBe("a b&c");
      expect(p.all.getAll("page")).toHaveLength(1);
      expect(p.all.getAll("size")).toHaveLength(1);
    }
  });

  it("carries the size in force: a requested 5000 appears as 100", async ({ expect }) => {
    const query = PageQuery.parse({ page: "1", size: "5000" });
    const links = pageLinks(BASE, `${BASE}?page=1&size=5000`, pageMetadata(query, 250));
    expect(relations(links)).toEqual(["first", "last", "next", "prev", "self"]);
    for (const l of Object.values(links)) expect(params(l.href).size).toBe("100");
    expect(params(links.last.href).page).toBe("2");
  });

  it("uses the default size in links when the request gave none", async ({ expect }) => {
    const query = PageQuery.parse({});
    const links = pageLinks(BASE, BASE, pageMetadata(query, 45));
    for (const l of Object.values(links)) expect(params(l.href).size).toBe("20");
    expect(params(links.last.href).page).toBe("2");
  });
});

describe("PageQuery", () => {
  it("defaults to page 0 and size 20", async ({ expect }) => {
    expect(PageQuery.parse({})).toEqual({ page: 0, size: 20 });
  });

  it.for([
    [
      { page: "0", size: "1" },
      { page: 0, size: 1 },
    ],
    [{ page: "3" }, { page: 3, size: 20 }],
    [{ size: "7" }, { page: 0, size: 7 }],
    [{ size: "100" }, { page: 0, size: 100 }],
    [{ size: "101" }, { page: 0, size: 100 }],
    [{ size: "5000" }, { page: 0, size: 100 }],
    [
      { page: "12", size: "5000" },
      { page: 12, size: 100 },
    ],
  ] as const)("reads %j as %j", async ([input, expected], { expect }) => {
    expect(PageQuery.parse(input)).toEqual(expected);
  });

  it.for([
    ["page", "-1"],
    ["page", "1.5"],
    ["page", "abc"],
    ["page", ""],
    ["page", "1e3"],
    ["size", "0"],
    ["size", "-1"],
    ["size", "1.5"],
    ["size", "abc"],
    ["size", ""],
  ] as const)("refuses %s=%j", async ([name, value], { expect }) => {
    const result = PageQuery.safeParse({ [name]: value });
    expect(result.success).toBe(false);
    expect(result.error?.issues.some((issue) => issue.path[0] === name)).toBe(true);
  });
});
