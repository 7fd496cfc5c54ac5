// @ts-check
// Navigation: every GET the explorer shows is an entry of the browser history (#/v1/…), so the
// Back and Forward buttons (and the browser's), reload and bookmarks work. #reference and
// #reference:<operation id> show the reference instead.
import { el } from "./elements.js";
import { display, resolveUrl } from "./helpers.js";
import { ensureSpec, jumpToReference } from "./reference-tab.js";
import { renderNeedsToken } from "./response.js";
import { send } from "./send.js";
import { state } from "./state.js";
import { showTab } from "./tabs.js";

export const updateNavButtons = () => {
  el.back.disabled = state.seq <= 0;
  el.forward.disabled = state.seq >= state.maxSeq;
};

/**
 * GET `href` as a new history entry (or replacing the current one).
 * @param {string} href
 * @param {{ replace?: boolean, focusResponse?: boolean }} [options]
 */
export const navigate = (href, { replace: replaceEntry = false, focusResponse = false } = {}) => {
  const url = resolveUrl(href).href;
  const hash = `#${display(url)}`;
  if (replaceEntry) {
    history.replaceState({ n: state.seq, url }, "", hash);
  } else {
    state.seq += 1;
    state.maxSeq = state.seq;
    history.pushState({ n: state.seq, url }, "", hash);
  }
  updateNavButtons();
  showTab("explorer", { updateHash: false });
  return send({ method: "GET", url, focusResponse });
};

/** @param {PopStateEvent} e */
const onPopState = (e) => {
  state.seq = e.state?.n ?? 0;
  if (!e.state) state.maxSeq = state.seq; // a new entry (the hash was edited): nothing ahead
  updateNavButtons();
  route();
};

/**
 * #reference, or #reference:<id> for one operation.
 * @param {string} hash
 */
const routeReference = (hash) => {
  showTab("reference", { updateHash: false });
  const id = hash.split(":")[1];
  if (id) ensureSpec().then(() => jumpToReference(id, { updateHash: false }));
};

/**
 * Without a token, a GET waits for one (token.js sends it).
 * @param {string} url
 */
const waitForToken = (url) => {
  state.pending = url;
  el.url.value = display(url);
  renderNeedsToken(url);
};

/** Shows what the address bar's hash names: a GET (#/v1/…) or the reference (#reference:id). */
export const route = () => {
  const hash = decodeURIComponent(location.hash.slice(1));
  if (hash.startsWith("reference")) return routeReference(hash);
  showTab("explorer", { updateHash: false });
  const url = history.state?.url ?? (hash.startsWith("/") ? resolveUrl(hash).href : null);
  if (!url) return;
  if (!history.state?.url) history.replaceState({ n: state.seq, url }, "", `#${display(url)}`);
  if (!state.token) return waitForToken(url);
  send({ method: "GET", url });
};

export const bindNavigation = () => {
  el.back.addEventListener("click", () => history.back());
  el.forward.addEventListener("click", () => history.forward());
  window.addEventListener("popstate", onPopState);
};
