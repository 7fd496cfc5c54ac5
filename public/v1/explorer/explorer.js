// @ts-check
// The API Explorer: gets a client-credentials token, then browses the HAL graph from /v1 —
// following links, paging, filling templated links, sending POST/PUT/PATCH/DELETE with a JSON
// body — and shows the reference rendered from /v1/openapi.json. Same origin as the API, no
// framework, no build step, nothing fetched from anywhere else.
//
// This entry wires the modules together and starts. The sections of the explorer:
//   state.js        everything it remembers while the page is open, in one object
//   config.js       addresses and storage keys; elements.js: the page's elements
//   token.js        the access token form and badge
//   request.js      the request bar: method, URL and its operation hint, the JSON body editor
//   navigation.js   GETs as browser history entries (#/v1/…), back and forward, the hash
//   send.js         sending a request; response.js, notices.js, links.js: showing the answer
//   templates.js    the form for templated links
//   history.js      the History list
//   tabs.js         the Explorer and Reference tabs
//   reference-tab.js  loading, showing and trying the reference (reference.js renders it)
//   keys.js         page-wide keys: / [ ]
// The modules call each other (a link in a response navigates, which sends, which renders
// links), so some imports are circular: they are only called once every module has loaded,
// never while one is being evaluated, which ES modules allow.
import { API_ROOT } from "./config.js";
import { bindHistory, loadHistory } from "./history.js";
import { bindKeys } from "./keys.js";
import { bindNavigation, navigate, route, updateNavButtons } from "./navigation.js";
import { bindReference, ensureSpec } from "./reference-tab.js";
import { bindRequestBar, onMethodChange } from "./request.js";
import { state } from "./state.js";
import { bindTabs } from "./tabs.js";
import { bindTemplates } from "./templates.js";
import { bindToken, restoreToken } from "./token.js";

const start = () => {
  restoreToken();
  loadHistory();
  state.seq = history.state?.n ?? 0;
  state.maxSeq = state.seq;
  updateNavButtons();
  onMethodChange();
  ensureSpec();
  route();
  if (!location.hash && state.token) navigate(API_ROOT.href, { replace: true });
};

bindTabs();
bindToken();
bindRequestBar();
bindNavigation();
bindTemplates();
bindHistory();
bindReference();
bindKeys();
start();
