/**
 * The Platform API as a back office uses it next to the SDK e2e suites: OAuth client credentials,
 * then JSON requests with the bearer token. Loads no SDK, so the suites of either SDK version can
 * share it (test/e2e/sdk.ts predates it and keeps its own copy, which also loads chatkitty@1.1.1).
 *
 * `createApplication` runs the application CLI (`npm run app`) on the dev server's own database,
 * the only way to get a second application: the Platform API is per application.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { inject } from "vitest";

const baseUrl = inject("baseUrl");
/** What the SDKs take as `host`: `127.0.0.1:<port>` of the dev server. */
export const host = new URL(baseUrl).host;

const root = path.resolve(import.meta.dirname, "../..");

interface PlatformResponse {
  status: number;
  body: any;
}

export interface Platform {
  /** The application the credentials belong to (`GET /v1/applications/me`). */
  application: { id: number; key: string; requireAuthenticatedSessions: boolean; _links: Record<string, { href: string }> };
  /** `${baseUrl}/v1/applications/{id}`. */
  appUrl: string;
  call: (method: string, url: string, body?: unknown) => Promise<PlatformResponse>;
}

/** Signs in with client credentials and reads the application they belong to. */
const signIn = async (clientId: string, clientSecret: string): Promise<Platform> => {
  const res = await fetch(`${baseUrl}/oauth/token`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  if (res.status !== 200) throw new Error(`token for ${clientId}: ${res.status} ${await res.text()}`);
  const token = ((await res.json()) as { access_token: string }).access_token;

  const call = async (method: string, url: string, body?: unknown): Promise<PlatformResponse> => {
    const answer = await fetch(url.startsWith("http") ? url : `${baseUrl}${url}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await answer.text();
    return { status: answer.status, body: text ? JSON.parse(text) : undefined };
  };

  const me = await call("GET", "/v1/applications/me");
  if (me.status !== 200 || typeof me.body?.key !== "string") throw new Error(`applications/me: ${me.status} ${JSON.stringify(me.body)}`);
  return { application: me.body, appUrl: `${baseUrl}/v1/applications/${me.body.id}`, call };
};

/** The demo application the dev server seeds (client acme / acmesecret). */
export const demoPlatform = () => signIn("acme", "acmesecret");

/**
 * A new application with its own credentials, created by the application CLI on the dev server's
 * database (what the CLI writes is what the Worker serves), signed in.
 */
export const createApplication = async (name: string): Promise<Platform> => {
  const stdout = execFileSync(
    process.execPath,
    ["scripts/app/main.ts", "create", "--name", name, "--json", "--persist-to", inject("statePath")],
    { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  const created = JSON.parse(stdout) as { clientId: string; clientSecret: string };
  return signIn(created.clientId, created.clientSecret);
};

/** A user of the platform's application, created through the Platform API. */
export const createUser = async (platform: Platform, name: string) => {
  const created = await platform.call("POST", `${platform.appUrl}/users`, { name });
  if (created.status !== 201) throw new Error(`POST users ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body as { id: number; name: string; _links: Record<string, { href: string }> };
};

/** A challenge token of that user (what `startSession({authParams: {token}})` presents). */
export const createChallengeToken = async (platform: Platform, user: { _links: Record<string, { href: string }> }) => {
  const issued = await platform.call("POST", user._links.tokens!.href);
  if (issued.status !== 201) throw new Error(`POST tokens: ${issued.status} ${JSON.stringify(issued.body)}`);
  return issued.body.token as string;
};
