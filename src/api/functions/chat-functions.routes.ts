/**
 * What ChatKitty's SDKs can call and this server does not offer, each answering 501 with what to
 * use instead: a 404 would read as a wrong path, and the SDKs' callers deserve to learn why at once.
 *
 * - Chat functions and the Node.js chat runtime (spec platform-api-current.md §4.7): ChatKitty runs
 *   a customer's code on its servers in response to chat events; this server runs none.
 * - chatkitty@2.106.8's analytics exports and reported messages: no client this server speaks can
 *   report a message, and the exports' file format is ChatKitty's own, undocumented.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../../http/errors";
import { errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";

const INSTEAD =
  "This server does not run customer code, so it offers no chat functions or runtimes. Run that logic in your own " +
  "back end: call this Platform API (e.g. page GET /v1/messages or a channel's messages for what changed), or connect " +
  "a bot user with the ChatKitty chat SDK to receive a channel's events live.";

const EXPORTS_INSTEAD =
  "This server does not produce ChatKitty's analytics exports (their file format is ChatKitty's own). Page " +
  "GET /v1/messages and GET /v1/users (or import-friendly JSON from them) in your own back end instead.";

const REPORTS_INSTEAD =
  "Reporting a message is a chatkitty 2.x client action, which this server does not speak yet, so no message is ever " +
  "reported here. Moderate with channel moderators, and read a channel's messages with GET /v1/channels/{id}/messages.";

const ALTERNATIVE = "your own back end, using the Platform API or a chat session of a bot user";

const pathParam = (name: string) => z.object({ [name]: z.string().openapi({ param: { name, in: "path" }, example: "1" }) });

/** The operations, as `[method, path, what it would do, what to use instead]`. */
const OPERATIONS: readonly (readonly ["get" | "put" | "post", string, string, string])[] = [
  ["get", "/runtimes/nodejs", "The Node.js chat runtime", INSTEAD],
  ["put", "/runtimes/nodejs/dependencies", "Setting the chat runtime's NPM dependencies", INSTEAD],
  ["put", "/runtimes/nodejs/environment-variables", "Setting the chat runtime's environment variables", INSTEAD],
  ["put", "/runtimes/nodejs/initialization-script", "Setting the chat runtime's initialization script", INSTEAD],
  ["get", "/runtimes/nodejs/functions", "Listing chat functions", INSTEAD],
  ["post", "/runtimes/nodejs/functions", "Creating a chat function", INSTEAD],
  ["get", "/functions/{functionId}", "A chat function", INSTEAD],
  ["get", "/functions/{functionId}/current-version", "A chat function's current version", INSTEAD],
  ["get", "/functions/{functionId}/versions", "A chat function's versions", INSTEAD],
  ["post", "/functions/{functionId}/versions", "Creating a chat function version", INSTEAD],
  ["get", "/functions/{functionId}/invocations", "A chat function's invocations", INSTEAD],
  ["get", "/function-versions/{versionId}", "A chat function version", INSTEAD],
  ["post", "/analytics/messages", "Exporting the application's messages for analytics", EXPORTS_INSTEAD],
  ["post", "/analytics/users", "Exporting the application's users for analytics", EXPORTS_INSTEAD],
  ["get", "/channels/{channelId}/reported-messages", "Listing a channel's reported messages", REPORTS_INSTEAD],
];

export const chatFunctionRoutes = createRouter();
for (const [method, path, what, instead] of OPERATIONS) {
  const param = /\{(\w+)\}/.exec(path)?.[1];
  const route = createRoute({
    method,
    path,
    summary: `${what}: not offered (501)`,
    description: instead,
    request: param ? { params: pathParam(param) } : {},
    responses: {
      401: errorResponses[401],
      501: { ...errorResponses[501], description: "Not offered: the message says what to use instead" },
    },
  });
  chatFunctionRoutes.openapi(route, () => {
    throw new ApiError("NotImplementedError", `${what}: not offered here. ${instead}`, { alternative: ALTERNATIVE });
  });
}
