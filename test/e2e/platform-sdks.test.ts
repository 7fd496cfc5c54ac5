/**
 * ChatKitty's current server SDKs, unmodified and pinned, against `npm run dev`: a back end moves
 * to a self-hosted server by changing two settings (README, "Server SDKs"). Each response the
 * SDKs hand back is checked against ChatKitty's own OpenAPI document for its operation
 * (test/helpers/chatkitty-schema.ts), so "works" means the SDK call resolved and the body has
 * ChatKitty's shape, not only that something came back.
 *
 * - `chatkitty-platform-sdk@2.4.0` (axios 0.26): `basePath` is the origin.
 * - `chatkitty@2.106.8`, installed as `chatkitty-server` beside the 1.1.1 client SDK (axios 1.x):
 *   `basePath` is the origin plus `/v1`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "vitest";
import { jobEnded, rejection, SDKS, serverSdk, shaped, unique } from "./platform-sdk-clients";

describe.each(SDKS)("%s, unmodified, against npm run dev", (_name, connect) => {
  it("reads the application its credentials belong to", async ({ expect }) => {
    const application = await shaped("GET /v1/application", connect().application());
    expect(application).toMatchObject({ id: expect.any(Number), key: expect.any(String), properties: expect.any(Object) });
  });

  it("creates, finds, patches and deletes users (guests, properties, merge patch)", async ({ expect }) => {
    const { Users } = connect();
    const name = unique("sdk-ünï 🐱");
    const user = await shaped(
      "POST /v1/users",
      Users.createUser({ name, displayName: "Ada", isGuest: false, properties: { team: "red", level: 3, tags: ["a"] } }),
    );
    expect(user).toMatchObject({ name, displayName: "Ada", isGuest: false, properties: { team: "red", level: 3, tags: ["a"] } });
    const guest = await shaped("POST /v1/users", Users.createUser({ name: unique("sdk-guest"), displayName: "Guest", isGuest: true }));
    expect(guest.isGuest).toBe(true);

    expect((await Users.checkUserExists(name)).status).toBe(200);
    expect((await rejection(Users.checkUserExists(unique("nobody")))).status).toBe(404);

    const page = await shaped("GET /v1/users", Users.listUsers(0, 5, undefined, name));
    expect(page._embedded?.users.map((u: { id: number }) => u.id)).toEqual([user.id]);
    expect(page.page).toMatchObject({ totalElements: 1, number: 0 });
    expect(await shaped("GET /v1/users/{id}", Users.retrieveUser(user.id))).toMatchObject({ id: user.id, name });

    // RFC 7396: null removes a property, other keys are merged, what is left out stays.
    const patched = await shaped(
      "PATCH /v1/users/{id}",
      Users.updateUser(user.id, { displayName: "Ada L.", properties: { level: null, mood: "🙂" } } as never),
    );
    expect(patched).toMatchObject({ displayName: "Ada L.", properties: { team: "red", tags: ["a"], mood: "🙂" } });
    expect(patched.properties).not.toHaveProperty("level");

    const channels = await shaped("GET /v1/users/{id}/channels", Users.listUserChannels(user.id, 0, 10));
    expect(channels.page.totalElements).toBe(0);

    await shaped("DELETE /v1/users/{id}", Users.deleteUser(guest.id));
    await shaped("DELETE /v1/users/{id}", Users.deleteUser(user.id));
    expect((await rejection(Users.retrieveUser(user.id))).status).toBe(404);
  });

  it("creates the three channel kinds with members by id and by username, and manages members and moderators", async ({ expect }) => {
    const { Users, Channels } = connect();
    const [ada, bob, cyd] = await Promise.all(
      ["ada", "bob", "cyd"].map((n) =>
        shaped("POST /v1/users", Users.createUser({ name: unique(`sdk-${n}`), displayName: n, isGuest: false })),
      ),
    );
    const publicChannel = await shaped(
      "POST /v1/channels",
      Channels.createChannel({ type: "PUBLIC", name: unique("sdk-public"), members: [{ username: ada.name }, { id: bob.id }] } as never),
    );
    expect(publicChannel).toMatchObject({ type: "PUBLIC", name: expect.any(String), displayName: expect.any(String) });
    const privateChannel = await shaped(
      "POST /v1/channels",
      Channels.createChannel({ type: "PRIVATE", members: [{ id: ada.id }] } as never),
    );
    // ChatKitty names an unnamed channel; its schema requires the name.
    expect(privateChannel.name).toEqual(expect.any(String));
    const direct = await shaped(
      "POST /v1/channels",
      Channels.createChannel({ type: "DIRECT", members: [{ username: ada.name }, { username: cyd.name }] } as never),
    );
    expect(direct.members.map((m: { id: number }) => m.id).sort()).toEqual([ada.id, cyd.id].sort());
    // The same set of members is the same DIRECT channel.
    const again = await shaped(
      "POST /v1/channels",
      Channels.createChannel({ type: "DIRECT", members: [{ id: cyd.id }, { id: ada.id }] } as never),
    );
    expect(again.id).toBe(direct.id);

    const privates = await shaped("GET /v1/channels", Channels.listChannels(0, 100, undefined, "PRIVATE"));
    expect(privates._embedded?.channels.map((c: { id: number }) => c.id)).toContain(privateChannel.id);
    expect(privates._embedded?.channels.every((c: { type: string }) => c.type === "PRIVATE")).toBe(true);
    expect(await shaped("GET /v1/channels/{id}", Channels.retrieveChannel(publicChannel.id))).toMatchObject({ id: publicChannel.id });
    const renamed = await shaped(
      "PATCH /v1/channels/{id}",
      Channels.updateChannel(publicChannel.id, { displayName: "Général 🎉", properties: { topic: "all" } } as never),
    );
    expect(renamed).toMatchObject({ displayName: "Général 🎉", properties: { topic: "all" } });

    await shaped("POST /v1/channels/{id}/members", Channels.addChannelMember(publicChannel.id, { username: cyd.name } as never));
    const members = await shaped("GET /v1/channels/{id}/members", Channels.listChannelMembers(publicChannel.id, 0, 10));
    expect(members._embedded?.users.map((u: { id: number }) => u.id).sort()).toEqual([ada.id, bob.id, cyd.id].sort());
    await shaped("DELETE /v1/channels/{id}/members/{user_id}", Channels.removeChannelMember(publicChannel.id, bob.id));
    const memberships = await shaped("GET /v1/channels/{id}/memberships", Channels.listChannelMemberships(publicChannel.id, 0, 10));
    expect(memberships._embedded?.memberships).toHaveLength(2);

    await shaped("POST /v1/channels/{id}/moderators", Channels.addChannelModerator(publicChannel.id, { id: ada.id } as never));
    const moderators = await shaped("GET /v1/channels/{id}/moderators", Channels.listChannelModerators(publicChannel.id, 0, 10));
    expect(moderators._embedded?.users.map((u: { id: number }) => u.id)).toEqual([ada.id]);
    await shaped("DELETE /v1/channels/{id}/moderators/{user_id}", Channels.removeChannelModerator(publicChannel.id, ada.id));

    const unknown = await rejection(Channels.createChannel({ type: "PUBLIC", members: [{ username: unique("nobody") }] } as never));
    expect(unknown.status).toBe(400);

    for (const c of [publicChannel, privateChannel, direct]) await shaped("DELETE /v1/channels/{id}", Channels.deleteChannel(c.id));
    expect((await rejection(Channels.retrieveChannel(publicChannel.id))).status).toBe(404);
    for (const u of [ada, bob, cyd]) await Users.deleteUser(u.id);
  });
});

describe.each(SDKS)("%s sends, pages, edits and deletes messages", (_name, connect) => {
  it("as the system and as a user, with integer cursors passed back by the caller", async ({ expect }) => {
    const { Users, Channels, Messages, Threads } = connect();
    const jane = await shaped("POST /v1/users", Users.createUser({ name: unique("sdk-jane"), displayName: "Jane", isGuest: false }));
    const channel = await shaped(
      "POST /v1/channels",
      Channels.createChannel({ type: "PUBLIC", name: unique("sdk-messages"), members: [{ id: jane.id }] }),
    );
    const system = await shaped(
      "POST /v1/channels/{id}/messages",
      Channels.sendChannelMessage(channel.id, { type: "TEXT", body: "Welcome 👋", groupTag: "news", properties: { pinned: true } }),
    );
    expect(system).toMatchObject({
      type: "SYSTEM_TEXT",
      channelId: channel.id,
      nestedLevel: 0,
      groupTag: "news",
      properties: { pinned: true },
    });
    const sent = [system];
    for (let i = 0; i < 5; i++) {
      sent.push(
        await shaped(
          "POST /v1/channels/{id}/messages",
          Channels.sendChannelMessage(channel.id, { type: "TEXT", body: `m${i}`, user: { username: jane.name } }),
        ),
      );
    }
    expect(sent[1]).toMatchObject({ type: "TEXT", user: { id: jane.id } });

    // Pages of 2, newest first: the caller reads `next` off the page's link and passes it back.
    const seen: number[] = [];
    let page = await shaped("GET /v1/channels/{id}/messages", Channels.listChannelMessages(channel.id, 2));
    for (;;) {
      seen.push(...page._embedded.messages.map((m: { id: number }) => m.id));
      const next = page._links.next?.href;
      if (!next) break;
      const query = new URL(next).searchParams;
      page = await shaped(
        "GET /v1/channels/{id}/messages",
        Channels.listChannelMessages(channel.id, 2, Number(query.get("start")), Number(query.get("next")), "NEXT"),
      );
    }
    expect(seen).toEqual(sent.map((m) => m.id).reverse());

    const edited = await shaped("PATCH /v1/messages/{id}", Messages.updateMessage(sent[1].id, { body: "m0, edited" }));
    expect(edited).toMatchObject({ body: "m0, edited", lastEditedTime: expect.any(String) });
    expect(await shaped("GET /v1/messages/{id}", Messages.retrieveMessage(sent[1].id))).toMatchObject({ body: "m0, edited" });
    const receipts = await shaped("GET /v1/messages/{id}/read-receipts", Messages.listMessageReadReceipts(sent[5].id, 0, 10));
    expect(receipts._embedded.receipts.map((r: { user: { id: number } }) => r.user.id)).toEqual([jane.id]);
    const everywhere = await shaped("GET /v1/messages", Messages.listMessages(3));
    expect(everywhere._embedded.messages.length).toBeGreaterThan(0);
    const thread = await shaped("DELETE /v1/messages/{id}", Messages.deleteMessage(sent[2].id));
    expect((await rejection(Messages.retrieveMessage(sent[2].id))).status).toBe(404);

    // The MAIN thread the delete answered: retrieved, sent into, and its messages paged.
    expect(await shaped("GET /v1/threads/{id}", Threads.retrieveThread(thread.id))).toEqual(thread);
    const reply = await shaped("POST /v1/threads/{id}/messages", Threads.sendThreadMessage(thread.id, { type: "TEXT", body: "in thread" }));
    const threadPage = await shaped("GET /v1/threads/{id}/messages", Threads.listThreadMessages(thread.id, 1));
    expect(threadPage._embedded.messages.map((m: { id: number }) => m.id)).toEqual([reply.id]);
    const older = new URL(threadPage._links.next.href).searchParams;
    const olderPage = await shaped(
      "GET /v1/threads/{id}/messages",
      Threads.listThreadMessages(thread.id, 1, Number(older.get("start")), Number(older.get("next")), "NEXT"),
    );
    expect(olderPage._embedded.messages).toHaveLength(1);

    // jane's messages: the four she sent that remain; unread, only what came after her last one.
    const hers = await shaped("GET /v1/users/{id}/messages", Users.listUserMessages(jane.id, 10));
    expect(hers._embedded.messages.map((m: { id: number }) => m.id)).toEqual([5, 4, 3, 1].map((i) => sent[i].id));
    const unread = await shaped("GET /v1/users/{id}/messages", Users.listUserMessages(jane.id, 10, undefined, undefined, undefined, true));
    expect(unread._embedded.messages.map((m: { id: number }) => m.id)).toEqual([reply.id]);
    // Only 2.106.8 has the count (ChatKitty's 2.41.9 document lacks it: checked by hand).
    if (Users.countUserUnreadMessages) expect((await Users.countUserUnreadMessages(jane.id)).data).toMatchObject({ count: 1 });

    const picture = { url: "https://example.com/jane.png", name: "jane.png", contentType: "image/png", size: 32768 };
    const pictured = await shaped("POST /v1/users/{id}/display-picture", Users.updateUserDisplayPicture(jane.id, picture));
    expect(pictured.displayPictureUrl).toBe(picture.url);
    await shaped("PUT /v1/users/{id}/secrets/{name}", Users.setUserSecret(jane.id, "crm-token", { secret: { token: "t0p" } }));
    const kept = await shaped("GET /v1/users/{id}/secrets/{name}", Users.retrieveUserSecret(jane.id, "crm-token"));
    expect(kept.secret).toEqual({ token: "t0p" });
    await shaped("DELETE /v1/users/{id}/secrets/{name}", Users.removeUserSecret(jane.id, "crm-token"));
    expect((await rejection(Users.retrieveUserSecret(jane.id, "crm-token"))).status).toBe(404);

    await Channels.deleteChannel(channel.id);
    await Users.deleteUser(jane.id);
  });
});

describe.each(SDKS)("%s imports", (_name, connect) => {
  it("users from a JSON file, polling the job to its end", async ({ expect }) => {
    const { Imports, Jobs, Users, importFile } = connect();
    const names = [unique("imported"), unique("imported")];
    const dir = mkdtempSync(path.join(tmpdir(), "sdk-import-"));
    try {
      const file = path.join(dir, "users.json");
      const records = names.map((name) => ({ name, displayName: `Imported ${name}`, guest: false, properties: { source: "sdk" } }));
      writeFileSync(file, JSON.stringify([...records, { name: "", properties: {} }]));
      const job = await shaped("POST /v1/imports/users", Imports.importUsers(importFile(file)));
      expect(job).toMatchObject({ type: "USER_IMPORT", state: "PENDING" });

      const ended = await jobEnded(Jobs, job);
      expect(ended).toMatchObject({ state: "FINISHED", importedRecords: 2, failedRecords: 1, endedTime: expect.any(String) });
      const listed = await shaped("GET /v1/jobs", Jobs.listJobs(0, 100, ["id,desc"], false));
      expect(listed._embedded.jobs.map((j: { id: number }) => j.id)).toContain(job.id);

      for (const name of names) {
        const page = await shaped("GET /v1/users", Users.listUsers(0, 1, undefined, name));
        expect(page._embedded.users[0]).toMatchObject({ name, properties: { source: "sdk" } });
        await Users.deleteUser(page._embedded.users[0].id);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(SDKS)("%s application settings", (_name, connect) => {
  it("reads and replaces them", async ({ expect }) => {
    const { settings, updateSettings } = connect();
    const before = await shaped("GET /v1/application/settings", settings());
    const flipped = before.userCreatedChannels === "ENABLED" ? "DISABLED" : "ENABLED";
    const after = await shaped(
      "PUT /v1/application/settings",
      updateSettings({ guestUsers: before.guestUsers, userCreatedChannels: flipped }),
    );
    expect(after).toMatchObject({ guestUsers: before.guestUsers, userCreatedChannels: flipped });
    await updateSettings({ guestUsers: before.guestUsers, userCreatedChannels: before.userCreatedChannels });
  });
});

describe("chatkitty@2.106.8 calls this server does not offer", () => {
  it("answer 501 with what to use instead: analytics exports and a channel's reported messages", async ({ expect }) => {
    const { Analytics, Channels } = serverSdk();
    const channel = await shaped("POST /v1/channels", Channels.createChannel({ type: "PUBLIC", name: unique("sdk-reports") }));
    // One call at a time: a rejection nobody awaits yet would be an unhandled one.
    for (const call of [
      () => Analytics.exportMessageAnalytics(),
      () => Analytics.exportUserAnalytics(),
      () => Channels.listChannelReportedMessages(channel.id, 0, 5),
    ]) {
      const refused = await rejection(call());
      expect(refused).toMatchObject({
        status: 501,
        data: { error: "NotImplementedError", message: expect.stringMatching(/instead|GET \/v1\//) },
      });
    }
    await Channels.deleteChannel(channel.id);
  });
});
