import type { JsonObject } from "../../db/schema";
import { link } from "../../http/hal";
import type { Links } from "../../http/links";
import type { ChannelEventResource, KeystrokesResource } from "./channel-events.schemas";

/** A channel event as its sessions got it. */
export const toChannelEventResource = (
  applicationId: number,
  channelId: number,
  event: { type: string; properties: JsonObject },
  links: Links,
): ChannelEventResource => ({
  type: event.type,
  properties: event.properties,
  _links: { channel: link(links.channel(applicationId, channelId)), application: link(links.application(applicationId)) },
});

/** Keystrokes as the channel's sessions got them; a channel's keystrokes are its MAIN thread's (same id). */
export const toKeystrokesResource = (
  applicationId: number,
  channelId: number,
  { user, keys }: { user: { id: number; name: string }; keys: string },
  links: Links,
): KeystrokesResource => ({
  keys,
  username: user.name,
  _links: {
    user: link(links.user(applicationId, user.id)),
    thread: link(links.thread(channelId)),
    channel: link(links.channel(applicationId, channelId)),
    application: link(links.application(applicationId)),
  },
});
