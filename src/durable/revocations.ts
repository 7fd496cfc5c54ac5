/**
 * What a session shard remembers of recent revocations (in memory): a counter, so a subscription
 * checked against D1 while a revocation ran is checked again before it is registered, and when
 * each `user:channel` access was revoked, so a notification whose members were read before the
 * revocation is held back.
 */

/** A revocation older than this no longer holds back a notification (members are re-read per message). */
const REVOCATION_MEMORY_MS = 60_000;
/** Allowance for the clocks of two Durable Objects on different machines. */
const CLOCK_SKEW_MS = 1_000;

export class Revocations {
  /** Bumped by every revocation of any kind. */
  count = 0;
  private readonly revokedAt = new Map<string, number>();

  /** A user's sessions were ended (deleted user, revoked token): nothing to remember per channel. */
  sessionsEnded() {
    this.count++;
  }

  /** The user lost access to the channel now. */
  channelRevoked(userId: number, channelId: number) {
    this.count++;
    const now = Date.now();
    for (const [key, at] of this.revokedAt) if (at < now - REVOCATION_MEMORY_MS) this.revokedAt.delete(key);
    this.revokedAt.set(`${userId}:${channelId}`, now);
  }

  /** Whether the user's access to the channel was revoked after (or about when) `membersReadAt`. */
  revokedSince(userId: number, channelId: number, membersReadAt: number) {
    const revoked = this.revokedAt.get(`${userId}:${channelId}`);
    return revoked !== undefined && revoked >= membersReadAt - CLOCK_SKEW_MS;
  }
}
