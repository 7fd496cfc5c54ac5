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
    application: app,
    users: (appId: number, q?: Query) => withQuery(`${app(appId)}/users`, q),
    user: (appId: number, userId: number) => `${app(appId)}/users/${userId}`,
    userChannels: (appId: number, userId: number, q?: Query) =>
      withQuery(`${app(appId)}/users/${userId}/channels`, q),
    channels: (appId: number, q?: Query) => withQuery(`${app(appId)}/channels`, q),
    channel: (appId: number, channelId: number) => `${app(appId)}/channels/${channelId}`,
    channelMessages: (appId: number, channelId: number, q?: Query) =>
      withQuery(`${app(appId)}/channels/${channelId}/messages`, q),
    message: (appId: number, messageId: number) => `${app(appId)}/messages/${messageId}`,
    jwks: () => `${baseUrl}/.well-known/jwks.json`,
    token: () => `${baseUrl}/oauth/token`,
  };
};

export type Links = ReturnType<typeof createLinks>;

/** The base of every href for this request: the configured public URL, else the request origin. */
export const baseUrlFor = (requestUrl: string, publicBaseUrl: string | undefined): string =>
  publicBaseUrl ?? new URL(requestUrl).origin;
