/**
 * One deployment as wrangler.toml describes it: the top-level Worker, or a `[env.<name>]` of it
 * (staging, production). Read with wrangler's own config reader, so names and inheritance are
 * exactly what `wrangler deploy --env <name>` uses.
 * @example const { script, databases } = readTarget("staging") // "kitty-edge-staging", [{ binding: "DB", … }]
 */
import { join } from "node:path";
import { unstable_readConfig } from "wrangler";
import { CliError, ROOT } from "../lib.mjs";

export interface Target {
  /** The wrangler environment; undefined: the top level. */
  env: string | undefined;
  /** The Worker's name (wrangler appends `-<env>` to the top-level name). */
  script: string;
  accountId: string | undefined;
  databases: { binding: string; name: string; id: string | undefined }[];
  buckets: string[];
  /** Queues the Worker produces to or consumes, each once. */
  queues: string[];
  vars: Record<string, string>;
}

/** The part of wrangler's resolved config used here. */
interface WranglerConfig {
  name: string;
  account_id?: string;
  d1_databases: { binding: string; database_name?: string; database_id?: string }[];
  r2_buckets: { binding: string; bucket_name?: string }[];
  queues: { producers?: { queue: string }[]; consumers?: { queue: string }[] };
  vars: Record<string, unknown>;
}

export const readTarget = (env: string | undefined): Target => {
  const config: WranglerConfig = unstable_readConfig({ config: join(ROOT, "wrangler.toml"), env }, { hideWarnings: true });
  if (env !== undefined && !config.name.endsWith(`-${env}`)) {
    throw new CliError(`wrangler.toml has no [env.${env}]`);
  }
  const databases = config.d1_databases.map((db) => {
    if (!db.database_name) throw new CliError(`the D1 binding ${db.binding} in wrangler.toml has no database_name`);
    return { binding: db.binding, name: db.database_name, id: db.database_id || undefined };
  });
  const vars = Object.fromEntries(Object.entries(config.vars).map(([k, v]) => [k, String(v)]));
  return {
    env,
    script: config.name,
    accountId: config.account_id,
    databases,
    buckets: config.r2_buckets.flatMap((b) => (b.bucket_name ? [b.bucket_name] : [])),
    queues: [...new Set([...(config.queues.producers ?? []), ...(config.queues.consumers ?? [])].map((q) => q.queue))],
    vars,
  };
};
