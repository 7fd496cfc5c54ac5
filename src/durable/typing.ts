/**
 * Typing indicators of one channel (stompx-current.md §7.2), derived from keystrokes in its room:
 * a user starts typing with their first non-empty keystrokes and stops when they send a message,
 * send empty keys, or send nothing for `TYPING_TIMEOUT_MS`. Memory only: typing is ephemeral, and
 * a room evicted meanwhile simply forgets who was typing (clients time indicators out themselves).
 */
import type { Delivery } from "../chat/live";
import type { UserRow } from "../chat/queries/users";
import { envelope, toUser } from "../realtime/current-presenters";

const TYPING_TIMEOUT_MS = 5000;
/** Typists tracked per room; past it new typists get no indicator (their keystrokes still go out). */
const MAX_TYPISTS = 1000;

type Send = (channelId: number, delivery: Delivery) => Promise<void>;

export class Typing {
  private readonly typists = new Map<number, { user: UserRow; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly send: Send) {}

  /** The user sent keystrokes: typing starts (once) and its timeout restarts. */
  async typed(channelId: number, user: UserRow) {
    const known = this.typists.get(user.id);
    if (known) clearTimeout(known.timer);
    else if (this.typists.size >= MAX_TYPISTS) return;
    const timer = setTimeout(() => void this.stopped(channelId, user.id), TYPING_TIMEOUT_MS);
    this.typists.set(user.id, { user, timer });
    if (!known) await this.send(channelId, typingEvent("thread.typing.started", user));
  }

  /** The user stopped typing (sent a message, cleared the input, went quiet, left); no-op if they were not. */
  async stopped(channelId: number, userId: number) {
    const known = this.typists.get(userId);
    if (!known) return;
    clearTimeout(known.timer);
    this.typists.delete(userId);
    await this.send(channelId, typingEvent("thread.typing.stopped", known.user));
  }
}

/** Only the current dialect has typing events; the typist's own connections do not get them. */
const typingEvent = (type: string, user: UserRow): Delivery => ({
  current: { topic: "typing", event: envelope(type, toUser(user)) },
  signal: true,
  exceptUserId: user.id,
});
