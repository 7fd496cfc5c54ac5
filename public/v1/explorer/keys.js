// @ts-check
// Keys anywhere on the page (outside fields and the template dialog): / focuses the URL field
// (the filter in the reference), [ and ] are the previous and next page.
import { el } from "./elements.js";
import { isEditable } from "./helpers.js";
import { state } from "./state.js";

/** @param {KeyboardEvent} e */
const focusSearch = (e) => {
  e.preventDefault();
  if (state.tab === "reference") return el.refFilter.focus();
  el.url.focus();
  el.url.select();
};

/** @param {KeyboardEvent} e */
const turnPage = (e) => {
  const button = /** @type {HTMLButtonElement | null} */ (
    el.responseContent.querySelector(`.pager [data-rel="${e.key === "[" ? "prev" : "next"}"]`)
  );
  if (button && !button.disabled) {
    e.preventDefault();
    button.click();
  }
};

/** @param {KeyboardEvent} e */
const onKey = (e) => {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isEditable(e.target) || el.dialog.open) return;
  if (e.key === "/") focusSearch(e);
  else if ((e.key === "[" || e.key === "]") && state.tab === "explorer") turnPage(e);
};

export const bindKeys = () => {
  document.addEventListener("keydown", onKey);
};
