/**
 * Messages posted and read through the Platform API, for the message tests: posting bodies in
 * order, numbered bodies, and following a cursor page's `next` links to the end.
 */
import type { ChannelResource } from "../../src/api/channels/channels.schemas";
import { MessagePage, MessageResource } from "../../src/api/messages/messages.schemas";
import type { Client } from "./api";

/** Posts `bodies` one after another; returns the created messages in posting order. */
export const postAll = async (api: Client, channel: ChannelResource, bodies: string[]) => {
  const out: MessageResource[] = [];
  for (const body of bodies) {
    const res = await api.post(channel._links.messages.href, { body });
    if (res.status !== 201) throw new Error(`post: ${res.status} ${JSON.stringify(res.body)}`);
    out.push(MessageResource.parse(res.body));
  }
  return out;
};

export const bodiesOf = (n: number, prefix = "m") => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

/** Follows `next` links from `href`; returns every page (capped, so a loop cannot hang the test). */
export const walk = async (api: Client, href: string, maxPages = 20) => {
  const pages: MessagePage[] = [];
  let next: string | undefined = href;
  while (next && pages.length < maxPages) {
    const res = await api.get(next);
    if (res.status !== 200) throw new Error(`walk: ${res.status} ${JSON.stringify(res.body)}`);
    const page = MessagePage.parse(res.body);
    pages.push(page);
    next = page._links.next?.href;
  }
  return pages;
};
