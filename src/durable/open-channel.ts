/**
 * One `OpenChannel` object per OPEN channel. Open channels are Twitch-style chats whose messages
 * are ephemeral by contract: they live only in this object's memory and are never written to D1
 * or to Durable Object storage (`ctx.storage` is deliberately never touched). When the object is
 * evicted or restarted the backlog is gone; that is the promise open channels make.
 *
 * Memory stays flat whatever the traffic: the object keeps only the newest
 * `OPEN_CHANNEL_MESSAGE_LIMIT` messages (default 100) and drops the oldest first.
 */
import { DurableObject } from "cloudflare:workers";
import { readConfig } from "../config";

export interface EphemeralMessage {
  /** Position in this object's stream; a cursor key, never shown as an id. */
  seq: number;
  type: "SYSTEM_TEXT" | "TEXT";
  body: string;
  createdTime: string;
  userId?: number;
}

export type NewEphemeralMessage = Omit<EphemeralMessage, "seq" | "createdTime">;

export class OpenChannel extends DurableObject<Env> {
  private readonly limit = readConfig(this.env).openChannelMessageLimit;
  private messages: EphemeralMessage[] = [];
  // Sequence numbers and timestamps only increase, even if the clock steps back, so cursors and
  // ordering stay stable.
  private lastSeq = 0;
  private lastTime = 0;

  /** Appends a message, dropping the oldest beyond the bound. */
  async post(message: NewEphemeralMessage): Promise<EphemeralMessage> {
    this.lastTime = Math.max(Date.now(), this.lastTime + 1);
    const stored: EphemeralMessage = { ...message, seq: ++this.lastSeq, createdTime: new Date(this.lastTime).toISOString() };
    this.messages.push(stored);
    if (this.messages.length > this.limit) this.messages.splice(0, this.messages.length - this.limit);
    return stored;
  }

  /** Up to `count` messages with `seq <= atMost` (all when undefined), newest first. */
  async list(atMost: number | undefined, count: number): Promise<EphemeralMessage[]> {
    const out: EphemeralMessage[] = [];
    for (let i = this.messages.length - 1; i >= 0 && out.length < count; i--) {
      const m = this.messages[i]!;
      if (atMost === undefined || m.seq <= atMost) out.push(m);
    }
    return out;
  }

  /** Forgets every message: the channel was deleted. */
  async clear(): Promise<void> {
    this.messages = [];
  }

  /** How many messages are held; for tests and monitoring. */
  async size(): Promise<number> {
    return this.messages.length;
  }
}

/** The one place that names an open channel's object. @example await openChannelStub(env, 1, 7).post(msg) */
export const openChannelStub = (env: Env, applicationId: number, channelId: number) =>
  env.OPEN_CHANNELS.get(env.OPEN_CHANNELS.idFromName(`${applicationId}:${channelId}`));
