/**
 * The bookkeeping of the ChatKitty SDK e2e suites (test/e2e/chatkitty-*.test.ts): the official,
 * unmodified SDK (`chatkitty@1.1.1`) in Node against `npm run dev`, with the Platform API
 * (OAuth client credentials, demo app acme/acmesecret) alongside, as a back office would use it.
 *
 * Every WebSocket the SDK opens is tracked with the raw frames sent and received on it. A test
 * file calls `useSdk()` once: before its tests it silences the SDK's "StompX Debug" logging and
 * signs in to the Platform API; after each test it ends every SDK instance the test made and
 * terminates sockets still open, so none leak. Every SDK promise can hang forever on a server bug
 * (shared/spec/stompx-protocol.md §9.2), so the helpers await through `step()` (./wait.ts). The
 * server state is shared by the whole e2e run: names are unique per test.
 */
import { createRequire } from "node:module";
import { afterAll, afterEach, beforeAll, inject, type ExpectStatic } from "vitest";
import { closeAllSockets, sockets, type TrackedSocket } from "./tracked-sockets";
import { step, unique, until } from "./wait";

export { sockets, WS } from "./tracked-sockets";

const require = createRequire(import.meta.url);

const ChatKitty = require("chatkitty").default;

const baseUrl = inject("baseUrl");
const host = new URL(baseUrl).host;

// ── Platform API ──────────────────────────────────────────────────────────────────────────────
let token = "";
let application: { id: number; key: string; _links: Record<string, { href: string }> };

export const api = async (method: string, url: string, body?: unknown) => {
  const res = await fetch(url.startsWith("http") ? url : `${baseUrl}${url}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

export const appUrl = () => `${baseUrl}/v1/applications/${application.id}`;

/** The channel's `messages` link, followed as a HAL client would. */
export const platformMessagesHref = async (channelId: number) => {
  const channel = await api("GET", `${appUrl()}/channels/${channelId}`);
  if (channel.status !== 200) throw new Error(`GET channel ${channelId}: ${channel.status} ${JSON.stringify(channel.body)}`);
  return channel.body._links.messages.href as string;
};

// ── SDK sessions ──────────────────────────────────────────────────────────────────────────────
/** Every SDK instance made by the running test, ended after it. */
const instances: any[] = [];

export interface Person {
  kitty: any;
  name: string;
  user: any;
  sockets: () => TrackedSocket[];
}

export const newKitty = (apiKey = application.key) => {
  const kitty = new ChatKitty({ apiKey, host, isSecure: false });
  instances.push(kitty);
  return kitty;
};

/** A started session of `name` (a new guest unless given), on a new SDK instance. */
export const startUser = async (label: string, name = unique(label)): Promise<Person> => {
  const kitty = newKitty();
  const result = await step(`startSession(${label})`, kitty.startSession({ username: name }));
  if (!result.succeeded) throw new Error(`startSession(${label}) failed: ${JSON.stringify(result.error)}`);
  const encoded = `stompx_user=${encodeURIComponent(name)}`;
  return { kitty, name, user: result.session.user, sockets: () => sockets.filter((s) => s.url.includes(encoded)) };
};

export interface Chat {
  session: any;
  messages: any[];
  bodies: () => (string | undefined)[];
}

/**
 * Starts a chat session and waits until it can receive: the SDK subscribes the messages topic
 * only on the RECEIPT of `_topics.self` (spec §4.14), then a round trip on the same connection
 * proves the server registered that subscription (frames are handled in order, spec §6).
 */
export const openChat = async (person: Person, channel: any): Promise<Chat> => {
  const messages: any[] = [];
  const result = person.kitty.startChatSession({ channel, onReceivedMessage: (m: any) => messages.push(m) });
  if (!result.succeeded) throw new Error(`startChatSession(${person.name}) failed`);
  await until(
    `${person.name}'s chat session on ${channel.name ?? channel.id} subscribing to its messages topic (waits for the RECEIPT of _topics.self)`,
    () => Boolean(person.kitty.client.topics.has(channel._topics.messages)),
  );
  await step(`getCurrentUser round trip after ${person.name}'s startChatSession`, person.kitty.getCurrentUser());
  return { session: result.session, messages, bodies: () => messages.map((m) => m.body) };
};

export const createChannel = async (person: Person, request: Record<string, unknown>) => {
  const result = await step(`createChannel(${JSON.stringify(request)}) by ${person.name}`, person.kitty.createChannel(request));
  if (!result.succeeded) throw new Error(`createChannel failed: ${JSON.stringify(result.error)}`);
  return result.channel;
};

/** Every item of a paginator, following `nextPage()` to the end. */
export const allItems = async (what: string, first: any) => {
  const items = [...first.items];
  let page = first;
  for (let i = 0; page.hasNextPage; i++) {
    if (i > 200) throw new Error(`${what}: more than 200 pages`);
    page = await step(`${what}: nextPage()`, page.nextPage());
    items.push(...page.items);
  }
  return items;
};

export const channelsOf = async (person: Person) =>
  allItems(`getChannels(${person.name})`, (await step(`getChannels(${person.name})`, person.kitty.getChannels())).paginator);
export const joinableOf = async (person: Person) =>
  allItems(
    `getJoinableChannels(${person.name})`,
    (await step(`getJoinableChannels(${person.name})`, person.kitty.getJoinableChannels())).paginator,
  );

/** A PUBLIC channel created by `owner` and joined by `others`, as each of them sees it. */
export const sharedChannel = async (owner: Person, ...others: Person[]) => {
  const channel = await createChannel(owner, { type: "PUBLIC", name: unique("room") });
  const views = new Map<Person, any>([[owner, channel]]);
  for (const other of others) {
    const seen = (await step(`getChannel(${channel.id}) by ${other.name}`, other.kitty.getChannel(channel.id))).channel;
    const joined = await step(`joinChannel by ${other.name}`, other.kitty.joinChannel({ channel: seen }));
    views.set(other, joined.channel);
  }
  return { channel, as: (p: Person) => views.get(p) };
};

export const send = async (person: Person, channel: any, body: string) => {
  const result = await step(`sendMessage(${JSON.stringify(body)}) by ${person.name}`, person.kitty.sendMessage({ channel, body }));
  return result.message;
};

/** Sends bodies in a row (all issued at once, in order), resolving with the results in order. */
export const sendAll = (person: Person, channel: any, bodies: string[]) =>
  step(
    `${bodies.length} sendMessage calls in a row by ${person.name}`,
    Promise.all(bodies.map((body) => person.kitty.sendMessage({ channel, body }))),
    10_000,
  ).then((results: any[]) => results.map((r) => r.message));

export const expectOnceInOrder = (expect: ExpectStatic, chat: Chat, bodies: string[], who: string) => {
  const got = chat.messages.filter((m) => bodies.includes(m.body)).map((m) => m.body);
  expect(got, `${who} received each message once, in order`).toEqual(bodies);
};

export const range = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

// ── lifecycle ─────────────────────────────────────────────────────────────────────────────────
let realLog: typeof console.log;

/** Registers the hooks of an SDK suite; call it once, at the top level of the test file. */
export const useSdk = () => {
  beforeAll(async () => {
    realLog = console.log;
    console.log = (...args: unknown[]) => {
      if (typeof args[0] === "string" && args[0].startsWith("StompX Debug")) return;
      realLog(...args);
    };
    const res = await fetch(`${baseUrl}/oauth/token`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${Buffer.from("acme:acmesecret").toString("base64")}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    });
    if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
    token = ((await res.json()) as { access_token: string }).access_token;
    const app = await api("GET", "/v1/applications/me");
    if (app.status !== 200 || typeof app.body.key !== "string")
      throw new Error(`applications/me: ${app.status} ${JSON.stringify(app.body)}`);
    application = app.body;
  });

  afterEach(async () => {
    for (const kitty of instances.splice(0)) {
      try {
        kitty.endSession();
      } catch {
        /* never started */
      }
    }
    // endSession closes the socket when the server's RECEIPT arrives; give it a moment, then make sure.
    await closeAllSockets(2000);
  });

  afterAll(() => {
    console.log = realLog;
  });
};
