/**
 * What is not offered answers 501 with a body that says what to use instead (never a 404 that reads
 * as a wrong path): chat functions and the chat runtime (spec platform-api-current.md §4.7, every
 * such path of ChatKitty's document; ChatKitty runs customer code for them, this server does not),
 * and chatkitty@2.106.8's analytics exports and reported messages.
 */
import { describe, it } from "vitest";
import chatkitty from "../fixtures/chatkitty-openapi-2.41.9.json";
import { setup } from "../helpers/api";
import { expectError } from "../helpers/checks";
import { expectChatKitty } from "../helpers/chatkitty-schema";

const paths = chatkitty.paths as Record<string, Record<string, unknown>>;
const OPERATIONS = Object.entries(paths)
  .filter(([path]) => /^\/v1\/(runtimes|functions|function-versions)\b/.test(path))
  .flatMap(([path, item]) => Object.keys(item).map((method) => ({ method: method.toUpperCase(), path, url: path.replace("{id}", "7") })));

describe("chat functions and runtimes", () => {
  it("covers every such operation of ChatKitty's document", ({ expect }) => {
    expect(OPERATIONS).toHaveLength(12);
  });

  it.for(OPERATIONS)("$method $path answers 501 saying what to use instead", async ({ method, path, url }, { expect }) => {
    const { api } = await setup();
    const res = await api.call(method, url, method === "GET" ? undefined : { name: "x" });
    const body = expectError(expect, res, 501, "NotImplementedError");
    expectChatKitty(expect, res, `${method} ${path}`);
    expect(body.message).toMatch(/does not run customer code/);
    expect(body.message).toMatch(/Platform API/);
  });

  it("still requires a token", async ({ expect }) => {
    const { api } = await setup();
    expectError(expect, await api.call("GET", "/v1/runtimes/nodejs", undefined, { Authorization: "Bearer nope" }), 401);
  });
});

// chatkitty@2.106.8 only (not in ChatKitty's 2.41.9 document): analytics exports and reported messages.
describe.each([
  ["POST", "/v1/analytics/messages", /analytics exports/],
  ["POST", "/v1/analytics/users", /analytics exports/],
  ["GET", "/v1/channels/7/reported-messages", /Reporting a message/],
])("%s %s", (method, url, says) => {
  it("answers 501 saying why and what to use instead", async ({ expect }) => {
    const { api } = await setup();
    const body = expectError(expect, await api.call(method, url), 501, "NotImplementedError");
    expect(body.message).toMatch(says);
    expect(body.message).toMatch(/GET \/v1\//);
  });
});
