/**
 * ChatKitty's current server SDKs as the e2e suites drive them (test/e2e/platform-sdks*.test.ts):
 * `chatkitty-platform-sdk@2.4.0` and `chatkitty@2.106.8` (installed as `chatkitty-server`),
 * unmodified, configured with two settings each, and a check of every body they hand back against
 * ChatKitty's OpenAPI document.
 */
import { createReadStream, readFileSync } from "node:fs";
import { ChatKitty as PlatformSdk, ChatSessionsApi, UserSessionsApi } from "chatkitty-platform-sdk";
import NodeFormData from "form-data";
import { ChatKitty as ServerSdk } from "chatkitty-server";
import { inject } from "vitest";
import { chatKittyErrors } from "../helpers/chatkitty-document";

const baseUrl = inject("baseUrl");
const tokenUrl = `${baseUrl}/oauth/token`;

/** A client credential: the demo application's unless a test made its own. */
interface Credential {
  clientId: string;
  clientSecret: string;
}
const DEMO: Credential = { clientId: "acme", clientSecret: "acmesecret" };

/**
 * The two SDKs name their API groups differently; the calls and their arguments are the same.
 * Their TypeScript models disagree with their own wire format (spec §7.2: 2.106.8's are
 * snake_case, 2.4.0 types `properties` values as objects), so calls are made untyped.
 */
export type Untyped = any;
const platformSdk = (credential = DEMO): Untyped => {
  const sdk = new PlatformSdk({ ...credential, authorizationBasePath: tokenUrl, basePath: baseUrl });
  // 2.4.0's axios cannot send the global FormData from Node; its documented remedy is the
  // configuration's `formDataCtor` (spec §7.1), which the ChatKitty class does not pass through,
  // so it is set on the configuration its API groups share.
  const configuration = (sdk.Imports as Untyped).configuration;
  configuration.formDataCtor = NodeFormData;
  return {
    Users: sdk.Users,
    Channels: sdk.Channels,
    Messages: sdk.Messages,
    Threads: sdk.Threads,
    Imports: sdk.Imports,
    Jobs: sdk.Jobs,
    // 2.4.0 exports the session API groups but does not put them on its ChatKitty object (spec §4.5).
    UserSessions: new UserSessionsApi(configuration),
    ChatSessions: new ChatSessionsApi(configuration),
    /** `form-data` names a part after the stream's file, as a back end importing a file on disk does. */
    importFile: (file: string) => createReadStream(file),
    application: () => sdk.Application.retrieveAuthenticatedApplication(),
    settings: () => sdk.Application.retrieveAuthenticatedApplicationSettings(),
    updateSettings: (settings: Untyped) => sdk.Application.updateAuthenticatedApplicationSettings(settings),
  };
};
export const serverSdk = (credential = DEMO): Untyped => {
  const sdk = new ServerSdk({ ...credential, authorizationBasePath: tokenUrl, basePath: `${baseUrl}/v1` });
  return {
    Users: sdk.UsersApi,
    Channels: sdk.ChannelsApi,
    Messages: sdk.MessagesApi,
    Threads: sdk.ThreadsApi,
    Application: sdk.ApplicationApi,
    Imports: sdk.ImportsApi,
    Jobs: sdk.JobsApi,
    UserSessions: sdk.UserSessionsApi,
    ChatSessions: sdk.ChatSessionsApi,
    Analytics: sdk.AnalyticsApi,
    importFile: (file: string) => new Blob([readFileSync(file)], { type: "application/json" }),
    application: () => sdk.ApplicationApi.retrieveApplication(),
    settings: () => sdk.ApplicationApi.retrieveApplicationSettings(),
    updateSettings: (settings: Untyped) => sdk.ApplicationApi.updateApplicationSettings(settings),
  };
};

/** The SDK call's body (axios's `data`), after checking it against ChatKitty's schema for `operation`. */
export const shaped = async (operation: string, call: Promise<{ status: number; data: unknown }>): Promise<Untyped> => {
  const { status, data } = await call;
  const errors = chatKittyErrors(operation, status, data);
  if (errors.length > 0) throw new Error(`${operation} answered ${status} off ChatKitty's schema: ${errors.join("; ")}`);
  return data;
};

/** The status an SDK call was rejected with (axios puts it on `response`). */
export const rejection = async (call: Promise<unknown>) => {
  try {
    await call;
  } catch (e) {
    const { response } = e as { response?: { status: number; data: unknown } };
    return { status: response?.status, data: response?.data };
  }
  throw new Error("the call succeeded");
};

export const unique = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

/** The SDK pair every scenario runs with. */
export const SDKS = [
  ["chatkitty-platform-sdk@2.4.0", platformSdk],
  ["chatkitty@2.106.8", serverSdk],
] as const;

/** Polls an import job (as ChatKitty's samples do, every few hundred ms) until it ends. */
export const jobEnded = async (Jobs: Untyped, job: { id: number; state: string }) => {
  let ended = job;
  for (const deadline = Date.now() + 20_000; ended.state === "PENDING" || ended.state === "RUNNING"; ) {
    if (Date.now() > deadline) throw new Error(`import job ${job.id} still ${ended.state}`);
    await new Promise((r) => setTimeout(r, 200));
    ended = await shaped("GET /v1/jobs/{id}", Jobs.retrieveJob(job.id));
  }
  return ended as Untyped;
};
