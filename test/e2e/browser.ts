/**
 * Finds a Chromium for the browser tests without asking the machine for anything `npm install`
 * did not bring: `CHROMIUM_PATH` when set, else a system Chrome or Chromium (Debian, Ubuntu,
 * macOS), else the one inside the `@sparticuz/chromium` devDependency (Linux only; unpacked
 * into the temp folder on first use). Driven by playwright-core, which downloads no browser.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

const SYSTEM_BROWSERS = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

// Without the background-networking flags Chromium keeps dialing Google's hosts, which a closed
// network refuses many times a second.
const COMMON_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// The packaged build's own flags, less those that weaken the web's security model: pages under
// test run with the same-origin policy a user's browser enforces.
const WEAKENING = new Set(["--disable-web-security", "--allow-running-insecure-content"]);

interface ChromiumChoice {
  executablePath: string;
  args: string[];
  source: "CHROMIUM_PATH" | "system" | "@sparticuz/chromium";
}

const findChromium = async (): Promise<ChromiumChoice> => {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`CHROMIUM_PATH is set to ${explicit}, which does not exist`);
    return { executablePath: explicit, args: COMMON_ARGS, source: "CHROMIUM_PATH" };
  }
  const system = SYSTEM_BROWSERS.find((p) => existsSync(p));
  if (system) return { executablePath: system, args: COMMON_ARGS, source: "system" };
  if (process.platform !== "linux") {
    throw new Error("No Chrome or Chromium found: install one, or set CHROMIUM_PATH to its executable");
  }
  const { default: packaged } = await import("@sparticuz/chromium");
  const args = [...new Set([...packaged.args.filter((a) => !WEAKENING.has(a)), ...COMMON_ARGS.filter((a) => a !== "--headless")])];
  return { executablePath: await packaged.executablePath(), args, source: "@sparticuz/chromium" };
};

export const launchChromium = async (): Promise<Browser> => {
  const { executablePath, args } = await findChromium();
  return chromium.launch({ executablePath, args, timeout: 60_000 });
};
