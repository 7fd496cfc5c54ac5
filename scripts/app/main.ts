/**
 * `npm run app -- <command>`: manage applications and their client credentials in D1, locally
 * (the database `npm run dev` serves) or in the deployed database with `--remote`. The running
 * server sees credential changes at once: it reads credentials from D1 on every token request.
 * A raised token epoch (`tokens revoke-all`) reaches every Worker isolate within
 * TOKEN_EPOCH_TTL_SECONDS: isolates cache epochs so that authenticating needs no D1 query.
 *
 * Commands are a tree (`COMMANDS`): a node either has `run` (a command) or `commands` (a group,
 * e.g. `credentials add|list|revoke`), so adding one is adding an entry. Each command lives in
 * the module of what it manages (applications.ts, credentials.ts, tokens.ts); statements are
 * built with Drizzle over src/db/schema.ts and run through wrangler (d1.ts).
 *
 * Runs as TypeScript on Node 22's type stripping: relative imports name their `.ts` file, and
 * only erasable syntax is used (no enums, namespaces or parameter properties).
 * @example npm run app -- create --name "My App" --json
 * @example npm run app -- update --id 2 --authenticated-sessions on
 * @example npm run app -- credentials revoke --client ck_0123456789abcdef01234567
 */
import { parseArgs } from "node:util";
import { create, update } from "./applications.ts";
import { PROGRAM, UsageError, isCommand, runCli, type Command, type Group, type OptionSpec, type Values } from "./cli.ts";
import { credentials } from "./credentials.ts";
import { tokens } from "./tokens.ts";

const COMMANDS: Group = { commands: { create, update, credentials, tokens } };

const optionsHelp = (options: Record<string, OptionSpec>) => {
  const rows = Object.entries(options)
    .map(([flag, o]) => [`${flag}${o.type === "string" ? ` <${o.value ?? flag}>` : ""}`, o.description] as const)
    .concat([["help", "show this help"]]);
  const width = Math.max(16, ...rows.map(([synopsis]) => synopsis.length));
  return rows.map(([synopsis, description]) => `  --${synopsis.padEnd(width)} ${description}`).join("\n");
};

const usageOf = (path: readonly string[], node: Command | Group) => {
  const prefix = [PROGRAM, ...path].join(" ");
  if (isCommand(node)) {
    return `Usage: ${prefix} ${node.args}\n\n${node.summary}.\n\nOptions:\n${optionsHelp(node.options)}\n`;
  }
  const width = Math.max(...Object.keys(node.commands).map((n) => n.length));
  const list = Object.entries(node.commands)
    .map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary ?? (isCommand(c) ? "" : `(${Object.keys(c.commands).join(", ")})`)}`)
    .join("\n");
  return `Usage: ${prefix} <command> [options]\n\nCommands:\n${list}\n\nRun \`${prefix} <command> --help\` for a command's options.\n`;
};

/** Walks argv down the command tree, then parses the remaining arguments as the command's options. */
const dispatch = async (argv: readonly string[]) => {
  const path: string[] = [];
  let node: Command | Group = COMMANDS;
  let rest = argv;
  while (!isCommand(node)) {
    const [word, ...tail] = rest;
    const usage = usageOf(path, node);
    if (word === undefined) throw new UsageError(`missing command`, usage);
    if (word === "--help" || word === "-h" || word === "help") {
      process.stdout.write(usage);
      return;
    }
    const next: Command | Group | undefined = Object.hasOwn(node.commands, word) ? node.commands[word] : undefined;
    if (!next) throw new UsageError(`unknown command "${[...path, word].join(" ")}"`, usage);
    path.push(word);
    node = next;
    rest = tail;
  }

  // Option errors show the synopsis only; the full option list is one `--help` away.
  const prefix = [PROGRAM, ...path].join(" ");
  const usage = `Usage: ${prefix} ${node.args}\nRun \`${prefix} --help\` for the options.\n`;
  let values: Values;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      options: {
        ...Object.fromEntries(Object.entries(node.options).map(([flag, o]) => [flag, { type: o.type }])),
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }) as { values: Values });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), usage);
  }
  if (values.help) {
    process.stdout.write(usageOf(path, node));
    return;
  }
  await node.run(values, usage);
};

runCli(() => dispatch(process.argv.slice(2)));
