// @ts-check
// A link in a response (body, Links list, Location header): same-origin links are GET in the
// explorer (and real #/… links, so a new tab works too), templated ones open the template form,
// links to other origins open in a new tab.
import { h } from "./dom.js";
import { display, sameOrigin } from "./helpers.js";
import { navigate } from "./navigation.js";
import { openTemplate } from "./templates.js";

/** @typedef {import("./json-view.js").HalLink} HalLink */

/**
 * @param {HalLink} link
 * @param {string} rel
 * @param {string} label
 * @param {boolean} chip
 * @param {string} title
 */
const templateButton = (link, rel, label, chip, title) =>
  h(
    "button",
    {
      type: "button",
      class: chip ? "rel-chip templated" : "j-link templated",
      "aria-haspopup": "dialog",
      title: `Fill in the template and GET it${title}`,
      onclick: (e) => openTemplate(link, rel, e.currentTarget),
    },
    label,
    chip ? h("span", { class: "template-mark", "aria-hidden": "true" }, "{…}") : null,
  );

/**
 * @param {HalLink} link
 * @param {string} label
 * @param {boolean} chip
 * @param {string} title
 */
const externalLink = (link, label, chip, title) =>
  h(
    "a",
    {
      class: chip ? "rel-chip external" : "j-link external",
      href: link.href,
      target: "_blank",
      rel: "noopener noreferrer",
      title: `Opens ${link.href} in a new tab${title}`,
    },
    label,
  );

/**
 * @param {HalLink} link
 * @param {string} label
 * @param {boolean} chip
 * @param {string} title
 */
const followLink = (link, label, chip, title) =>
  h(
    "a",
    {
      class: chip ? "rel-chip" : "j-link",
      href: `#${display(link.href)}`,
      title: `GET ${display(link.href)}${title}`,
      onclick: (e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.altKey || e.button !== 0) return;
        e.preventDefault();
        navigate(link.href, { focusResponse: true });
      },
    },
    label,
  );

/**
 * @param {HalLink} link
 * @param {string} rel
 * @param {{ chip?: boolean, text?: string }} [options] `chip`: a rel button of the Links list; `text`: the label
 */
export const linkTo = (link, rel, { chip = false, text } = {}) => {
  const label = text ?? (chip ? rel : JSON.stringify(link.href));
  const title = link.title ? ` — ${link.title}` : "";
  if (link.templated) return templateButton(link, rel, label, chip, title);
  if (!sameOrigin(link.href)) return externalLink(link, label, chip, title);
  return followLink(link, label, chip, title);
};
