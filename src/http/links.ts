/**
 * The only module that knows URL paths. Every href is absolute, built from the configured public
 * base URL or else the origin the request came in on (contract §1).
 */
export type Query = Record<string, string | number | undefined>;

const withQuery = (href: string, query?: Query): string => {
  if (!query) return href;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${href}?${qs}` : href;
};

/** @example createLinks("http://localhost:8787").user(1, 2) // ".../v1/applications/1/users/2" */
export const createLinks = (baseUrl: string) => {
  const app = (appId: number) => `${baseUrl}/v1/applications/${appId}`;
  return {
    base: baseUrl,
    withQuery,
    root: () => `${baseUrl}/v1`,
    currentApplication: () => `${baseUrl}/v1/applications/me`,
    /** The settings exist only in the current (token-scoped) form: no 2020 twin to link to. */
    applicationSettings: () => `${baseUrl}/v1/application/settings`,
    application: app,
    users: (appId: number, q?: Query) => withQuery(`${app(appId)}/users`, q),
    /** RFC 6570 template of the users search (`find:users`). */
    findUsers: (appId: number) => `${app(appId)}/users{?page,size,name}`,
    user: (appId: number, userId: number) => `${app(appId)}/users/${userId}`,
    userChannels: (appId: number, userId: number, q?: Query) => withQuery(`${app(appId)}/users/${userId}/channels`, q),
    userTokens: (appId: number, userId: number, q?: Query) => withQuery(`${app(appId)}/users/${userId}/tokens`, q),
    userToken: (appId: number, userId: number, token: string) => `${app(appId)}/users/${userId}/tokens/${encodeURIComponent(token)}`,
    channels: (appId: number, q?: Query) => withQuery(`${app(appId)}/channels`, q),
    /** RFC 6570 template of the channels search (`find:channels`). */
    findChannels: (appId: number) => `${app(appId)}/channels{?page,size,direct,members}`,
    channel: (appId: number, channelId: number) => `${app(appId)}/channels/${channelId}`,
    channelMessages: (appId: number, channelId: number, q?: Query) => withQuery(`${app(appId)}/channels/${channelId}/messages`, q),
    channelMembers: (appId: number, channelId: number, q?: Query) => withQuery(`${app(appId)}/channels/${channelId}/members`, q),
    channelMember: (appId: number, channelId: number, userId: number) => `${app(appId)}/channels/${channelId}/members/${userId}`,
    messages: (appId: number, q?: Query) => withQuery(`${app(appId)}/messages`, q),
    message: (appId: number, messageId: number) => `${app(appId)}/messages/${messageId}`,
    /**
     * Collections of the current (token-scoped) form, for its page links. Resources keep their
     * 2020 hrefs in both forms, as ChatKitty's own do (spec platform-api-current.md §3.1).
     */
    currentUsers: () => `${baseUrl}/v1/users`,
    currentUserChannels: (userId: number) => `${baseUrl}/v1/users/${userId}/channels`,
    currentUserMessages: (userId: number) => `${baseUrl}/v1/users/${userId}/messages`,
    currentUserNotifications: (userId: number) => `${baseUrl}/v1/users/${userId}/notifications`,
    currentChannels: () => `${baseUrl}/v1/channels`,
    /** A current-form channel collection. */
    currentChannelList: (channelId: number, list: "members" | "memberships" | "moderators" | "messages" | "participants" | "invites") =>
      `${baseUrl}/v1/channels/${channelId}/${list}`,
    currentMessages: () => `${baseUrl}/v1/messages`,
    /** Threads exist only in the current form: no 2020 twin to link to. */
    thread: (threadId: number) => `${baseUrl}/v1/threads/${threadId}`,
    threadMessages: (threadId: number) => `${baseUrl}/v1/threads/${threadId}/messages`,
    /** Read receipts exist only in the current form: no 2020 twin to link to. */
    messageReadReceipts: (messageId: number) => `${baseUrl}/v1/messages/${messageId}/read-receipts`,
    /** Jobs exist only in the current form: no 2020 twin to link to. */
    currentJobs: () => `${baseUrl}/v1/jobs`,
    currentUnreadSummaries: () => `${baseUrl}/v1/application/message-read-receipt-summaries`,
    /** Sessions exist only in the current form: no 2020 twin to link to. */
    userSessions: () => `${baseUrl}/v1/user-sessions`,
    userSession: (sessionId: number) => `${baseUrl}/v1/user-sessions/${sessionId}`,
    chatSessions: () => `${baseUrl}/v1/chat-sessions`,
    job: (jobId: number) => `${baseUrl}/v1/jobs/${jobId}`,
    jwks: () => `${baseUrl}/.well-known/jwks.json`,
    token: () => `${baseUrl}/oauth/token`,
  };
};

export type Links = ReturnType<typeof createLinks>;

/** The base of every href for this request: the configured public URL, else the request origin. */
export const baseUrlFor = (requestUrl: string, publicBaseUrl: string | undefined): string => publicBaseUrl ?? new URL(requestUrl).origin;

/**
 * The user id an absolute user `self` href names, when it is a user of `appId` on this API
 * (any origin: clients may have fetched it through another host name). Undefined otherwise.
 * @example userIdFromHref("https://x/v1/applications/1/users/7", 1) // 7
 */
export const userIdFromHref = (href: string, appId: number): number | undefined => {
  let path: string;
  try {
    path = new URL(href).pathname;
  } catch {
    return undefined;
  }
  const m = /^\/v1\/applications\/([1-9]\d{0,15})\/users\/([1-9]\d{0,15})$/.exec(path);
  if (!m || Number(m[1]) !== appId) return undefined;
  const id = Number(m[2]);
  return Number.isSafeInteger(id) ? id : undefined;
};
