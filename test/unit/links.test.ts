import { describe, it } from "vitest";
import { baseUrlFor, createLinks } from "../../src/http/links";
import { acceptsJson } from "../../src/http/media-type";

const BASE = "http://localhost:8787";
const links = createLinks(BASE);

describe("createLinks", () => {
  it.for([
    ["root", links.root(), "/v1"],
    ["currentApplication", links.currentApplication(), "/v1/applications/me"],
    ["application", links.application(4), "/v1/applications/4"],
    ["users", links.users(4), "/v1/applications/4/users"],
    ["user", links.user(4, 9), "/v1/applications/4/users/9"],
    ["userChannels", links.userChannels(4, 9), "/v1/applications/4/users/9/channels"],
    ["channels", links.channels(4), "/v1/applications/4/channels"],
    ["channel", links.channel(4, 11), "/v1/applications/4/channels/11"],
    ["channelMessages", links.channelMessages(4, 11), "/v1/applications/4/channels/11/messages"],
    ["message", links.message(4, 12), "/v1/applications/4/messages/12"],
    ["jwks", links.jwks(), "/.well-known/jwks.json"],
    ["token", links.token(), "/oauth/token"],
  ] as const)("%s is the absolute href %s on the base", async ([_name, href, path], { expect }) => {
    expect(href).toBe(`${BASE}${path}`);
    const url = new URL(href); // throws if not absolute
    expect(url.origin).toBe(BASE);
  });

  it("builds on whatever base it is given", async ({ expect }) => {
    expect(createLinks("https://chat.example.com").user(1, 2)).toBe("https://chat.example.com/v1/applications/1/users/2");
  });

  it.for([
    ["users", links.users(4, { page: 2, size: 20 }), { page: "2", size: "20" }],
    ["userChannels", links.userChannels(4, 9, { page: 0, size: 5 }), { page: "0", size: "5" }],
    ["channels", links.channels(4, { page: 1, size: 100, type: "OPEN" }), { page: "1", size: "100", type: "OPEN" }],
    [
      "channelMessages",
      links.channelMessages(4, 11, { start: 30, size: 20, relation: "NEXT" }),
      { start: "30", size: "20", relation: "NEXT" },
    ],
  ] as const)("%s carries its query", async ([_name, href, expected], { expect }) => {
    const url = new URL(href);
    expect(Object.fromEntries(url.searchParams)).toEqual(expected);
    expect(url.origin).toBe(BASE);
  });

  it("leaves out undefined query values", async ({ expect }) => {
    expect(links.users(4, { page: 0, size: undefined })).toBe(`${BASE}/v1/applications/4/users?page=0`);
  });

  it.for([
    ["no query", undefined],
    ["an empty query", {}],
    ["only undefined values", { page: undefined }],
  ] as const)("adds no ? for %s", async ([_name, q], { expect }) => {
    expect(links.users(4, q)).toBe(`${BASE}/v1/applications/4/users`);
  });

  it("encodes query values", async ({ expect }) => {
    const href = links.withQuery(`${BASE}/v1`, { q: "a b&c=d" });
    expect(href).not.toContain(" ");
    expect(new URL(href).searchParams.get("q")).toBe("a b&c=d");
  });
});

describe("baseUrlFor", () => {
  it.for([
    ["http://localhost:8787/v1/applications/me?x=1", undefined, "http://localhost:8787"],
    ["https://api.example.com/v1", undefined, "https://api.example.com"],
    ["http://10.0.0.1:9000/oauth/token", undefined, "http://10.0.0.1:9000"],
    ["http://internal:8787/v1", "https://public.example.com", "https://public.example.com"],
    ["http://internal:8787/v1", "https://public.example.com/prefix", "https://public.example.com/prefix"],
  ] as const)("for %s with public base %s is %s", async ([requestUrl, publicBase, expected], { expect }) => {
    expect(baseUrlFor(requestUrl, publicBase)).toBe(expected);
  });
});

describe("acceptsJson", () => {
  it.for([
    ["missing", undefined, true],
    ["empty", "", true],
    ["*/*", "*/*", true],
    ["application/json", "application/json", true],
    ["application/hal+json", "application/hal+json", true],
    ["application/*", "application/*", true],
    ["upper case", "Application/JSON", true],
    ["with a charset", "application/json; charset=utf-8", true],
    ["a browser's header", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true],
    ["JSON at lower quality", "text/html, application/json;q=0.5", true],
    ["text/html", "text/html", false],
    ["text/plain and XML", "text/plain, application/xml", false],
    ["JSON ruled out by q=0", "application/json;q=0", false],
    ["JSON ruled out by q=0.0", "application/json; q=0.0", false],
    ["*/* ruled out by q=0", "text/html, */*;q=0", false],
  ] as const)("%s (%j) → %s", async ([_name, accept, expected], { expect }) => {
    expect(acceptsJson(accept)).toBe(expected);
  });
});
