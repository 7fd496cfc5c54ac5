/**
 * What every command of `npm run app` shares: the shape of the command tree, bad-usage errors
 * (exit 2), the options that pick the database, and the checks of option values. Limits come
 * from src/config.ts, so the CLI accepts exactly what the Worker does.
 * @example const id = requireId(values.id, usage)
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { LIMITS } from "../../src/config.ts";
import { CliError, isSqlSafe, runMain } from "../lib.mjs";

export const PROGRAM = "npm run app --";

/** Bad usage: exit code 2, with the usage of the command that was being parsed. */
export class UsageError extends CliError {
  readonly usage: string;

  constructor(message: string, usage: string) {
    super(message, { exitCode: 2 });
    this.usage = usage;
  }
}

/** Parsed options: a string option is a string or absent, a boolean option true or absent. */
export type Values = { readonly [flag: string]: string | boolean | undefined };

export interface OptionSpec {
  type: "string" | "boolean";
  /** What `--help` shows as the value (`--app <id>`); the flag's own name when absent. */
  value?: string;
  description: string;
}

/** A leaf of the command tree. `usage` is the synopsis shown under a `UsageError`. */
export interface Command {
  summary: string;
  args: string;
  options: Record<string, OptionSpec>;
  run: (values: Values, usage: string) => Promise<void>;
}

/** A group of commands (`credentials add|list|revoke`). */
export interface Group {
  summary?: string;
  commands: Record<string, Command | Group>;
}

/**
 * Runs a command line's main function (lib.mjs `runMain`); bad usage prints the message and the
 * usage, and exits with 2.
 * @example runCli(() => dispatch(process.argv.slice(2)))
 */
export const runCli = (main: () => Promise<void>): void =>
  runMain(async () => {
    try {
      await main();
    } catch (error) {
      if (error instanceof UsageError) {
        process.stderr.write(`error: ${error.message}\n\n${error.usage}`);
        process.exitCode = error.exitCode;
        return;
      }
      throw error;
    }
  });

/**
 * `parseArgs` (strict, positionals allowed) with its errors as bad usage.
 * @example const { values } = parseCommandLine({ env: { type: "string" } }, USAGE)
 */
export const parseCommandLine = <const O extends ParseArgsOptionsConfig>(options: O, usage: string, args?: string[]) => {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), usage);
  }
};

export const isCommand = (node: Command | Group): node is Command => "run" in node;

/** Options every command that touches D1 takes. */
export const TARGET_OPTIONS: Record<string, OptionSpec> = {
  remote: { type: "boolean", description: "use the deployed D1 database (needs `wrangler login` or CLOUDFLARE_API_TOKEN)" },
  local: { type: "boolean", description: "use the local D1 database of `npm run dev` (the default)" },
  "persist-to": {
    type: "string",
    value: "dir",
    description: "the local database under this folder, as `npm run dev -- --persist-to <dir>` keeps it",
  },
  env: {
    type: "string",
    value: "name",
    description: "with --remote: the database of that wrangler environment (`npm run deploy -- --env <name>`)",
  },
  json: { type: "boolean", description: "print one JSON object on stdout and nothing else" },
};

/** The `--app <id>` option of the commands that act on one application. */
export const APP_OPTION: OptionSpec = {
  type: "string",
  value: "id",
  description: "the application's id (as in /v1/applications/{id})",
};

/** `--json` output: one JSON object on one line, nothing else on stdout. */
export const printJson = (value: object): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};

/** Names as the Platform API limits them: not blank, at most LIMITS.nameLength UTF-16 code units. */
export const requireName = (name: string | boolean | undefined, usage: string): string => {
  if (typeof name !== "string") throw new UsageError("--name is required", usage);
  if (name.trim() === "") throw new UsageError("--name must not be empty or blank", usage);
  if (name.length > LIMITS.nameLength) {
    throw new UsageError(`--name must be at most ${LIMITS.nameLength} characters (got ${name.length})`, usage);
  }
  if (!isSqlSafe(name)) throw new UsageError("--name must not contain control characters", usage);
  return name;
};

// The pattern of the Worker's id path parameters (src/http/params.ts `idParam`, which keeps it
// inline and cannot be imported from Node: see scripts/tsconfig.json).
const ID_PATTERN = /^[1-9]\d{0,15}$/;

/** An application id: a positive integer, as the Platform API shows it. */
export const requireId = (id: string | boolean | undefined, usage: string, flag = "id"): number => {
  if (typeof id !== "string") throw new UsageError(`--${flag} is required`, usage);
  if (!ID_PATTERN.test(id) || !Number.isSafeInteger(Number(id))) {
    throw new UsageError(`--${flag} must be an application id (a positive integer), got ${JSON.stringify(id)}`, usage);
  }
  return Number(id);
};

const SWITCH: Record<string, boolean> = { on: true, off: false };

/** A setting that is switched with `on` or `off`. */
export const requireSwitch = (flag: string, value: string | boolean | undefined, usage: string): boolean => {
  if (typeof value !== "string") throw new UsageError(`--${flag} is required`, usage);
  const on = Object.hasOwn(SWITCH, value) ? SWITCH[value] : undefined;
  if (on === undefined) throw new UsageError(`--${flag} must be on or off, got ${JSON.stringify(value)}`, usage);
  return on;
};

/** A client id as `credentials list` prints it; any id the table holds (the demo's is `acme`). */
export const requireClientId = (clientId: string | boolean | undefined, usage: string): string => {
  if (typeof clientId !== "string") throw new UsageError("--client is required", usage);
  if (clientId === "") throw new UsageError("--client must not be empty", usage);
  if (clientId.length > LIMITS.nameLength) throw new UsageError(`--client must be at most ${LIMITS.nameLength} characters`, usage);
  if (!isSqlSafe(clientId)) throw new UsageError("--client must not contain control characters", usage);
  return clientId;
};

/** A duration in seconds as the help texts write it. @example duration(43_200) // "12 h" */
export const duration = (seconds: number): string =>
  seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;

/** Unexpected database state (not bad usage): exit code 1. */
export const notFound = (what: string, where: string): CliError => new CliError(`there is no ${what} in the ${where} database`);
