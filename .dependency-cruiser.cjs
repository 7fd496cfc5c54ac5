/**
 * Import rules of src/ (`npm run check:imports`): no cycles, and the layers point one way.
 *
 *   entry (index.ts, app.ts, openapi.ts)
 *     → transports: api/ (Platform API), realtime/ (chat sessions), durable/ (Durable Objects)
 *       → http/ (HTTP plumbing shared by the transports)
 *         → chat/ (operations, rules, queries) → auth/ → files/ → db/
 * config.ts and env.ts are leaves anyone may import.
 */
const folder = (name) => `^src/${name}/`;

/** `from` may not import any of `to`. */
const forbid = (name, from, to, comment) => ({ name, comment, severity: "error", from: { path: from }, to: { path: to } });

module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "Modules never import each other, directly or through others.",
      from: {},
      to: { circular: true },
    },
    {
      name: "entry-is-not-imported",
      comment: "Only the Worker entry (index.ts → app.ts → openapi.ts) wires the app together.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(index|app)[.]ts$" },
      to: { path: "^src/(index|app|openapi)[.]ts$" },
    },
    forbid(
      "api-not-to-other-transports",
      folder("api"),
      "^src/(realtime|durable)/",
      "The Platform API reaches chat sessions only through chat/.",
    ),
    forbid(
      "realtime-not-to-other-transports",
      folder("realtime"),
      "^src/(api|durable)/",
      "realtime/ is used by durable/, never the reverse.",
    ),
    forbid("durable-not-to-api", folder("durable"), folder("api"), "Durable Objects speak chat sessions, not the Platform API."),
    forbid("http-below-transports", folder("http"), "^src/(api|realtime|durable)/", "http/ is plumbing the transports share."),
    forbid("chat-below-transports", folder("chat"), "^src/(api|realtime|durable|http)/", "Operations and rules know no transport."),
    forbid("auth-below-chat", folder("auth"), "^src/(api|realtime|durable|http|chat)/", "Signing and secrets know nothing of chat."),
    forbid("files-below-auth", folder("files"), "^src/(api|realtime|durable|http|chat|auth)/", "R2 storage knows only the schema."),
    forbid("db-is-the-bottom", folder("db"), "^src/(?!db/)[^/]+/", "The schema and client import nothing of ours."),
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "src/worker-configuration[.]d[.]ts" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
