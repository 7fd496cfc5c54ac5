// @ts-check
// Where the explorer sends its requests, and what it keeps in this tab's session storage.

// Relative to this page (…/v1/explorer/), so a deployment under a path prefix works too.
export const API_ROOT = new URL("../../v1", location.href);
export const TOKEN_URL = new URL("../../oauth/token", location.href);
export const SPEC_URL = new URL("../openapi.json", location.href);

/** The methods sent with the JSON body editor's content. */
export const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);
/** A local dev server: the form is filled in with the demo application's credentials. */
export const LOCAL_DEV = /^(localhost|127(\.\d+){3}|\[::1\]|.+\.localhost)$/.test(location.hostname);
export const TOKEN_KEY = "kitty-edge.explorer.token";
export const HISTORY_KEY = "kitty-edge.explorer.history";
export const HISTORY_LIMIT = 30;
