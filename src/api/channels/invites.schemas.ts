import { z } from "@hono/zod-openapi";
import { jsonObject } from "../../http/fields";
import { halLinks } from "../../http/hal";
import { CurrentPageQuery, numberedPage } from "../../http/pagination";
import { sortParam } from "../../http/sorting";
import { CurrentAddMemberBody } from "./channels.schemas";

/** ChatKitty's `ChannelInviteResource`: when a user was invited to a channel. */
export const ChannelInviteResource = z
  .object({
    createdTime: z.string().openapi({ format: "date-time", description: "When the user was invited" }),
    _links: halLinks(["invitee", "channel", "application"]),
  })
  .openapi("ChannelInviteResource");
export type ChannelInviteResource = z.infer<typeof ChannelInviteResource>;

export const ChannelInvitePage = numberedPage("invites", ChannelInviteResource).openapi("ChannelInvitePage");
export type ChannelInvitePage = z.infer<typeof ChannelInvitePage>;

/** ChatKitty's `CreateChannelInviteResource`: the user to invite, by `{id}` or `{username}`. */
export const CreateChannelInviteBody = jsonObject({ user: CurrentAddMemberBody }).openapi("CreateChannelInviteResource");

export const InviteListQuery = CurrentPageQuery.extend({ sort: sortParam(["createdTime"]) });
