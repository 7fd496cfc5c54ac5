// @ts-check
// Sending a request: HAL preferred, the bearer token to this origin only, one request at a time
// (a new one aborts the one in flight); then the history entry and the response view.
import { el } from "./elements.js";
import { display, parseJson, sameOrigin } from "./helpers.js";
import { addHistory } from "./history.js";
import { onMethodChange } from "./request.js";
import { renderNetworkError, renderResponse } from "./response.js";
import { state } from "./state.js";

/** @typedef {import("./state.js").Result} Result */

/**
 * @param {string} url
 * @param {string | undefined} payload
 */
const requestHeaders = (url, payload) => {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/hal+json, application/json;q=0.9, */*;q=0.1" };
  if (state.token && sameOrigin(url)) headers.Authorization = `Bearer ${state.token.accessToken}`;
  if (payload !== undefined) headers["Content-Type"] = "application/json";
  return headers;
};

/** Aborts the request in flight, if any, and shows the response view busy. */
const startRequest = () => {
  state.inflight?.abort();
  const controller = new AbortController();
  state.inflight = controller;
  el.response.setAttribute("aria-busy", "true");
  el.response.classList.add("loading");
  el.send.disabled = true;
  return controller;
};

/**
 * Unless a newer request took its place: not busy any more.
 * @param {AbortController} controller
 */
const endRequest = (controller) => {
  if (state.inflight === controller) {
    state.inflight = null;
    el.response.setAttribute("aria-busy", "false");
    el.response.classList.remove("loading");
    el.send.disabled = false;
  }
};

/**
 * @param {{ method: string, url: string, payload: string | undefined, res: Response, text: string, started: number }} answer
 * @returns {Result}
 */
const toResult = ({ method, url, payload, res, text, started }) => ({
  method,
  url,
  requestBody: payload,
  status: res.status,
  statusText: res.statusText,
  headers: [...res.headers],
  contentType: res.headers.get("content-type") ?? "",
  text,
  json: parseJson(text),
  ms: Math.round(performance.now() - started),
  size: new TextEncoder().encode(text).length,
});

/**
 * Sends a request from the request bar (it shows what is sent) and shows the answer.
 * @param {{ method: string, url: string, body?: string, focusResponse?: boolean }} request
 */
export const send = async ({ method, url, body, focusResponse = false }) => {
  el.method.value = method;
  if (method === "GET") el.url.value = display(url);
  onMethodChange();
  const payload = body?.trim() ? body : undefined;
  const headers = requestHeaders(url, payload);
  const controller = startRequest();
  const started = performance.now();
  let res;
  let text;
  try {
    res = await fetch(url, { method, headers, body: payload, signal: controller.signal, credentials: "omit", cache: "no-store" });
    text = await res.text();
  } catch (caught) {
    const err = /** @type {Error} */ (caught);
    if (err.name === "AbortError") return;
    addHistory({ method, url, body: payload, status: 0 });
    renderNetworkError({ method, url, err });
    return;
  } finally {
    endRequest(controller);
  }
  const result = toResult({ method, url, payload, res, text, started });
  state.current = result;
  addHistory({ method, url, body: payload, status: res.status });
  renderResponse(result);
  if (focusResponse) document.getElementById("response-status")?.focus();
};
