/**
 * A back end on ChatKitty's current server SDKs (`chatkitty-platform-sdk@2.4.0`,
 * `chatkitty@2.106.8`, unmodified) beside end users on the `chatkitty@1.1.1` client SDK, all
 * against `npm run dev`: the back end sees the users' live sessions and who is in a channel,
 * reaches their sessions with channel events and keystrokes, invites, reads notifications,
 * imports channels and messages as jobs, and empties an application's messages. Every body an SDK
 * hands back is checked against ChatKitty's document (./platform-sdk-clients.ts); what reaches a
 * live user is read off the frames their socket received.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, inject, it } from "vitest";
import { jobEnded, rejection, SDKS, shaped, unique, type Untyped } from "./platform-sdk-clients";
import { type Person, startUser, useSdk } from "./sdk";
import { sleep, step, until } from "./wait";

useSdk();

const root = path.resolve(import.meta.dirname, "../..");

/** Walks a numbered page list (up to 20 pages) for the first item `pick` accepts. */
const findInPages = async (what: string, list: (page: number) => Promise<Untyped>, key: string, pick: (item: Untyped) => boolean) => {
  for (let page = 0; page < 20; page++) {
    const body = await shaped(what, list(page));
    const found = (body._embedded?.[key] ?? []).find(pick);
    if (found || page + 1 >= body.page.totalPages) return found;
  }
  return undefined;
};

/** The session user's channel as the 1.1.1 SDK sees it, with its chat session started. */
const enterChat = async (person: Person, channelId: number) => {
  const { channel } = await step(`getChannel(${channelId}) by ${person.name}`, person.kitty.getChannel(channelId));
  const result = person.kitty.startChatSession({ channel, onReceivedMessage: () => {} });
  if (!result.succeeded) throw new Error(`startChatSession(${person.name}) failed`);
  await until(`${person.name} subscribed to the channel's messages`, () =>
    Boolean(person.kitty.client.topics.has(channel._topics.messages)),
  );
  await step(`round trip after ${person.name}'s startChatSession`, person.kitty.getCurrentUser());
  return channel;
};

/** The resources of the MESSAGE frames a person's sockets received with this event type. */
const received = (person: Person, type: string): Untyped[] =>
  person
    .sockets()
    .flatMap((s) => s.received)
    .filter((frame) => frame.startsWith("MESSAGE") && frame.includes(`"${type}"`))
    .map((frame) => JSON.parse(frame.slice(frame.indexOf("\n\n") + 2).replace(/\0$/, "")))
    .filter((event) => event.type === type)
    .map((event) => event.resource);

describe.each(SDKS)("%s with live chat sessions", (_name, connect) => {
  it("lists user sessions, chat sessions and participants as users come and go", async ({ expect }) => {
    const { Channels, UserSessions, ChatSessions } = connect();
    const [ada, bob] = [await startUser("live-ada"), await startUser("live-bob")];
    const channel = await shaped(
      "POST /v1/channels",
      Channels.createChannel({ type: "PRIVATE", members: [{ id: ada.user.id }, { username: bob.name }] }),
    );
    await enterChat(ada, channel.id);
    await enterChat(bob, channel.id);

    const adaSession = await findInPages(
      "GET /v1/user-sessions",
      (page) => UserSessions.listUserSessions(page, 100, undefined, "ACTIVE"),
      "sessions",
      (s) => s.user.id === ada.user.id,
    );
    expect(adaSession).toMatchObject({ state: "ACTIVE", user: { name: ada.name } });
    expect(adaSession).not.toHaveProperty("endTime");
    const chatSession = await findInPages(
      "GET /v1/chat-sessions",
      (page) => ChatSessions.listChatSessions(page, 100, undefined, "ACTIVE"),
      "sessions",
      (s) => s.session.user.id === bob.user.id && s._links.channel.href.endsWith(`/channels/${channel.id}`),
    );
    expect(chatSession).toMatchObject({ state: "ACTIVE", session: { state: "ACTIVE", user: { name: bob.name } } });
    const participants = await shaped("GET /v1/channels/{id}/participants", Channels.listChannelParticipants(channel.id, 0, 10));
    expect(participants._embedded.users.map((u: { id: number }) => u.id).sort()).toEqual([ada.user.id, bob.user.id].sort());

    ada.kitty.endSession();
    await until("ada's socket closed", () => ada.sockets().every((s) => s.ws.readyState === 3));
    let ended: Untyped;
    for (const deadline = Date.now() + 5000; !ended; await sleep(100)) {
      if (Date.now() > deadline) throw new Error("ada's user session never ENDED");
      ended = await findInPages(
        "GET /v1/user-sessions",
        (page) => UserSessions.listUserSessions(page, 100, undefined, "ENDED"),
        "sessions",
        (s) => s.id === adaSession.id,
      );
    }
    expect(ended).toMatchObject({ state: "ENDED", endTime: expect.any(String) });
    const left = await shaped("GET /v1/channels/{id}/participants", Channels.listChannelParticipants(channel.id, 0, 10));
    expect(left._embedded.users.map((u: { id: number }) => u.id)).toEqual([bob.user.id]);
    await Channels.deleteChannel(channel.id);
  });

  it("reaches the channel's live sessions with events and keystrokes, never the typist's own", async ({ expect }) => {
    const { Channels, Threads } = connect();
    const [ada, bob] = [await startUser("keys-ada"), await startUser("keys-bob")];
    const channel = await shaped(
      "POST /v1/channels",
      Channels.createChannel({ type: "PRIVATE", members: [{ id: ada.user.id }, { id: bob.user.id }] }),
    );
    await enterChat(ada, channel.id);
    await enterChat(bob, channel.id);

    const event = await shaped(
      "POST /v1/channels/{id}/events",
      Channels.sendChannelEvent(channel.id, { type: "poll.opened", properties: { question: "Lunch? 🍕", options: [1, 2] } }),
    );
    expect(event).toMatchObject({ type: "poll.opened", properties: { question: "Lunch? 🍕" } });
    for (const person of [ada, bob]) {
      await until(`${person.name} got the event`, () => received(person, "channel.event.triggered").length > 0);
      expect(received(person, "channel.event.triggered")).toEqual([
        expect.objectContaining({ type: "poll.opened", properties: { question: "Lunch? 🍕", options: [1, 2] } }),
      ]);
    }

    const keys = await shaped(
      "POST /v1/channels/{id}/keystrokes",
      Channels.sendChannelKeystrokes(channel.id, { keys: "Hel", user: { username: ada.name } }),
    );
    expect(keys).toMatchObject({ keys: "Hel", username: ada.name });
    // A MAIN thread's id is its channel's (what DELETE /v1/messages/{id} answers).
    await shaped(
      "POST /v1/threads/{id}/keystrokes",
      Threads.sendThreadKeystrokes(channel.id, { keys: "Hello", user: { id: ada.user.id } }),
    );
    await until("bob got both keystrokes", () => received(bob, "thread.keystrokes.created").length === 2);
    expect(received(bob, "thread.keystrokes.created").map((k) => [k.username, k.keys])).toEqual([
      [ada.name, "Hel"],
      [ada.name, "Hello"],
    ]);
    // An event sent after the keystrokes reached ada, so anything meant for her has arrived too.
    await Channels.sendChannelEvent(channel.id, { type: "fence", properties: {} });
    await until("ada got the fence", () => received(ada, "channel.event.triggered").length === 2);
    expect(received(ada, "thread.keystrokes.created")).toEqual([]);

    const outsider = await startUser("keys-outsider");
    const refused = await rejection(Channels.sendChannelKeystrokes(channel.id, { keys: "x", user: { id: outsider.user.id } }));
    expect(refused.status).toBe(403);
    await Channels.deleteChannel(channel.id);
  });

  it("invites users to a private channel and lists a member's notifications", async ({ expect }) => {
    const { Users, Channels, Application } = connect();
    const [ada, bob, cyd] = await Promise.all(
      ["ada", "bob", "cyd"].map((n) =>
        shaped("POST /v1/users", Users.createUser({ name: unique(`note-${n}`), displayName: n, isGuest: false })),
      ),
    );
    const channel = await shaped(
      "POST /v1/channels",
      Channels.createChannel({ type: "PRIVATE", displayName: "Plans", members: [{ id: ada.id }, { id: bob.id }] }),
    );
    const invite = await shaped("POST /v1/channels/{id}/invites", Channels.sendChannelInvite(channel.id, { user: { username: cyd.name } }));
    expect(invite._links.invitee.href).toMatch(new RegExp(`/users/${cyd.id}$`));
    const invites = await shaped("GET /v1/channels/{id}/invites", Channels.listChannelInvites(channel.id, 0, 10));
    expect(invites._embedded.invites).toHaveLength(1);

    const fromAda = await shaped(
      "POST /v1/channels/{id}/messages",
      Channels.sendChannelMessage(channel.id, { type: "TEXT", body: "Dinner at 8?", user: { id: ada.id } }),
    );
    const fromSystem = await shaped(
      "POST /v1/channels/{id}/messages",
      Channels.sendChannelMessage(channel.id, { type: "TEXT", body: "Reminder" }),
    );
    const notifications = await shaped("GET /v1/users/{id}/notifications", Users.listUserNotifications(bob.id, 10));
    expect(notifications._embedded.notifications.map((n: Untyped) => [n.data.type, n.data.message.id])).toEqual([
      ["SYSTEM:SENT:MESSAGE", fromSystem.id],
      ["USER:SENT:MESSAGE", fromAda.id],
    ]);
    // ada's own message is not a notification for her.
    const hers = await shaped("GET /v1/users/{id}/notifications", Users.listUserNotifications(ada.id, 10));
    expect(hers._embedded.notifications.map((n: Untyped) => n.data.message.id)).toEqual([fromSystem.id]);
    // Only 2.106.8 asks for unread summaries (not in ChatKitty's 2.41.9 document: checked by hand).
    if (Application?.retrieveApplicationMessageReadReceiptSummaries) {
      const unreadOf = async (userId: number) => {
        for (let page = 0; page < 50; page++) {
          const { data } = await Application.retrieveApplicationMessageReadReceiptSummaries({ page, size: 100 });
          const found = data._embedded.summaries.find((s: Untyped) => s.channel.id === channel.id && s.user.id === userId);
          if (found || page + 1 >= data.page.totalPages) return found?.count;
        }
      };
      expect([await unreadOf(ada.id), await unreadOf(bob.id)]).toEqual([1, 2]);
    }

    await Channels.deleteChannel(channel.id);
    for (const u of [ada, bob, cyd]) await Users.deleteUser(u.id);
  });

  it("imports channels, then messages into them, and a second run of the same files changes nothing", async ({ expect }) => {
    const { Users, Channels, Imports, Jobs, importFile } = connect();
    const [ada, bob] = await Promise.all(
      ["ada", "bob"].map((n) =>
        shaped("POST /v1/users", Users.createUser({ name: unique(`import-${n}`), displayName: n, isGuest: false })),
      ),
    );
    const dir = mkdtempSync(path.join(tmpdir(), "sdk-import-"));
    const run = async (kind: "Channels" | "Messages", records: unknown[]) => {
      const file = path.join(dir, `${kind.toLowerCase()}.json`);
      writeFileSync(file, JSON.stringify(records));
      const job = await shaped(`POST /v1/imports/${kind.toLowerCase()}`, Imports[`import${kind}`](importFile(file)));
      return jobEnded(Jobs, job);
    };
    try {
      const channelRecords = [
        {
          type: "PUBLIC",
          name: unique("imported"),
          displayName: "Imported ✓",
          members: [ada.name, bob.name],
          creator: ada.name,
          idempotencyKey: unique("c1"),
        },
        { type: "DIRECT", members: [ada.name, bob.name], idempotencyKey: unique("c2") },
        { type: "PRIVATE", members: [unique("nobody")] },
      ];
      expect(await run("Channels", channelRecords)).toMatchObject({
        type: "CHANNEL_IMPORT",
        state: "FINISHED",
        importedRecords: 2,
        failedRecords: 1,
      });
      expect(await run("Channels", channelRecords.slice(0, 2))).toMatchObject({ state: "FINISHED", importedRecords: 0, skippedRecords: 2 });
      const theirs = await shaped("GET /v1/channels", Channels.listChannels(0, 10, undefined, undefined, [ada.name, bob.name]));
      const imported = theirs._embedded.channels.find((c: Untyped) => c.type === "PUBLIC");
      expect(theirs._embedded.channels.map((c: Untyped) => c.type).sort()).toEqual(["DIRECT", "PUBLIC"]);
      expect(imported).toMatchObject({ displayName: "Imported ✓", creator: { id: ada.id } });

      const messageRecords = [
        { type: "TEXT", channelId: imported.id, body: "first, from the old system", user: ada.name, idempotencyKey: unique("m1") },
        { type: "SYSTEM_TEXT", channelId: imported.id, body: "Imported 🙂", groupTag: "migration", idempotencyKey: unique("m2") },
        { type: "TEXT", channelId: imported.id, body: "no sender" },
      ];
      expect(await run("Messages", messageRecords)).toMatchObject({
        type: "MESSAGE_IMPORT",
        state: "FINISHED",
        importedRecords: 2,
        failedRecords: 1,
      });
      expect(await run("Messages", messageRecords.slice(0, 2))).toMatchObject({ state: "FINISHED", importedRecords: 0, skippedRecords: 2 });
      const page = await shaped("GET /v1/channels/{id}/messages", Channels.listChannelMessages(imported.id, 10));
      expect(page._embedded.messages.map((m: Untyped) => [m.type, m.body])).toEqual([
        ["SYSTEM_TEXT", "Imported 🙂"],
        ["TEXT", "first, from the old system"],
      ]);
      for (const c of theirs._embedded.channels) await Channels.deleteChannel(c.id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      for (const u of [ada, bob]) await Users.deleteUser(u.id);
    }
  });

  it("deletes every message of an application, and only of that application", async ({ expect }) => {
    // Its own application (made by `npm run app`), so the other suites' messages stay.
    const created = JSON.parse(
      execFileSync(
        process.execPath,
        ["scripts/app/main.ts", "create", "--name", unique("delete-all"), "--persist-to", inject("statePath"), "--json"],
        {
          cwd: root,
          encoding: "utf8",
        },
      ),
    );
    const own = connect({ clientId: created.clientId, clientSecret: created.clientSecret });
    const demo = connect();
    const channel = await shaped("POST /v1/channels", own.Channels.createChannel({ type: "PUBLIC", name: unique("doomed") }));
    for (const body of ["one", "two", "three"]) await own.Channels.sendChannelMessage(channel.id, { type: "TEXT", body });
    const kept = await shaped("POST /v1/channels", demo.Channels.createChannel({ type: "PUBLIC", name: unique("kept") }));
    const survivor = await shaped(
      "POST /v1/channels/{id}/messages",
      demo.Channels.sendChannelMessage(kept.id, { type: "TEXT", body: "stays" }),
    );

    const application = await shaped("DELETE /v1/messages", own.Messages.deleteMessages());
    expect(application.id).toBe(created.id);
    const none = await shaped("GET /v1/messages", own.Messages.listMessages(10));
    expect(none._embedded?.messages ?? []).toEqual([]);
    expect(await shaped("GET /v1/messages/{id}", demo.Messages.retrieveMessage(survivor.id))).toMatchObject({ body: "stays" });
    await demo.Channels.deleteChannel(kept.id);
  });
});
