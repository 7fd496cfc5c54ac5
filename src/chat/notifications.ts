/**
 * What a notification of a new message says, for live sessions (`me.notification.created`) and the
 * Platform API's `GET /v1/users/{id}/notifications` alike: ChatKitty's wording.
 */
export const notificationText = (message: { body?: string | null | undefined; senderDisplayName?: string | undefined }) => ({
  title: message.senderDisplayName === undefined ? "System message sent" : `New message from ${message.senderDisplayName}`,
  body: message.body ?? "File attachment",
});
