/**
 * The bookkeeping of the current-SDK e2e suites (test/e2e/chatkitty-current-*.test.ts): the
 * official, unmodified `chatkitty@1.58.2` (npm alias `chatkitty-current`) in Node against
 * `npm run dev`, with the Platform API (./platform-api.ts) alongside.
 *
 * Every WebSocket the SDK opens is tracked with the raw frames sent and received on it. In this
 * dialect the user travels in the CONNECT frame, not in the URL, so a person's sockets are the
 * ones whose CONNECT named them. A test file calls `useCurrentSdk()` once: it silences the SDK's
 * logging, signs in to the demo application, and after each test ends every SDK instance the test
 * made and terminates sockets still open. 1.58.2 resolves failures as failed results, but a
 * server that does not answer still leaves a promise pending forever, so the helpers await
 * through `step()` (./wait.ts). The server state is shared by the whole e2e run: names are unique.
 */
import { createRequire } from "node:module";
import { afterAll, afterEach, beforeAll } from "vitest";
import { demoPlatform, host, type Platform } from "./platform-api";
import { closeAllSockets, sockets, type TrackedSocket, WS } from "./tracked-sockets";
import { step, unique, until } from "./wait";

export { sockets, WS } from "./tracked-sockets";

const require = createRequire(import.meta.url);

const sdk = require("chatkitty-current");
const ChatKitty = sdk.default;
/** The SDK's own result guards. */
export const succeeded: (result: any) => boolean = sdk.succeeded;
const failed: (result: any) => boolean = sdk.failed;

// ── STOMP frames, as far as the assertions about the wire need them ───────────────────────────
export interface Frame {
  command: string;
  headers: Record<string, string>;
  body: string;
}

/** The frames in raw WebSocket messages (several may share a message; heart-beats dropped). */
const parseFrames = (messages: string[]): Frame[] =>
  messages
    .flatMap((m) => m.split("\0"))
    .map((f) => f.replace(/^[\r\n]+/, ""))
    .filter((f) => f.length > 0)
    .map((f) => {
      const split = f.indexOf("\n\n");
      const head = split < 0 ? f : f.slice(0, split);
      const [command = "", ...lines] = head.split(/\r?\n/);
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon);
        // A repeated header: the first wins (STOMP 1.2).
        if (colon > 0 && !(name in headers)) headers[name] = line.slice(colon + 1);
      }
      return { command, headers, body: split < 0 ? "" : f.slice(split + 2) };
    });

export const sentFrames = (socket: TrackedSocket) => parseFrames(socket.sent);
export const receivedFrames = (socket: TrackedSocket) => parseFrames(socket.received);

/** The sockets whose CONNECT frame carried `StompX-User:<name>`, in the order they were opened. */
export const socketsOf = (name: string) =>
  sockets.filter((s) => sentFrames(s).some((f) => f.command === "CONNECT" && f.headers["StompX-User"] === name));

/** Whether every topic SUBSCRIBE this socket sent to these destinations has had its RECEIPT. */
export const receiptsArrived = (socket: TrackedSocket, destinations: string[]) => {
  const subscribes = sentFrames(socket).filter((f) => f.command === "SUBSCRIBE" && destinations.includes(f.headers.destination ?? ""));
  const receipts = new Set(
    receivedFrames(socket)
      .filter((f) => f.command === "RECEIPT")
      .map((f) => f.headers["receipt-id"]),
  );
  return destinations.every((d) => subscribes.some((f) => f.headers.destination === d && receipts.has(f.headers.receipt)));
};

// ── results ───────────────────────────────────────────────────────────────────────────────────
/** Awaits an SDK call through `step()` and insists on a succeeded result, naming the error if not. */
export const ok = async (what: string, promise: Promise<any>, ms?: number) => {
  const result = await step(what, promise, ms);
  if (!succeeded(result)) throw new Error(`${what}: not succeeded: ${JSON.stringify(result?.error ?? result)}`);
  return result;
};

/** Awaits an SDK call through `step()` and insists on a failed result; its `error`. */
export const failure = async (what: string, promise: Promise<any>, ms?: number) => {
  const result = await step(what, promise, ms);
  if (!failed(result)) throw new Error(`${what}: expected a failed result, got ${JSON.stringify(result)}`);
  return result.error;
};

/** Every item of a paginator, following `nextPage()` to the end. */
const allItems = async (what: string, first: any) => {
  const items = [...first.items];
  let page = first;
  for (let i = 0; page.hasNextPage; i++) {
    if (i > 200) throw new Error(`${what}: more than 200 pages`);
    page = await step(`${what}: nextPage()`, page.nextPage());
    items.push(...page.items);
  }
  return items;
};

/** Every item of a paginated SDK call (getChannels, getMessages, getUsers…). */
export const listAll = async (what: string, promise: Promise<any>) => allItems(what, (await ok(what, promise)).paginator);

// ── SDK sessions ──────────────────────────────────────────────────────────────────────────────
let platform: Platform;
/** The demo application's Platform API, signed in by `useCurrentSdk()`. */
export const demo = () => platform;

/** Every SDK instance made by the running test, ended after it. */
const instances: any[] = [];

export const newKitty = (apiKey = platform.application.key) => {
  const kitty = new ChatKitty({ apiKey, host, isSecure: false });
  instances.push(kitty);
  return kitty;
};

export interface Person {
  kitty: any;
  name: string;
  user: any;
  sockets: () => TrackedSocket[];
}

/** A started session of `name` (a new guest unless given), on a new SDK instance. */
export const startUser = async (label: string, name = unique(label), options: { apiKey?: string; authParams?: unknown } = {}) => {
  const kitty = newKitty(options.apiKey);
  const request = options.authParams === undefined ? { username: name } : { username: name, authParams: options.authParams };
  const result = await ok(`startSession(${label})`, kitty.startSession(request));
  return { kitty, name, user: result.session.user, sockets: () => socketsOf(name) } satisfies Person;
};

/** Users start one after the other: parallel sessions are covered by the 1.1.1 suites. */
export const startUsers = async <const L extends string[]>(...labels: L) => {
  const people: Person[] = [];
  for (const label of labels) people.push(await startUser(label));
  return people as { [K in keyof L]: Person };
};

/** Everything a chat session's callbacks were called with, in arrival order per callback. */
export interface Chat {
  session: any;
  messages: { message: any; parent?: any }[];
  bodies: () => (string | undefined)[];
  updated: any[];
  keystrokes: any[];
  typingStarted: any[];
  typingStopped: any[];
  entered: any[];
  left: any[];
  presence: any[];
  reads: { message: any; receipt: any }[];
  reactionsAdded: { message: any; reaction: any }[];
  reactionsRemoved: { message: any; reaction: any }[];
  events: any[];
  channelUpdates: any[];
}

const chatTopicKeys = ["self", "messages", "keystrokes", "typing", "participants", "readReceipts", "reactions", "events"];

/**
 * Starts a chat session with every callback recorded, and waits until the server has confirmed
 * all eight channel topic subscriptions (the SDK subscribes seven of them only on the RECEIPT of
 * `_topics.self`, spec §5.7): only then is a message sent by anyone sure to reach it.
 */
export const openChat = async (person: Person, channel: any): Promise<Chat> => {
  const chat: Omit<Chat, "session"> = {
    messages: [],
    bodies: () => chat.messages.map((m) => m.message.body),
    updated: [],
    keystrokes: [],
    typingStarted: [],
    typingStopped: [],
    entered: [],
    left: [],
    presence: [],
    reads: [],
    reactionsAdded: [],
    reactionsRemoved: [],
    events: [],
    channelUpdates: [],
  };
  const result = person.kitty.startChatSession({
    channel,
    onReceivedMessage: (message: any, parent?: any) => chat.messages.push({ message, parent }),
    onMessageUpdated: (m: any) => chat.updated.push(m),
    onReceivedKeystrokes: (k: any) => chat.keystrokes.push(k),
    onTypingStarted: (u: any) => chat.typingStarted.push(u),
    onTypingStopped: (u: any) => chat.typingStopped.push(u),
    onParticipantEnteredChat: (u: any) => chat.entered.push(u),
    onParticipantLeftChat: (u: any) => chat.left.push(u),
    onParticipantPresenceChanged: (u: any) => chat.presence.push(u),
    onMessageRead: (message: any, receipt: any) => chat.reads.push({ message, receipt }),
    onMessageReactionAdded: (message: any, reaction: any) => chat.reactionsAdded.push({ message, reaction }),
    onMessageReactionRemoved: (message: any, reaction: any) => chat.reactionsRemoved.push({ message, reaction }),
    onEventTriggered: (e: any) => chat.events.push(e),
    onChannelUpdated: (c: any) => chat.channelUpdates.push(c),
  });
  if (!succeeded(result)) throw new Error(`startChatSession(${person.name}) failed: ${JSON.stringify(result.error)}`);
  const topics = chatTopicKeys.map((key) => channel._topics?.[key] as string);
  await until(
    `${person.name}'s chat session on ${channel.name ?? channel.id}: RECEIPTs of its 8 topic subscriptions`,
    () => person.sockets().some((s) => s.ws.readyState === WS.OPEN && receiptsArrived(s, topics)),
    () => person.sockets().map((s) => s.received.slice(-5)),
  );
  return { session: result.session, ...chat };
};

export const createChannel = async (person: Person, request: Record<string, unknown>) =>
  (await ok(`createChannel(${JSON.stringify(request)}) by ${person.name}`, person.kitty.createChannel(request))).channel;

/** A PUBLIC channel created by `owner` and joined by `others`, as each of them sees it. */
export const sharedChannel = async (owner: Person, ...others: Person[]) => {
  const channel = await createChannel(owner, { type: "PUBLIC", name: unique("room") });
  const views = new Map<Person, any>([[owner, channel]]);
  for (const other of others) {
    const seen = (await ok(`getChannel(${channel.id}) by ${other.name}`, other.kitty.getChannel(channel.id))).channel;
    views.set(other, (await ok(`joinChannel by ${other.name}`, other.kitty.joinChannel({ channel: seen }))).channel);
  }
  return { channel, as: (p: Person) => views.get(p) };
};

export const send = async (person: Person, channel: any, body: string) =>
  (await ok(`sendMessage(${JSON.stringify(body)}) by ${person.name}`, person.kitty.sendMessage({ channel, body }))).message;

/** Waits until a chat's `onReceivedMessage` got a message with this body; that entry. */
export const received = async (chat: Chat, who: string, body: string) => {
  await until(
    `${who} receiving ${JSON.stringify(body)}`,
    () => chat.bodies().includes(body),
    () => chat.bodies(),
  );
  return chat.messages.find((m) => m.message.body === body)!;
};

// ── lifecycle ─────────────────────────────────────────────────────────────────────────────────
let realLog: typeof console.log;
let realError: typeof console.error;

/** Registers the hooks of a current-SDK suite; call it once, at the top level of the test file. */
export const useCurrentSdk = () => {
  beforeAll(async () => {
    realLog = console.log;
    realError = console.error;
    console.log = (...args: unknown[]) => {
      if (typeof args[0] === "string" && args[0].startsWith("StompX Debug")) return;
      realLog(...args);
    };
    // The SDK prints every WebSocket error event itself (a refused upgrade, a terminated socket).
    console.error = (...args: unknown[]) => {
      if (args[0] && typeof args[0] === "object" && (args[0] as { type?: string }).type === "error") return;
      realError(...args);
    };
    platform = await demoPlatform();
  });

  afterEach(async () => {
    for (const kitty of instances.splice(0)) {
      try {
        // endSession resolves when the server's RECEIPT arrives; a broken server must not hang the hook.
        await step("endSession (cleanup)", kitty.endSession(), 2000).catch(() => undefined);
      } catch {
        /* never started */
      }
    }
    // endSession closes the socket when the server's RECEIPT arrives; give it a moment, then make sure.
    await closeAllSockets(1000);
  });

  afterAll(() => {
    console.log = realLog;
    console.error = realError;
  });
};
