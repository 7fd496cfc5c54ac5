// @ts-check
// Everything the explorer remembers while the page is open, in one place. The modules read and
// write it; only the token and the history are also kept in session storage (token.js, history.js).

/** @typedef {import("./openapi.js").Spec} Spec */
/** @typedef {import("./json-view.js").HalLink} HalLink */
/** @typedef {import("./uri-template.js").Variable} Variable */

/**
 * An access token and what the explorer shows about it.
 * @typedef {object} Token
 * @property {string} accessToken
 * @property {string} [scope]
 * @property {number} expiresAt epoch milliseconds
 * @property {string} clientId
 * @property {unknown} applicationId the token's `application_id` claim
 */

/**
 * A request sent, for the History list: status 0 when no response came.
 * @typedef {{ method: string, url: string, body?: string, status: number, at: number }} HistoryEntry
 */

/**
 * A response, as the response view shows it.
 * @typedef {object} Result
 * @property {string} method
 * @property {string} url
 * @property {string} [requestBody]
 * @property {number} status
 * @property {string} statusText
 * @property {[string, string][]} headers lower-case names
 * @property {string} contentType
 * @property {string} text
 * @property {unknown} json the parsed body, undefined when it is not JSON
 * @property {number} ms
 * @property {number} size bytes
 */

/**
 * The templated link the template dialog is filling in, and the button that opened it.
 * @typedef {{ link: HalLink, variables: Variable[], opener: HTMLElement | null }} TemplateState
 */

export const state = {
  /** @type {Token | null} */
  token: null,
  /** @type {Spec | null} */
  spec: null,
  /** @type {Error | null} */
  specError: null,
  /** @type {Promise<Spec | null> | null} the OpenAPI document loading (null again after a failure) */
  specPromise: null,
  /** @type {Spec | null} the document the reference tab shows */
  renderedSpec: null,
  /** @type {HistoryEntry[]} newest first */
  history: [],
  /** @type {Result | null} the response on screen */
  current: null,
  /** position in the browser history of this tab's explorer entries (for the back/forward buttons) */
  seq: 0,
  maxSeq: 0,
  /** @type {AbortController | null} */
  inflight: null,
  /** @type {string | null} a GET asked for (hash) before there was a token */
  pending: null,
  /** @type {"explorer" | "reference"} */
  tab: "explorer",
  /** @type {TemplateState | null} */
  template: null,
  /** @type {number | undefined} the URL field's pending hint update */
  hintTimer: undefined,
};
