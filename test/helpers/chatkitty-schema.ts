/**
 * ChatKitty's schemas (chatkitty-document.ts) applied to the API tests' client: every JSON answer
 * to a path ChatKitty's document has is checked against the schema of its operation and status.
 * @example expectChatKitty(expect, res, "GET /v1/users/{id}")
 */
import type { ExpectStatic } from "vitest";
import type { ApiResponse, Client } from "./api";
import { chatKittyErrors, doc } from "./chatkitty-document";

/** Asserts the response's JSON body matches ChatKitty's schema for `operation` at its status; returns the body. */
export const expectChatKitty = <T = any>(expect: ExpectStatic, res: ApiResponse<T>, operation: string): T => {
  expect(
    chatKittyErrors(operation, res.status, res.body),
    `${operation} → ${res.status}: ${JSON.stringify(res.body).slice(0, 400)}`,
  ).toEqual([]);
  return res.body;
};

/** ChatKitty's path templates, a literal segment beating a template (`/v1/users/{id}` vs `/v1/users`). */
const templates = Object.keys(doc.paths)
  .map((template) => ({
    template,
    re: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`),
    params: (template.match(/\{/g) ?? []).length,
  }))
  .sort((a, b) => a.params - b.params);

/** The ChatKitty operation (`"GET /v1/users/{id}"`) a request falls under; undefined for paths it lacks (the 2020 form's). */
export const chatKittyOperation = (method: string, url: string): string | undefined => {
  const path = new URL(url, "http://x").pathname;
  const template = templates.find((t) => t.re.test(path))?.template;
  return template && `${method.toUpperCase()} ${template}`;
};

/**
 * `api` with every JSON answer to a path ChatKitty's document has checked against its schema: a
 * method the path lacks (405) against `ApiError`, bodiless answers (HEAD, 304) not at all.
 */
export const chatKittyClient = (expect: ExpectStatic, api: Client): Client => {
  const call: Client["call"] = async (method, url, json, headers) => {
    const res = await api.call(method, url, json, headers);
    const operation = chatKittyOperation(method, url);
    if (operation && res.body !== undefined) {
      const [m = "", path = ""] = operation.split(" ");
      const item = doc.paths[path]!;
      // A method the path lacks has no schema of its own: its 405 is checked as any error of the path.
      const known = item[m.toLowerCase()] ? operation : `${Object.keys(item)[0]!.toUpperCase()} ${path}`;
      expectChatKitty(expect, res, known);
    }
    return res;
  };
  return { call, get: (url) => call("GET", url), post: (url, json) => call("POST", url, json), del: (url) => call("DELETE", url) };
};
