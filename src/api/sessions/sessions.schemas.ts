import { z } from "@hono/zod-openapi";
import { SESSION_SORT_PROPERTIES, SESSION_STATES } from "../../chat/queries/sessions";
import { halLinks } from "../../http/hal";
import { idParam } from "../../http/params";
import { CurrentPageQuery, numberedPage } from "../../http/pagination";
import { sortParam } from "../../http/sorting";
import { EmbeddedUser } from "../users/users.schemas";

const state = z.enum(SESSION_STATES).openapi({ description: "ACTIVE until the session ends" });
const createdTime = z.string().openapi({ format: "date-time" });
const endTime = z.string().optional().openapi({ format: "date-time", description: "When the session ended; present once ENDED" });

const userSessionFields = {
  id: z.number().int().openapi({ example: 1 }),
  user: EmbeddedUser,
  state,
  createdTime: createdTime.openapi({ description: "When the connection's CONNECT named its user" }),
  endTime,
  userAgent: z.string().optional().openapi({ description: "The User-Agent of the connection's upgrade request, if it had one" }),
};

/** ChatKitty's `ChatUserSessionProperties`: one real-time connection of a user, as a chat session embeds it. */
const UserSessionProperties = z.object(userSessionFields).openapi("UserSessionProperties");

/** ChatKitty's `ChatUserSessionResource`. */
export const UserSessionResource = z
  .object({ ...userSessionFields, _links: halLinks(["self", "user", "application"]) })
  .openapi("UserSessionResource");
export type UserSessionResource = z.infer<typeof UserSessionResource>;

/** ChatKitty's `ChatSessionResource`: a user session's presence in one channel. */
export const ChatSessionResource = z
  .object({
    id: z.number().int().openapi({ example: 1 }),
    session: UserSessionProperties,
    state,
    createdTime: createdTime.openapi({ description: "When the connection subscribed to the channel's messages" }),
    endTime,
    _links: halLinks(["session", "channel", "application"]),
  })
  .openapi("ChatSessionResource");
export type ChatSessionResource = z.infer<typeof ChatSessionResource>;

export const UserSessionPage = numberedPage("sessions", UserSessionResource).openapi("UserSessionPage");
export type UserSessionPage = z.infer<typeof UserSessionPage>;
export const ChatSessionPage = numberedPage("sessions", ChatSessionResource).openapi("ChatSessionPage");
export type ChatSessionPage = z.infer<typeof ChatSessionPage>;

export const SessionListQuery = CurrentPageQuery.extend({
  sort: sortParam(SESSION_SORT_PROPERTIES),
  state: z
    .enum(SESSION_STATES, { error: "state must be ACTIVE or ENDED" })
    .optional()
    .openapi({ param: { name: "state", in: "query" }, description: "Only sessions in this state; both when absent" }),
});

export const UserSessionParams = z.object({ sessionId: idParam("sessionId") });
