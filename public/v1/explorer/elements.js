// @ts-check
// The elements of index.html that the explorer's modules use, looked up once (a module script
// runs after the document is parsed). Ids and element types are checked here, at start.

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{ new (): T, prototype: T, name: string }} type
 * @returns {T}
 */
const byId = (id, type) => {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`API Explorer: #${id} is missing or not a ${type.name}`);
  return found;
};

/** @param {string} id */
const button = (id) => byId(id, HTMLButtonElement);
/** @param {string} id */
const input = (id) => byId(id, HTMLInputElement);
/** @param {string} id */
const any = (id) => byId(id, HTMLElement);

export const el = {
  tabs: [button("tab-explorer"), button("tab-reference")],
  views: { explorer: any("view-explorer"), reference: any("view-reference") },
  tokenForm: byId("token-form", HTMLFormElement),
  clientId: input("client-id"),
  clientSecret: input("client-secret"),
  toggleSecret: button("toggle-secret"),
  getToken: button("get-token"),
  forgetToken: button("forget-token"),
  tokenStatus: any("token-status"),
  tokenBadge: any("token-badge"),
  history: any("history"),
  historyEmpty: any("history-empty"),
  clearHistory: button("clear-history"),
  requestForm: byId("request-form", HTMLFormElement),
  back: button("back"),
  forward: button("forward"),
  method: byId("method", HTMLSelectElement),
  url: input("url"),
  send: button("send"),
  hint: any("operation-hint"),
  bodyEditor: any("body-editor"),
  body: byId("body", HTMLTextAreaElement),
  bodyFeedback: any("body-feedback"),
  formatBody: button("format-body"),
  exampleBody: button("example-body"),
  response: any("response"),
  responseContent: any("response-content"),
  announcer: any("announcer"),
  refFilter: input("ref-filter"),
  refToc: any("ref-toc"),
  refContent: any("ref-content"),
  dialog: byId("template-dialog", HTMLDialogElement),
  templateForm: byId("template-form", HTMLFormElement),
  templateRel: any("template-rel"),
  templateHref: any("template-href"),
  templateFields: any("template-fields"),
  templatePreview: any("template-preview"),
  templateCancel: button("template-cancel"),
};
