/**
 * What a session shard holds for connections that read slower than events arrive. A socket
 * takes frames while the runtime's own send buffer for it (`bufferedAmount`) is under
 * `SOCKET_HIGH_WATER_BYTES` and, for a connection that acknowledges its events, while fewer than
 * `ACK_WINDOW` of them wait for their ACK; past either, frames wait here, at most `BACKLOG_BYTES`
 * per connection, and a timer (or the next ACK) hands them over. Memory stays bounded whatever
 * the clients do.
 *
 * The ACK window is the signal that works: the runtime moves written frames out of
 * `bufferedAmount` into buffers of its own, so a reader that stopped is invisible there, while
 * current SDK clients (`ack:client-individual`, stompx-current.md §3.3) ACK each event once their
 * handler ran. A subscription counts once it sent its first ACK, so a client that subscribed with
 * `ack:auto` is never held back. When a backlog is full (docs/scaling.md, "Slow consumers"):
 *
 * - an OPEN channel's message (ephemeral by contract) is dropped, oldest first, and the client is
 *   told how many with a `channel.messages.dropped` event before what follows; a channel event or
 *   keystrokes (never stored) is dropped the same way, without a notice;
 * - anything else (persisted messages, results, receipts) cannot be skipped silently: the
 *   connection ends with a `SlowConsumerError` ERROR frame, and the client reconnects and fetches
 *   what it missed.
 */

/** Bytes the runtime may buffer for one socket before frames wait in the backlog instead. */
const SOCKET_HIGH_WATER_BYTES = 64 * 1024;
/** Bytes of frames one connection's backlog holds before the slow-consumer policy applies. */
const BACKLOG_BYTES = 64 * 1024;
const DRAIN_EVERY_MS = 10;
/** Events a connection may have unacknowledged (on subscriptions that ACK) before the rest wait here. */
const ACK_WINDOW = 256;
/** Subscriptions per connection whose ACKs are tracked: more than a session makes, a bound all the same. */
const MAX_ACKING_SUBSCRIPTIONS = 256;

/** A frame that may be dropped under pressure: an OPEN channel's message to a watcher. */
export interface Droppable {
  channelId: number;
  /** The watcher's subscription to the channel's messages, which carries the drop notice. */
  sid: string;
  destination: string;
  /** A signal (a channel event, keystrokes): nothing to fetch back, so dropped without a notice. */
  unannounced?: true;
}

interface Pending {
  frame: string;
  droppable: Droppable | undefined;
  /** The frame is an event on a subscription that ACKs: sending it opens one more in the window. */
  awaitsAck: boolean;
}

/** A connection's subscriptions that ACK, and how many of their events wait for an ACK. */
interface AckWindow {
  sids: Set<string>;
  unacked: number;
}

interface Backlog {
  frames: Pending[];
  bytes: number;
  /** Per channel: how many of its messages were dropped, and where to tell the client. */
  dropped: Map<number, { count: number; to: Droppable }>;
}

export interface OutboxHooks {
  socketOf(conn: string): WebSocket | undefined;
  /** The frame that tells a watcher `count` messages of a channel were dropped. */
  dropNotice(conn: string, to: Droppable, count: number): string;
  /** The connection fell behind on frames that cannot be dropped: end it. */
  slowConsumer(ws: WebSocket): void;
}

interface OutboxLimits {
  highWaterBytes: number;
  backlogBytes: number;
  ackWindow: number;
}

const DEFAULT_LIMITS: OutboxLimits = { highWaterBytes: SOCKET_HIGH_WATER_BYTES, backlogBytes: BACKLOG_BYTES, ackWindow: ACK_WINDOW };

/** A socket's bytes still buffered by the runtime (0 where the runtime does not report it). */
const buffered = (ws: WebSocket) => ws.bufferedAmount ?? 0;

export class Outbox {
  private readonly backlogs = new Map<string, Backlog>();
  private readonly windows = new Map<string, AckWindow>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Totals since the object started: what the slow-consumer policy did (for tests and logs). */
  readonly stats = { dropped: 0, slowConsumers: 0 };

  private readonly limits: OutboxLimits;

  /** `limits`: smaller bounds for tests; what is not given is the default. */
  constructor(
    private readonly hooks: OutboxHooks,
    limits: Partial<OutboxLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /**
   * Writes a frame now, or queues it behind the connection's backlog. `sid`: the subscription an
   * event goes to, which holds it back in the ACK window once that subscription ACKs.
   */
  write(conn: string, ws: WebSocket, frame: string, droppable?: Droppable, sid?: string) {
    const backlog = this.backlogs.get(conn);
    const awaitsAck = sid !== undefined && this.windows.get(conn)?.sids.has(sid) === true;
    if (!backlog && this.hasRoom(conn, ws)) return this.send(conn, ws, { frame, droppable, awaitsAck });
    const box = backlog ?? this.open(conn);
    box.frames.push({ frame, droppable, awaitsAck });
    box.bytes += frame.length;
    while (box.bytes > this.limits.backlogBytes) {
      if (!this.dropOldest(box)) return this.disconnect(conn, ws);
    }
    this.schedule();
  }

  /** Ends a connection that fell behind on frames that cannot be skipped. */
  disconnect(conn: string, ws: WebSocket) {
    this.stats.slowConsumers++;
    this.backlogs.delete(conn);
    this.hooks.slowConsumer(ws);
  }

  /** Tells a watcher, in order with its other frames, that messages of a channel were skipped upstream. */
  noteDropped(conn: string, ws: WebSocket, to: Droppable, count: number) {
    this.stats.dropped += count;
    this.write(conn, ws, this.hooks.dropNotice(conn, to, count));
  }

  /** The client handled an event of subscription `sid`: one fewer waits, and that subscription counts from now on. */
  acked(conn: string, sid: string) {
    let window = this.windows.get(conn);
    if (!window) {
      window = { sids: new Set(), unacked: 0 };
      this.windows.set(conn, window);
    }
    if (window.sids.size < MAX_ACKING_SUBSCRIPTIONS) window.sids.add(sid);
    window.unacked = Math.max(0, window.unacked - 1);
    if (this.backlogs.has(conn)) this.schedule();
  }

  /** Events sent to the connection that still wait for their ACK (0 when it never ACKed). */
  unacked(conn: string): number {
    return this.windows.get(conn)?.unacked ?? 0;
  }

  /** Forgets a closed connection's backlog and ACK window. */
  forget(conn: string) {
    this.backlogs.delete(conn);
    this.windows.delete(conn);
  }

  /** Bytes waiting for one connection (0 when none). */
  backlogBytes(conn: string): number {
    return this.backlogs.get(conn)?.bytes ?? 0;
  }

  /** Whether the connection may take a frame now: the runtime buffers little for it and its ACK window is open. */
  private hasRoom(conn: string, ws: WebSocket): boolean {
    return buffered(ws) < this.limits.highWaterBytes && this.unacked(conn) < this.limits.ackWindow;
  }

  private send(conn: string, ws: WebSocket, { frame, awaitsAck }: Pending) {
    const window = awaitsAck ? this.windows.get(conn) : undefined;
    if (window) window.unacked++;
    send(ws, frame);
  }

  private open(conn: string): Backlog {
    const box: Backlog = { frames: [], bytes: 0, dropped: new Map() };
    this.backlogs.set(conn, box);
    return box;
  }

  /** Drops the oldest droppable frame; false when there is none (nothing may be skipped). */
  private dropOldest(box: Backlog): boolean {
    const index = box.frames.findIndex((p) => p.droppable);
    if (index < 0) return false;
    const [{ frame, droppable }] = box.frames.splice(index, 1) as [Pending & { droppable: Droppable }];
    box.bytes -= frame.length;
    this.stats.dropped++;
    if (droppable.unannounced) return true;
    const seen = box.dropped.get(droppable.channelId);
    box.dropped.set(droppable.channelId, { count: (seen?.count ?? 0) + 1, to: droppable });
    return true;
  }

  private schedule() {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, DRAIN_EVERY_MS);
  }

  /** Hands waiting frames to sockets that have room again; notices of drops go first. */
  private drain() {
    for (const [conn, box] of this.backlogs) {
      const ws = this.hooks.socketOf(conn);
      if (!ws) {
        this.backlogs.delete(conn);
        continue;
      }
      if (!this.hasRoom(conn, ws)) continue;
      for (const [channelId, { count, to }] of box.dropped) {
        send(ws, this.hooks.dropNotice(conn, to, count));
        box.dropped.delete(channelId);
      }
      while (box.frames.length > 0 && this.hasRoom(conn, ws)) {
        const pending = box.frames.shift()!;
        box.bytes -= pending.frame.length;
        this.send(conn, ws, pending);
      }
      if (box.frames.length === 0) this.backlogs.delete(conn);
    }
    if (this.backlogs.size > 0) this.schedule();
  }
}

const send = (ws: WebSocket, frame: string) => {
  try {
    ws.send(frame);
  } catch {
    /* the socket closed meanwhile; its close handler cleans up */
  }
};
