/**
 * Builders and readers shared by the users and channels API tests: users made one after another,
 * DIRECT channels, a channel's members and a page's channel ids, and the expansion of the API's
 * templated links (`find:users`, `find:channels`).
 */
import { ChannelPage, type ChannelResource } from "../../src/api/channels/channels.schemas";
import { UserPage, UserResource } from "../../src/api/users/users.schemas";
import type { ApiResponse, Setup } from "./api";

/**
 * Expands the one RFC 6570 form-style query expression (`{?a,b,c}`) at the end of a template:
 * defined variables only, in the template's order, values percent-encoded (level 1 encoding).
 */
export const expand = (template: string, vars: Record<string, string | number | boolean | undefined>) => {
  const m = /^([^{}]*)\{\?([\w,]+)\}$/.exec(template);
  if (!m) throw new Error(`not a {?...} template: ${template}`);
  const pairs = m[2]!
    .split(",")
    .filter((k) => vars[k] !== undefined)
    .map((k) => `${k}=${encodeURIComponent(String(vars[k])).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`);
  return pairs.length ? `${m[1]}?${pairs.join("&")}` : m[1]!;
};

/** Creates `n` users one after another (so ids ascend in this order) and returns them. */
export const createUsers = async (createUser: (name?: string) => Promise<any>, n: number, label = "u") => {
  const out: UserResource[] = [];
  for (let i = 0; i < n; i++) out.push(UserResource.parse(await createUser(`${label}${i}-${crypto.randomUUID()}`)));
  return out;
};

/** `n` users of the application, in creation order. */
export const users = (s: Setup, n: number, label = "u") => createUsers(s.createUser, n, label);

export const hrefs = (us: UserResource[]) => us.map((u) => u._links.self.href);

export const createDirect = (s: Setup, members: unknown[], extra: Record<string, unknown> = {}) =>
  s.api.post<ChannelResource>(s.urls.channels, { type: "DIRECT", members, ...extra });

/** Every member of a channel, following the members page's next links. */
export const allMembers = async (s: Setup, channel: ChannelResource) => {
  const ids: number[] = [];
  let href: string | undefined = channel._links.members!.href;
  for (let i = 0; href && i < 20; i++) {
    const page = UserPage.parse((await s.api.get(href)).body);
    ids.push(...page._embedded.users.map((u) => u.id));
    href = page._links.next?.href;
  }
  return ids;
};

export const channelIds = (res: ApiResponse) => ChannelPage.parse(res.body)._embedded.channels.map((c) => c.id);
