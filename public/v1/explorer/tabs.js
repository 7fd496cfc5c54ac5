// @ts-check
// The two views, Explorer and Reference, as ARIA tabs (arrow keys, Home and End move between
// them). The reference tab's address is #reference; the explorer's is that of the GET on screen.
import { el } from "./elements.js";
import { display } from "./helpers.js";
import { ensureSpec, renderSpec } from "./reference-tab.js";
import { state } from "./state.js";

/** @typedef {"explorer" | "reference"} Tab */

/**
 * @param {Tab} name
 * @param {{ focus?: boolean, updateHash?: boolean }} [options]
 */
export const showTab = (name, { focus = false, updateHash = true } = {}) => {
  state.tab = name;
  for (const tab of el.tabs) {
    const selected = tab.getAttribute("aria-controls") === `view-${name}`;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    if (selected && focus) tab.focus();
  }
  for (const [key, view] of Object.entries(el.views)) view.hidden = key !== name;
  if (name === "reference") {
    ensureSpec().then(renderSpec);
    if (updateHash && !location.hash.startsWith("#reference")) history.replaceState(history.state, "", "#reference");
  } else if (updateHash && location.hash.startsWith("#reference")) {
    const url = history.state?.url;
    history.replaceState(history.state, "", url ? `#${display(url)}` : location.pathname + location.search);
  }
};

/**
 * @param {HTMLButtonElement} tab
 * @param {KeyboardEvent} e
 */
const onTabKey = (tab, e) => {
  if (!["ArrowLeft", "ArrowRight", "Home", "End"].includes(e.key)) return;
  e.preventDefault();
  const next = e.key === "Home" ? 0 : e.key === "End" ? 1 : (el.tabs.indexOf(tab) + 1) % 2;
  showTab(next === 1 ? "reference" : "explorer", { focus: true });
};

export const bindTabs = () => {
  for (const tab of el.tabs) {
    tab.addEventListener("click", () => showTab(tab.id === "tab-reference" ? "reference" : "explorer"));
    tab.addEventListener("keydown", (e) => onTabKey(tab, e));
  }
};
