/**
 * Chat functions and the Node.js chat runtime (spec platform-api-current.md §4.7): ChatKitty runs a
 * customer's code on its servers in response to chat events. This server runs no customer code, so
 * every such path answers 501 with what to use instead: a 404 would read as a wrong path, and the
 * SDKs' callers deserve to learn why at once.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../../http/errors";
import { errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";

const INSTEAD =
  "This server does not run customer code, so it offers no chat functions or runtimes. Run that logic in your own " +
  "back end: call this Platform API (e.g. page GET /v1/messages or a channel's messages for what changed), or connect " +
  "a bot user with the ChatKitty chat SDK to receive a channel's events live.";

const notOffered = (what: string) =>
  new ApiError("NotImplementedError", `${what}: not offered here. ${INSTEAD}`, {
    alternative: "your own back end, using the Platform API or a chat session of a bot user",
  });

const pathParam = (name: string) => z.object({ [name]: z.string().openapi({ param: { name, in: "path" }, example: "1" }) });

/** ChatKitty's function and runtime operations, as `[method, path, what it would do]`. */
const OPERATIONS = [
  ["get", "/runtimes/nodejs", "The Node.js chat runtime"],
  ["put", "/runtimes/nodejs/dependencies", "Setting the chat runtime's NPM dependencies"],
  ["put", "/runtimes/nodejs/environment-variables", "Setting the chat runtime's environment variables"],
  ["put", "/runtimes/nodejs/initialization-script", "Setting the chat runtime's initialization script"],
  ["get", "/runtimes/nodejs/functions", "Listing chat functions"],
  ["post", "/runtimes/nodejs/functions", "Creating a chat function"],
  ["get", "/functions/{functionId}", "A chat function"],
  ["get", "/functions/{functionId}/current-version", "A chat function's current version"],
  ["get", "/functions/{functionId}/versions", "A chat function's versions"],
  ["post", "/functions/{functionId}/versions", "Creating a chat function version"],
  ["get", "/functions/{functionId}/invocations", "A chat function's invocations"],
  ["get", "/function-versions/{versionId}", "A chat function version"],
] as const;

export const chatFunctionRoutes = createRouter();
for (const [method, path, what] of OPERATIONS) {
  const param = /\{(\w+)\}/.exec(path)?.[1];
  const route = createRoute({
    method,
    path,
    summary: `${what}: not offered (501)`,
    description: INSTEAD,
    request: param ? { params: pathParam(param) } : {},
    responses: {
      401: errorResponses[401],
      501: { ...errorResponses[501], description: "Chat functions and runtimes are not offered: the message says what to use instead" },
    },
  });
  chatFunctionRoutes.openapi(route, () => {
    throw notOffered(what);
  });
}
