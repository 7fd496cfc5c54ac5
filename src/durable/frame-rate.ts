/**
 * The frame budget of a chat-session connection: at most `limit` frames per 10 s window
 * (`RATE_LIMIT_SESSION_FRAMES_PER_10S`), counted in the session shard's memory. Every frame after
 * CONNECT counts; past the budget, SEND and SUBSCRIBE frames are refused with a
 * `TooManyRequestsError` on the errors queue, correlated like any other failure (stompx-protocol
 * §3.5), and not performed. Everything else still runs: UNSUBSCRIBE and DISCONNECT only release
 * things, and closing or stalling the connection would start the SDK's reconnect loop.
 *
 * Counts never touch storage (a frame must stay cheap), so a shard evicted from memory forgets
 * them; it was evicted because its connections were idle, so there was nothing to limit.
 * @example const budget = new FrameRate(300); const refusal = budget.check(conn, frame);
 */
import { ChatError } from "../chat/errors";
import type { Frame } from "../realtime/stomp";

const WINDOW_MS = 10_000;
// One window per live connection; past this many, windows that already ended are dropped.
const MAX_TRACKED = 10_000;

export class FrameRate {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs = WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a frame of connection `conn`; a refusal to report when it is a SEND or SUBSCRIBE over the budget. */
  check(conn: string, frame: Frame): { error: ChatError; correlation: Record<string, string> } | undefined {
    const now = this.now();
    let window = this.windows.get(conn);
    if (!window || now - window.start >= this.windowMs) {
      if (!window && this.windows.size >= MAX_TRACKED) this.prune(now);
      window = { start: now, count: 0 };
      this.windows.set(conn, window);
    }
    window.count++;
    if (window.count <= this.limit || (frame.command !== "SEND" && frame.command !== "SUBSCRIBE")) return undefined;
    const { id, receipt } = frame.headers;
    const retryAfter = Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000));
    return {
      error: new ChatError(
        "TooManyRequestsError",
        `A chat session may send at most ${this.limit} frames per ${this.windowMs / 1000} s; retry in ${retryAfter} s`,
      ),
      correlation: {
        ...(frame.command === "SUBSCRIBE" && id ? { "subscription-id": id } : {}),
        ...(receipt ? { "receipt-id": receipt } : {}),
      },
    };
  }

  /** Drops a closed connection's window. */
  forget(conn: string) {
    this.windows.delete(conn);
  }

  private prune(now: number) {
    for (const [conn, window] of this.windows) {
      if (now - window.start >= this.windowMs) this.windows.delete(conn);
    }
  }
}
