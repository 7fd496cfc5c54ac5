/**
 * Test helpers: every test makes its own application (storage is shared within a file), gets a
 * real token from `/oauth/token`, and calls the Worker through its own fetch handler.
 */
import { env, exports } from "cloudflare:workers";
import { createDb, openSession } from "../../src/db/client";
import { applications, clientCredentials } from "../../src/db/schema";
import { generateClientSecret, hashSecret } from "../../src/auth/secrets";

export const ORIGIN = "http://example.test";

export interface TestApplication {
  id: number;
  name: string;
  key: string;
  clientId: string;
  clientSecret: string;
}

/** A fresh application with one client credential, written straight to D1. */
export const newApplication = async (name = "Test App"): Promise<TestApplication> => {
  const db = createDb(openSession(env.DB));
  const key = crypto.randomUUID();
  const clientId = `test_${crypto.randomUUID()}`;
  const clientSecret = generateClientSecret();
  const app = await db.insert(applications).values({ name, key }).returning().get();
  await db.insert(clientCredentials).values({ applicationId: app.id, clientId, secretHash: await hashSecret(clientSecret) });
  return { id: app.id, name, key, clientId, clientSecret };
};

export const fetchWorker = (input: string, init?: RequestInit): Promise<Response> =>
  exports.default.fetch(new Request(input.startsWith("http") ? input : `${ORIGIN}${input}`, init));

export const basicAuth = (id: string, secret: string) => `Basic ${btoa(`${id}:${secret}`)}`;

/** A real access token for the application, from the token endpoint. */
export const tokenFor = async (app: TestApplication): Promise<string> => {
  const res = await fetchWorker("/oauth/token", {
    method: "POST",
    headers: { Authorization: basicAuth(app.clientId, app.clientSecret), "Content-Type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials",
  });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
};

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A response read whole: the body parsed as JSON when it is JSON, else left as text. */
export const readResponse = async <T = any>(res: Response): Promise<ApiResponse<T>> => {
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* leave as text */
  }
  return { status: res.status, headers: res.headers, body };
};

/** A client bound to one token: `call("POST", "/v1/...", {name: "x"})`; absolute hrefs work too. */
export const client = (token: string) => {
  const call = async <T = any>(
    method: string,
    url: string,
    json?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> =>
    readResponse<T>(
      await fetchWorker(url, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(json !== undefined ? { "Content-Type": "application/json" } : {}),
          ...headers,
        },
        body: json === undefined ? undefined : typeof json === "string" ? json : JSON.stringify(json),
      }),
    );
  return {
    call,
    get: <T = any>(url: string) => call<T>("GET", url),
    post: <T = any>(url: string, json: unknown) => call<T>("POST", url, json),
    del: <T = any>(url: string) => call<T>("DELETE", url),
  };
};

export type Client = ReturnType<typeof client>;

/** A new application with a signed-in client, plus its HAL entry points. */
export const setup = async () => {
  const app = await newApplication();
  const api = client(await tokenFor(app));
  const base = `${ORIGIN}/v1/applications/${app.id}`;
  return {
    app,
    api,
    urls: { app: base, users: `${base}/users`, channels: `${base}/channels`, messages: `${base}/messages` },
    createUser: async (name: string = `user-${crypto.randomUUID()}`) => {
      const res = await api.post(`${base}/users`, { name });
      if (res.status !== 201) throw new Error(`createUser: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    createChannel: async (type: "OPEN" | "PUBLIC" | "PRIVATE" = "PUBLIC", name = `channel-${type}`) => {
      const res = await api.post(`${base}/channels`, { type, name });
      if (res.status !== 201) throw new Error(`createChannel: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
  };
};

/** What `setup()` gives a test: its application, client, entry points and builders. */
export type Setup = Awaited<ReturnType<typeof setup>>;
