// @ts-check
// The History list: every request sent, newest first, kept in this tab's session storage. A GET
// is sent again; anything else is put back into the request bar.
import { HISTORY_KEY, HISTORY_LIMIT } from "./config.js";
import { h, replace } from "./dom.js";
import { el } from "./elements.js";
import { display, methodBadge, statusClass, storage } from "./helpers.js";
import { navigate } from "./navigation.js";
import { onMethodChange } from "./request.js";
import { state } from "./state.js";

/** @typedef {import("./state.js").HistoryEntry} HistoryEntry */

/** @param {Omit<HistoryEntry, "at">} entry */
export const addHistory = (entry) => {
  state.history.unshift({ ...entry, at: Date.now() });
  state.history.length = Math.min(state.history.length, HISTORY_LIMIT);
  storage.set(HISTORY_KEY, state.history);
  renderHistory();
};

/** @param {HistoryEntry} item */
const useEntry = (item) => {
  if (item.method === "GET") return navigate(item.url);
  el.method.value = item.method;
  el.url.value = display(item.url);
  el.body.value = item.body ?? "";
  onMethodChange();
  el.send.focus();
};

/** @param {HistoryEntry} item */
const historyItem = (item) =>
  h(
    "li",
    {},
    h(
      "button",
      {
        type: "button",
        class: "history-item",
        title: item.method === "GET" ? `GET ${display(item.url)} again` : `Put this ${item.method} back into the request bar`,
        onclick: () => useEntry(item),
      },
      methodBadge(item.method),
      h("span", { class: "history-url" }, display(item.url).replace(/^\/v1\/applications\/\d+(?=[/?])/, "…")),
      h("span", { class: `status-pill small ${statusClass(item.status)}` }, item.status ? String(item.status) : "ERR"),
    ),
  );

const renderHistory = () => {
  el.historyEmpty.hidden = state.history.length > 0;
  el.clearHistory.hidden = state.history.length === 0;
  replace(el.history, state.history.map(historyItem));
};

const clearHistory = () => {
  state.history = [];
  storage.set(HISTORY_KEY, null);
  renderHistory();
  el.url.focus();
};

/** Shows this tab's history from session storage. */
export const loadHistory = () => {
  const saved = storage.get(HISTORY_KEY);
  state.history = Array.isArray(saved) ? saved : [];
  renderHistory();
};

export const bindHistory = () => {
  el.clearHistory.addEventListener("click", clearHistory);
};
