/**
 * Messages as the official, unmodified ChatKitty JS SDK (`chatkitty@1.1.1`) meets them, in Node
 * against `npm run dev`, with several users at once: live messages both ways, once and in order;
 * history pages; unread counts and read receipts; persistence seen through the Platform API;
 * Platform API system messages arriving live; OPEN channels (live, not persisted);
 * endChatSession; notifications for members not watching live; file messages.
 *
 * Every SDK promise can hang forever on a server bug, so each await goes through `step()`; the
 * sessions, sockets and log silencing are set up by `useSdk()` (./sdk.ts). The server state is
 * shared by the whole e2e run: names are unique per test.
 */
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "vitest";
import {
  allItems,
  api,
  appUrl,
  createChannel,
  expectOnceInOrder,
  openChat,
  platformMessagesHref,
  range,
  send,
  sendAll,
  sharedChannel,
  startUser,
  useSdk,
  type Person,
} from "./sdk";
import { rejection, sleep, step, unique, until } from "./wait";

const require = createRequire(import.meta.url);

useSdk();

describe("messages", () => {
  it("sendMessage both ways: each side's onReceivedMessage gets every message once and in order", async ({ expect }) => {
    const [a, b] = await Promise.all([startUser("alice"), startUser("bob")]);
    const { channel, as } = await sharedChannel(a, b);
    const [chatA, chatB] = await Promise.all([openChat(a, channel), openChat(b, as(b))]);

    const fromA = range(10, "alice says ");
    const sentA = await sendAll(a, channel, fromA);
    expect(sentA.map((m) => m.body)).toEqual(fromA);
    for (const m of sentA) expect(m).toMatchObject({ type: "TEXT", user: { id: a.user.id, name: a.name } });
    await until(
      "both sides receiving alice's 10",
      () => chatA.messages.length >= 10 && chatB.messages.length >= 10,
      () => [chatA.bodies(), chatB.bodies()],
    );

    const fromB = range(10, "bob says ");
    const sentB = await sendAll(b, as(b), fromB);
    expect(sentB.map((m) => m.body)).toEqual(fromB);
    await until(
      "both sides receiving bob's 10",
      () => chatA.messages.length >= 20 && chatB.messages.length >= 20,
      () => [chatA.bodies(), chatB.bodies()],
    );
    await sleep(300); // any duplicate would have arrived by now

    for (const [chat, who] of [
      [chatA, "alice"],
      [chatB, "bob"],
    ] as const) {
      expect(chat.bodies(), who).toEqual([...fromA, ...fromB]);
      const ids = chat.messages.map((m) => m.id);
      expect(new Set(ids).size, `${who}: no duplicate ids`).toBe(20);
      expect(
        [...ids].sort((x, y) => x - y),
        `${who}: ids increase in arrival order`,
      ).toEqual(ids);
      expect(ids).toEqual([...sentA, ...sentB].map((m) => m.id));
    }
    expect(chatB.messages[0]).toMatchObject({ type: "TEXT", body: fromA[0], user: { id: a.user.id } });
  });

  it("when both send at once, both sides see the same single order", async ({ expect }) => {
    const [a, b] = await Promise.all([startUser("alice"), startUser("bob")]);
    const { channel, as } = await sharedChannel(a, b);
    const [chatA, chatB] = await Promise.all([openChat(a, channel), openChat(b, as(b))]);
    const [sentA, sentB] = await Promise.all([sendAll(a, channel, range(8, "a")), sendAll(b, as(b), range(8, "b"))]);
    await until(
      "16 messages on both sides",
      () => chatA.messages.length >= 16 && chatB.messages.length >= 16,
      () => [chatA.bodies(), chatB.bodies()],
    );
    await sleep(300);
    expect(chatA.messages.map((m) => m.id)).toEqual(chatB.messages.map((m) => m.id));
    expect(chatA.messages).toHaveLength(16);
    // Each sender's own messages keep their sending order.
    expectOnceInOrder(
      expect,
      chatB,
      sentA.map((m) => m.body),
      "bob (alice's messages)",
    );
    expectOnceInOrder(
      expect,
      chatA,
      sentB.map((m) => m.body),
      "alice (bob's messages)",
    );
  });

  it("getMessages pages newest first: 25, then the older rest via nextPage(), each message exactly once", async ({ expect }) => {
    const [a, b] = await Promise.all([startUser("alice"), startUser("bob")]);
    const { channel, as } = await sharedChannel(a, b);
    await openChat(a, channel);
    const bodies = range(30, "m");
    const sent = await sendAll(a, channel, bodies);

    for (const [person, view] of [
      [a, channel],
      [b, as(b)],
    ] as const) {
      if (person === b) await openChat(b, view);
      const first = (await step(`getMessages by ${person.name}`, person.kitty.getMessages({ channel: view }))).paginator;
      expect(first.items.map((m: any) => m.body)).toEqual([...bodies].reverse().slice(0, 25));
      const ids = first.items.map((m: any) => m.id);
      expect(ids, "newest first").toEqual([...ids].sort((x: number, y: number) => y - x));
      expect(first.hasNextPage).toBe(true);
      const second = await step("nextPage()", first.nextPage());
      expect(second.items.map((m: any) => m.body)).toEqual(["m4", "m3", "m2", "m1", "m0"]);
      expect(second.hasNextPage).toBe(false);
      const all = [...first.items, ...second.items].map((m: any) => m.id);
      expect(new Set(all).size).toBe(30);
      expect([...all].sort((x, y) => x - y)).toEqual(sent.map((m) => m.id));
      const error = await rejection("nextPage() past the end", second.nextPage());
      expect(error.type).toBe("PageOutOfBoundsChatKittyError");
    }
  });

  it("unread: getUnreadChannelsCount / getUnreadChannels / getChannelUnread before and after readChannel and readMessage", async ({
    expect,
  }) => {
    const [a, b] = await Promise.all([startUser("alice"), startUser("bob")]);
    const { channel, as } = await sharedChannel(a, b);
    const bView = as(b);
    const unread = async (person: Person, view: any) => ({
      count: (await step(`getUnreadChannelsCount(${person.name})`, person.kitty.getUnreadChannelsCount())).count,
      channels: (
        await allItems("getUnreadChannels", (await step(`getUnreadChannels(${person.name})`, person.kitty.getUnreadChannels())).paginator)
      ).map((c: any) => c.id),
      exists: (await step(`getChannelUnread(${person.name})`, person.kitty.getChannelUnread({ channel: view }))).unread,
    });

    expect(await unread(b, bView)).toEqual({ count: 0, channels: [], exists: false });
    await openChat(a, channel);
    await send(a, channel, "are you there?");
    expect(await unread(b, bView), "bob has unread after alice sends").toEqual({ count: 1, channels: [channel.id], exists: true });
    expect(await unread(a, channel), "alice's own message is not unread for her").toEqual({ count: 0, channels: [], exists: false });

    b.kitty.readChannel({ channel: bView });
    expect(await unread(b, bView), "after readChannel").toEqual({ count: 0, channels: [], exists: false });

    const m1 = await send(a, channel, "one");
    const m2 = await send(a, channel, "two");
    expect((await unread(b, bView)).exists).toBe(true);
    b.kitty.readMessage({ message: m1 });
    expect(await unread(b, bView), "read up to the older message: still unread").toEqual({
      count: 1,
      channels: [channel.id],
      exists: true,
    });
    b.kitty.readMessage({ message: m2 });
    expect(await unread(b, bView), "read up to the newest message").toEqual({ count: 0, channels: [], exists: false });
    // Reading an older message again never moves the marker back.
    b.kitty.readMessage({ message: m1 });
    expect((await unread(b, bView)).exists).toBe(false);
  });

  it("a TEXT message sent through the SDK is persisted: the Platform API shows it with its user link", async ({ expect }) => {
    const a = await startUser("alice");
    const channel = await createChannel(a, { type: "PUBLIC", name: unique("persisted") });
    await openChat(a, channel);
    const message = await send(a, channel, "from the SDK ✓");
    expect(Number.isSafeInteger(message.id)).toBe(true);

    const fetched = await api("GET", `${appUrl()}/messages/${message.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ id: message.id, type: "TEXT", body: "from the SDK ✓" });
    const user = await api("GET", fetched.body._links.user.href);
    expect(user.body).toMatchObject({ id: a.user.id, name: a.name });
    const page = await api("GET", await platformMessagesHref(channel.id));
    expect(page.body._embedded.messages.map((m: any) => [m.id, m.body])).toEqual([[message.id, "from the SDK ✓"]]);
  });

  it.for(["PUBLIC", "OPEN"])(
    "a Platform API system message in a %s channel arrives live at both users as SYSTEM_TEXT",
    async (type, { expect }) => {
      const [a, b] = await Promise.all([startUser("alice"), startUser("bob")]);
      const channel = await createChannel(a, { type, name: unique("announcements") });
      const bView = (
        await step("joinChannel", b.kitty.joinChannel({ channel: (await step("getChannel", b.kitty.getChannel(channel.id))).channel }))
      ).channel;
      const [chatA, chatB] = await Promise.all([openChat(a, channel), openChat(b, bView)]);

      const posted = await api("POST", await platformMessagesHref(channel.id), { body: "Maintenance at 5 ☕" });
      expect(posted.status).toBe(201);
      await until(
        "both users receiving the system message",
        () => chatA.messages.length >= 1 && chatB.messages.length >= 1,
        () => [chatA.bodies(), chatB.bodies()],
      );
      await sleep(300);
      for (const chat of [chatA, chatB]) {
        expect(chat.messages).toHaveLength(1);
        expect(chat.messages[0]).toMatchObject({ type: "SYSTEM_TEXT", body: "Maintenance at 5 ☕" });
        expect(chat.messages[0].user).toBeUndefined();
      }
    },
  );

  it("an OPEN channel: delivered live and listed by getMessages, but not persisted (Platform API: in-memory list, no id)", async ({
    expect,
  }) => {
    const [a, b] = await Promise.all([startUser("alice"), startUser("bob")]);
    const open = await createChannel(a, { type: "OPEN", name: unique("open") });
    const offered = (await step("getChannel(open) by bob", b.kitty.getChannel(open.id))).channel;
    const bView = (await step("joinChannel(open)", b.kitty.joinChannel({ channel: offered }))).channel;
    const [chatA, chatB] = await Promise.all([openChat(a, open), openChat(b, bView)]);

    const bodies = ["o0", "o1", "o2"];
    const sent = await sendAll(a, open, bodies);
    expect(sent.map((m) => m.body)).toEqual(bodies);
    await until(
      "bob receiving the open channel's messages",
      () => chatB.messages.length >= 3,
      () => chatB.bodies(),
    );
    await sleep(200);
    expect(chatB.bodies()).toEqual(bodies);
    expect(chatA.bodies()).toEqual(bodies);
    expect(chatB.messages[0]).toMatchObject({ type: "TEXT", user: { id: a.user.id } });

    const page = (await step("getMessages(open)", b.kitty.getMessages({ channel: bView }))).paginator;
    expect(page.items.map((m: any) => m.body)).toEqual([...bodies].reverse());

    const platform = await api("GET", await platformMessagesHref(open.id));
    expect(platform.status).toBe(200);
    const listed = platform.body._embedded.messages;
    expect(listed.map((m: any) => m.body)).toEqual([...bodies].reverse());
    for (const m of listed) {
      expect(m.id, "an ephemeral message has no id").toBeUndefined();
      expect(m._links.self, "an ephemeral message has no self link").toBeUndefined();
      expect(m._links.user.href).toMatch(new RegExp(`/users/${a.user.id}$`));
    }
  });

  it("endChatSession stops delivery to that user (the server sends nothing more on that socket)", async ({ expect }) => {
    const [a, b] = await Promise.all([startUser("alice"), startUser("bob")]);
    const { channel, as } = await sharedChannel(a, b);
    const [chatA, chatB] = await Promise.all([openChat(a, channel), openChat(b, as(b))]);
    await send(a, channel, "before");
    await until("bob receiving 'before'", () => chatB.bodies().includes("before"));

    b.kitty.endChatSession(chatB.session);
    await step("round trip after endChatSession", b.kitty.getCurrentUser());
    const [socket] = b.sockets();
    const framesBefore = socket!.received.length;
    await send(a, channel, "after");
    await until("alice receiving 'after'", () => chatA.bodies().includes("after"));
    await sleep(500);
    expect(chatB.bodies()).toEqual(["before"]);
    const leaked = socket!.received.slice(framesBefore).filter((f) => f.includes('"thread.message.created"'));
    expect(leaked, "no thread.message.created reached bob's socket after endChatSession").toEqual([]);
    // Bob's sendMessage now fails client-side: no chat session for the channel.
    const error = await rejection("sendMessage without a chat session", b.kitty.sendMessage({ channel: as(b), body: "x" }));
    expect(error.type).toBe("NoActiveChatSessionChatKittyError");
  });
});

describe("notifications and files", () => {
  it("onNotificationReceived: a member without a live chat session is notified; a member watching live is not", async ({ expect }) => {
    const [a, b] = await Promise.all([startUser("alice"), startUser("bob")]);
    const { channel, as } = await sharedChannel(a, b);
    const notesA: any[] = [];
    const notesB: any[] = [];
    a.kitty.onNotificationReceived((n: any) => notesA.push(n));
    b.kitty.onNotificationReceived((n: any) => notesB.push(n));
    await openChat(a, channel);

    await send(a, channel, "ping 🏓");
    await until("bob's notification", () => notesB.length >= 1);
    expect(notesB[0]).toMatchObject({ title: expect.any(String), body: "ping 🏓" });
    expect(Number.isNaN(Date.parse(notesB[0].createdTime))).toBe(false);
    expect(notesB[0].title.length).toBeGreaterThan(0);

    const chatB = await openChat(b, as(b));
    await send(a, channel, "pong");
    await until("bob receiving 'pong' live", () => chatB.bodies().includes("pong"));
    await sleep(500);
    expect(
      notesB.map((n) => n.body),
      "no notification while watching live",
    ).toEqual(["ping 🏓"]);
    expect(notesA, "the sender is not notified of her own messages").toEqual([]);
  });

  it("sendMessage with a file: uploaded, returned as FILE, delivered live to both, downloadable, persisted", async ({ expect }) => {
    const [a, b] = await Promise.all([startUser("alice"), startUser("bob")]);
    const { channel, as } = await sharedChannel(a, b);
    const [chatA, chatB] = await Promise.all([openChat(a, channel), openChat(b, as(b))]);
    const dir = mkdtempSync(path.join(tmpdir(), "kitty-e2e-"));
    const file = path.join(dir, "hello kitty.txt");
    const content = "Hello, file ☃\n";
    writeFileSync(file, content);
    // Node's own FormData cannot be sent by the SDK's axios 0.21; the form-data package is what a Node app would supply.
    const nodeFormData = (globalThis as any).FormData;
    (globalThis as any).FormData = require("form-data");
    const progress: unknown[] = [];
    try {
      const result = await step(
        "sendMessage with a file",
        a.kitty.sendMessage({
          channel,
          file: createReadStream(file),
          progressListener: {
            onStarted: () => progress.push("started"),
            onProgress: () => {},
            onCompleted: (r: unknown) => progress.push(r),
          },
        }),
        10_000,
      );
      expect(result.succeeded).toBe(true);
      const message = result.message;
      expect(message).toMatchObject({
        type: "FILE",
        user: { id: a.user.id },
        file: { name: "hello kitty.txt", size: Buffer.byteLength(content) },
      });
      expect(message.body).toBeUndefined();
      expect(message.file.contentType).toMatch(/^text\/plain/);
      expect(progress).toEqual(["started", 0]); // ChatKittyUploadResult.COMPLETED

      await until(
        "both users receiving the file message",
        () => chatA.messages.length >= 1 && chatB.messages.length >= 1,
        () => [chatA.messages, chatB.messages],
      );
      await sleep(300);
      for (const chat of [chatA, chatB]) {
        expect(chat.messages).toHaveLength(1);
        expect(chat.messages[0]).toMatchObject({ id: message.id, type: "FILE", file: { name: "hello kitty.txt" } });
      }
      const download = await fetch(chatB.messages[0].file.url);
      expect(download.status).toBe(200);
      expect(await download.text()).toBe(content);

      const page = (await step("getMessages", b.kitty.getMessages({ channel: as(b) }))).paginator;
      expect(page.items.map((m: any) => [m.id, m.type])).toEqual([[message.id, "FILE"]]);
      const persisted = await api("GET", `${appUrl()}/messages/${message.id}`);
      expect(persisted.body).toMatchObject({ id: message.id, type: "FILE" });
      expect((await api("GET", persisted.body._links.user.href)).body).toMatchObject({ id: a.user.id });
    } finally {
      (globalThis as any).FormData = nodeFormData;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
