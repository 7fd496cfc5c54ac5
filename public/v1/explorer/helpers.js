// @ts-check
// Small helpers shared by the explorer's modules.
import { h } from "./dom.js";

/**
 * What the URL field shows: a path for this origin, else the whole URL.
 * @param {string} href
 */
export const display = (href) => {
  const u = new URL(href, location.href);
  return u.origin === location.origin ? `${u.pathname}${u.search}` : u.href;
};

/** @param {string} input what the URL field holds */
export const resolveUrl = (input) => new URL(input.trim(), `${location.origin}/`);

/** @param {string} href */
export const sameOrigin = (href) => {
  try {
    return new URL(href, location.href).origin === location.origin;
  } catch {
    return false;
  }
};

/** @param {EventTarget | null} t */
export const isEditable = (t) => t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));

/** @param {string} method */
export const methodBadge = (method) => h("span", { class: `method m-${method.toLowerCase()}` }, method);

/** @param {number} status */
export const statusClass = (status) =>
  status >= 500 ? "server" : status >= 400 ? "client" : status >= 300 ? "redirect" : status >= 200 ? "ok" : "";

/** @param {string} s */
export const base64 = (s) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));

/**
 * The claims of a JWT, unverified (for display only); {} when it is not one.
 * @param {string} jwt
 * @returns {Record<string, unknown>}
 */
export const jwtClaims = (jwt) => {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(
      new TextDecoder().decode(Uint8Array.from(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "=")), (c) => c.charCodeAt(0))),
    );
  } catch {
    return {};
  }
};

/**
 * A JSON text's value, or undefined when it is empty or not JSON.
 * @param {string} text
 * @returns {unknown}
 */
export const parseJson = (text) => {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** This tab's session storage, as JSON; without storage (private mode) nothing is kept. */
export const storage = {
  /**
   * @param {string} key
   * @returns {unknown}
   */
  get: (key) => {
    try {
      return JSON.parse(sessionStorage.getItem(key) ?? "null");
    } catch {
      return null;
    }
  },
  /**
   * @param {string} key
   * @param {unknown} value null removes the key
   */
  set: (key, value) => {
    try {
      if (value === null) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, JSON.stringify(value));
    } catch {
      /* storage unavailable (private mode): the explorer still works for this page */
    }
  },
};

/** @param {number} ms */
export const remaining = (ms) => {
  const min = Math.max(0, Math.round(ms / 60000));
  return min >= 60 ? `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, "0")} min` : `${min} min`;
};
