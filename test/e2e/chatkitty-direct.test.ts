/**
 * DIRECT channels as the official, unmodified ChatKitty JS SDK (`chatkitty@1.1.1`) meets them,
 * in Node against `npm run dev`: created with `createChannel({type: "DIRECT", members})`, one
 * channel per set of users, carrying `members` and no members relay (which is how the SDK tells
 * a group channel from a direct one), and visible through the Platform API as type DIRECT with a
 * `members` link.
 *
 * As in chatkitty.test.ts: every SDK promise goes through `step()` (a server bug must fail with
 * the step's name, not hang), the SDK's "StompX Debug" logging is silenced, every SDK instance is
 * ended after its test and leftover sockets are terminated. Names are unique per test, since the
 * server state is shared by the whole e2e run.
 */
import { createRequire } from "node:module";
import { afterAll, afterEach, beforeAll, describe, inject, it } from "vitest";
import { rejection, sleep, step, unique, until } from "./wait";

const require = createRequire(import.meta.url);
const WS = require("ws");

// The SDK opens its socket through the global WebSocket; keep each one so none outlives its test.
const sockets: any[] = [];
class TrackedWebSocket extends WS {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    sockets.push(this);
  }
}
(globalThis as any).WebSocket = TrackedWebSocket;
const ChatKitty = require("chatkitty").default;

const baseUrl = inject("baseUrl");
const host = new URL(baseUrl).host;

// ── Platform API (the demo application, acme/acmesecret) ──────────────────────────────────────
let token = "";
let application: { id: number; key: string };

const api = async (method: string, url: string, body?: unknown) => {
  const res = await fetch(url.startsWith("http") ? url : `${baseUrl}${url}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

const appUrl = () => `${baseUrl}/v1/applications/${application.id}`;

// ── SDK sessions ──────────────────────────────────────────────────────────────────────────────
let realLog: typeof console.log;
const instances: any[] = [];

interface Person {
  kitty: any;
  name: string;
  user: any;
}

/** A started session of a new guest user, on its own SDK instance. */
const startUser = async (label: string): Promise<Person> => {
  const name = unique(label);
  const kitty = new ChatKitty({ apiKey: application.key, host, isSecure: false });
  instances.push(kitty);
  const result = await step(`startSession(${label})`, kitty.startSession({ username: name }));
  if (!result.succeeded) throw new Error(`startSession(${label}) failed: ${JSON.stringify(result.error)}`);
  return { kitty, name, user: result.session.user };
};

const createChannel = async (person: Person, request: Record<string, unknown>) => {
  const result = await step(`createChannel(${JSON.stringify(request)}) by ${person.name}`, person.kitty.createChannel(request));
  if (!result.succeeded) throw new Error(`createChannel failed: ${JSON.stringify(result.error)}`);
  return result.channel;
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

const channelsOf = async (person: Person) =>
  allItems(`getChannels(${person.name})`, (await step(`getChannels(${person.name})`, person.kitty.getChannels())).paginator);

/** Starts a chat session and waits until it is subscribed to the channel's messages (see chatkitty.test.ts). */
const openChat = async (person: Person, channel: any) => {
  const messages: any[] = [];
  const result = person.kitty.startChatSession({ channel, onReceivedMessage: (m: any) => messages.push(m) });
  if (!result.succeeded) throw new Error(`startChatSession(${person.name}) failed`);
  await until(`${person.name}'s chat session subscribing to the messages topic`, () => Boolean(person.kitty.client.topics.has(channel._topics.messages)));
  await step(`getCurrentUser round trip after ${person.name}'s startChatSession`, person.kitty.getCurrentUser());
  return { messages, bodies: () => messages.map((m) => m.body) };
};

const send = async (person: Person, channel: any, body: string) =>
  (await step(`sendMessage(${JSON.stringify(body)}) by ${person.name}`, person.kitty.sendMessage({ channel, body }))).message;

// ── lifecycle ─────────────────────────────────────────────────────────────────────────────────
beforeAll(async () => {
  realLog = console.log;
  console.log = (...args: unknown[]) => {
    if (typeof args[0] === "string" && args[0].startsWith("StompX Debug")) return;
    realLog(...args);
  };
  const res = await fetch(`${baseUrl}/oauth/token`, {
    method: "POST",
    headers: { Authorization: `Basic ${Buffer.from("acme:acmesecret").toString("base64")}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials",
  });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
  token = ((await res.json()) as { access_token: string }).access_token;
  const app = await api("GET", "/v1/applications/me");
  if (app.status !== 200 || typeof app.body.key !== "string") throw new Error(`applications/me: ${app.status} ${JSON.stringify(app.body)}`);
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
  const deadline = Date.now() + 2000;
  while (sockets.some((s) => s.readyState !== WS.CLOSED) && Date.now() < deadline) await sleep(20);
  for (const s of sockets) if (s.readyState !== WS.CLOSED) s.terminate();
});

afterAll(() => {
  console.log = realLog;
});

// ── tests ─────────────────────────────────────────────────────────────────────────────────────
describe("DIRECT channels through the SDK", () => {
  it("jane creates a DIRECT channel with john: members on the channel, no members relay, the same channel again", async ({ expect }) => {
    const [jane, john] = await Promise.all([startUser("jane"), startUser("john")]);
    const direct = await createChannel(jane, { type: "DIRECT", members: [{ id: john.user.id }] });
    expect(direct.type).toBe("DIRECT");
    expect(Number.isSafeInteger(direct.id)).toBe(true);
    expect(Array.isArray(direct.members)).toBe(true);
    expect(direct.members.map((m: any) => m.id).sort((x: number, y: number) => x - y)).toEqual(
      [jane.user.id, john.user.id].sort((x, y) => x - y),
    );
    expect(direct.members.find((m: any) => m.id === john.user.id)).toMatchObject({ id: john.user.id, name: john.name });
    expect(direct._relays.members, "a DIRECT channel is not a group channel").toBeUndefined();
    for (const key of ["self", "messages", "unread"]) expect(typeof direct._relays[key], `_relays.${key}`).toBe("string");
    for (const key of ["message", "read"]) expect(typeof direct._actions[key], `_actions.${key}`).toBe("string");
    expect(direct._actions.join, "members never join").toBeUndefined();

    const again = await createChannel(jane, { type: "DIRECT", members: [{ id: john.user.id }] });
    expect(again.id).toBe(direct.id);
    // john asking for the same pair (jane from his side) gets it too
    const fromJohn = await createChannel(john, { type: "DIRECT", members: [{ id: jane.user.id }] });
    expect(fromJohn.id).toBe(direct.id);
    expect(fromJohn._relays.members).toBeUndefined();

    const johns = await channelsOf(john);
    const seen = johns.find((c: any) => c.id === direct.id);
    expect(seen, "john's getChannels lists the direct channel").toBeDefined();
    expect(seen.type).toBe("DIRECT");
    expect(seen.members.map((m: any) => m.id).sort((x: number, y: number) => x - y)).toEqual(
      [jane.user.id, john.user.id].sort((x, y) => x - y),
    );
    expect(seen._relays.members).toBeUndefined();
    expect(johns.filter((c: any) => c.id === direct.id), "listed once").toHaveLength(1);

    const viaGet = (await step("getChannel(direct) by john", john.kitty.getChannel(direct.id))).channel;
    expect(viaGet).toMatchObject({ id: direct.id, type: "DIRECT" });
    expect(viaGet._relays.members).toBeUndefined();
  });

  it("a third user does not see jane and john's DIRECT channel", async ({ expect }) => {
    const [jane, john, carol] = await Promise.all([startUser("jane"), startUser("john"), startUser("carol")]);
    const direct = await createChannel(jane, { type: "DIRECT", members: [{ id: john.user.id }] });
    expect((await channelsOf(carol)).map((c: any) => c.id)).not.toContain(direct.id);
    const joinable = await allItems("getJoinableChannels(carol)", (await step("getJoinableChannels(carol)", carol.kitty.getJoinableChannels())).paginator);
    expect(joinable.map((c: any) => c.id)).not.toContain(direct.id);
  });

  it("jane and john exchange messages in their DIRECT channel, each received once and persisted", async ({ expect }) => {
    const [jane, john] = await Promise.all([startUser("jane"), startUser("john")]);
    const direct = await createChannel(jane, { type: "DIRECT", members: [{ id: john.user.id }] });
    const johnsView = (await channelsOf(john)).find((c: any) => c.id === direct.id);
    expect(johnsView).toBeDefined();
    const [chatJane, chatJohn] = await Promise.all([openChat(jane, direct), openChat(john, johnsView)]);

    const m1 = await send(jane, direct, "hi john 👋");
    expect(m1).toMatchObject({ type: "TEXT", body: "hi john 👋", user: { id: jane.user.id } });
    await until("john receiving jane's message", () => chatJohn.messages.length >= 1, () => chatJohn.bodies());
    const m2 = await send(john, johnsView, "hi jane");
    expect(m2).toMatchObject({ type: "TEXT", body: "hi jane", user: { id: john.user.id } });
    await until("both receiving both messages", () => chatJane.messages.length >= 2 && chatJohn.messages.length >= 2, () => [chatJane.bodies(), chatJohn.bodies()]);
    await sleep(300); // any duplicate would have arrived by now
    expect(chatJane.bodies()).toEqual(["hi john 👋", "hi jane"]);
    expect(chatJohn.bodies()).toEqual(["hi john 👋", "hi jane"]);

    expect(Number.isSafeInteger(m1.id) && Number.isSafeInteger(m2.id)).toBe(true);
    const channel = await api("GET", `${appUrl()}/channels/${direct.id}`);
    const page = await api("GET", channel.body._links.messages.href);
    expect(page.status).toBe(200);
    expect(page.body._embedded.messages.map((m: any) => [m.id, m.body])).toEqual([
      [m2.id, "hi jane"],
      [m1.id, "hi john 👋"],
    ]);
  });

  it("getUsers({channel}) on a DIRECT channel rejects client-side with NotAGroupChannel", async ({ expect }) => {
    const [jane, john] = await Promise.all([startUser("jane"), startUser("john")]);
    const direct = await createChannel(jane, { type: "DIRECT", members: [{ id: john.user.id }] });
    const error = await rejection("getUsers on a DIRECT channel", jane.kitty.getUsers({ channel: direct }));
    expect(error.type).toBe("NotAGroupChannelKittyError");
    expect(error.channel?.id).toBe(direct.id);
    // a group channel still answers its members
    const priv = await createChannel(jane, { type: "PRIVATE", name: unique("private"), members: [{ id: john.user.id }] });
    const members = await allItems("getUsers(private)", (await step("getUsers(private)", jane.kitty.getUsers({ channel: priv }))).paginator);
    expect(members.map((u: any) => u.id).sort((x: number, y: number) => x - y)).toEqual([jane.user.id, john.user.id].sort((x, y) => x - y));
  });

  it("a DIRECT channel of one user (no other member) is refused", async ({ expect }) => {
    const jane = await startUser("jane");
    const alone = await step("createChannel DIRECT with nobody", jane.kitty.createChannel({ type: "DIRECT", members: [] }));
    expect(alone.succeeded).toBe(false);
    expect(alone.error.type).toMatch(/Error$/);
    const self = await step("createChannel DIRECT with oneself", jane.kitty.createChannel({ type: "DIRECT", members: [{ id: jane.user.id }] }));
    expect(self.succeeded).toBe(false);
  });

  it("the Platform API shows the SDK's DIRECT channel: type DIRECT, a members link listing both", async ({ expect }) => {
    const [jane, john] = await Promise.all([startUser("jane"), startUser("john")]);
    const direct = await createChannel(jane, { type: "DIRECT", members: [{ id: john.user.id }] });

    const channel = await api("GET", `${appUrl()}/channels/${direct.id}`);
    expect(channel.status).toBe(200);
    expect(channel.body).toMatchObject({ id: direct.id, type: "DIRECT" });
    expect(channel.body).not.toHaveProperty("name");
    const membersHref = channel.body._links.members?.href;
    expect(membersHref).toBe(`${appUrl()}/channels/${direct.id}/members`);
    const members = await api("GET", membersHref);
    expect(members.status).toBe(200);
    expect(members.body._embedded.users.map((u: any) => [u.id, u.name])).toEqual(
      [
        [jane.user.id, jane.name],
        [john.user.id, john.name],
      ].sort((x, y) => (x[0] as number) - (y[0] as number)),
    );
    expect(members.body.page.totalElements).toBe(2);

    // the same pair through the Platform API is the same channel (200), and it is listed as direct
    const userHref = (u: any) => `${appUrl()}/users/${u.id}`;
    const again = await api("POST", `${appUrl()}/channels`, { type: "DIRECT", members: [userHref(john.user), { href: userHref(jane.user) }] });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(direct.id);
    const found = await api("GET", `${appUrl()}/channels?direct=true&members=${encodeURIComponent(`${jane.name},${john.name}`)}`);
    expect(found.body._embedded.channels.map((c: any) => c.id)).toEqual([direct.id]);
    // and its members are fixed
    const carol = await api("POST", `${appUrl()}/users`, { name: unique("carol") });
    expect((await api("POST", membersHref, { href: carol.body._links.self.href })).status).toBe(400);
  });
});
