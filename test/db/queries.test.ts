/**
 * The query functions, called directly against the real D1 (no HTTP): tenancy (nothing read or
 * deleted through another application's id), what deleting a user or a channel takes with it,
 * users' pages and totals, and the message queries. The channel and membership queries are in
 * channel-queries.test.ts. Every test makes its own applications, so rows left by earlier tests
 * in this file never matter.
 */
import { count, eq } from "drizzle-orm";
import { describe, it } from "vitest";
import type { Db } from "../../src/db/client";
import { channelMembers, messages, users } from "../../src/db/schema";
import { findApplication } from "../../src/chat/queries/applications";
import { deleteChannel, findChannel, insertChannel, listChannelsPage, listUserChannelsPage } from "../../src/chat/queries/channels";
import { deleteMessage, findChannelWithMessages, findMessage } from "../../src/chat/queries/messages";
import { deleteUser, findUser, insertUser, listUsersPage } from "../../src/chat/queries/users";
import { db, newApp } from "../helpers/rows";

/** A system text message, written straight to D1 (the fixture of these tests). */
const insertSystemTextMessage = (d: Db, applicationId: number, channelId: number, body: string) =>
  d.insert(messages).values({ applicationId, channelId, type: "SYSTEM_TEXT", body }).returning().get();

const countWhere = async (d: Db, table: typeof messages | typeof channelMembers, column: any, value: number) =>
  (await d.select({ n: count() }).from(table).where(eq(column, value)).get())?.n ?? 0;

/** Two applications, each with a user, a PUBLIC and a PRIVATE channel, a membership and messages. */
const twoTenants = async (d: Db) => {
  const make = async (label: string) => {
    const app = await newApp(d, label);
    const user = await insertUser(d, app.id, { name: `${label}-user` });
    const pub = await insertChannel(d, app.id, "PUBLIC", `${label}-public`);
    const priv = await insertChannel(d, app.id, "PRIVATE", `${label}-private`);
    await d.insert(channelMembers).values({ channelId: priv.id, userId: user.id, applicationId: app.id });
    const message = await insertSystemTextMessage(d, app.id, pub.id, `${label}-message`);
    return { app, user, pub, priv, message };
  };
  return { a: await make("A"), b: await make("B") };
};

describe("tenancy: queries scoped by application id", () => {
  it("never returns application A's rows for application B's id", async ({ expect }) => {
    const d = db();
    const { a, b } = await twoTenants(d);

    expect(await findUser(d, b.app.id, a.user.id)).toBeUndefined();
    expect(await findChannel(d, b.app.id, a.pub.id)).toBeUndefined();
    expect(await findMessage(d, b.app.id, a.message.id)).toBeUndefined();

    const bUsers = await listUsersPage(d, b.app.id, 0, 100);
    expect(bUsers.rows.map((u) => u.id)).toEqual([b.user.id]);
    expect(bUsers.total).toBe(1);

    const bChannels = await listChannelsPage(d, b.app.id, 0, 100);
    expect(bChannels.rows.map((c) => c.id)).toEqual([b.pub.id, b.priv.id]);
    expect(bChannels.total).toBe(2);

    // A's user under B's id: B's open/public channels only, never A's private one
    const cross = await listUserChannelsPage(d, b.app.id, a.user.id, 0, 100);
    expect(cross.rows.map((c) => c.id)).not.toContain(a.priv.id);
    expect(cross.rows.map((c) => c.id)).not.toContain(a.pub.id);

    const withMessages = await findChannelWithMessages(d, b.app.id, a.pub.id, undefined, 100);
    expect(withMessages.channel).toBeUndefined();
    expect(withMessages.rows).toEqual([]);

    // sanity: A sees its own rows
    expect(await findUser(d, a.app.id, a.user.id)).toEqual({
      id: a.user.id,
      name: "A-user",
      displayName: null,
      displayPictureUrl: null,
      isGuest: false,
      properties: {},
    });
    expect((await findMessage(d, a.app.id, a.message.id))?.body).toBe("A-message");
  });

  it("never deletes application A's rows through application B's id", async ({ expect }) => {
    const d = db();
    const { a, b } = await twoTenants(d);

    expect((await deleteUser(d, b.app.id, a.user.id)).deleted).toBeUndefined();
    expect((await deleteChannel(d, b.app.id, a.pub.id)).deleted).toBeUndefined();
    expect(await deleteMessage(d, b.app.id, a.message.id)).toBeUndefined();

    expect(await findUser(d, a.app.id, a.user.id)).toBeDefined();
    expect(await findChannel(d, a.app.id, a.pub.id)).toBeDefined();
    expect(await findMessage(d, a.app.id, a.message.id)).toBeDefined();
  });

  it("lists a user's channels: OPEN and PUBLIC ones, PRIVATE ones only with membership", async ({ expect }) => {
    const d = db();
    const app = await newApp(d);
    const member = await insertUser(d, app.id, { name: "member" });
    const outsider = await insertUser(d, app.id, { name: "outsider" });
    const open = await insertChannel(d, app.id, "OPEN", "o");
    const pub = await insertChannel(d, app.id, "PUBLIC", "p");
    const joined = await insertChannel(d, app.id, "PRIVATE", "joined");
    await insertChannel(d, app.id, "PRIVATE", "not-joined");
    await d.insert(channelMembers).values({ channelId: joined.id, userId: member.id, applicationId: app.id });

    const mine = await listUserChannelsPage(d, app.id, member.id, 0, 100);
    expect(mine.rows.map((c) => c.id)).toEqual([open.id, pub.id, joined.id]);
    expect(mine.total).toBe(3);
    const theirs = await listUserChannelsPage(d, app.id, outsider.id, 0, 100);
    expect(theirs.rows.map((c) => c.id)).toEqual([open.id, pub.id]);
    expect(theirs.total).toBe(2);
  });
});

describe("deleteUser", () => {
  it("cascades the user's memberships and the messages they sent, and nothing else", async ({ expect }) => {
    const d = db();
    const app = await newApp(d);
    const gone = await insertUser(d, app.id, { name: "gone" });
    const stays = await insertUser(d, app.id, { name: "stays" });
    const ch = await insertChannel(d, app.id, "PRIVATE", "room");
    await d.insert(channelMembers).values([
      { channelId: ch.id, userId: gone.id, applicationId: app.id },
      { channelId: ch.id, userId: stays.id, applicationId: app.id },
    ]);
    const sent = await d
      .insert(messages)
      .values([
        { applicationId: app.id, channelId: ch.id, userId: gone.id, type: "TEXT", body: "from gone 1" },
        { applicationId: app.id, channelId: ch.id, userId: gone.id, type: "TEXT", body: "from gone 2" },
        { applicationId: app.id, channelId: ch.id, userId: stays.id, type: "TEXT", body: "from stays" },
      ])
      .returning({ id: messages.id, userId: messages.userId });
    const system = await insertSystemTextMessage(d, app.id, ch.id, "system");

    const result = await deleteUser(d, app.id, gone.id);
    expect(result.deleted).toEqual({ id: gone.id, name: "gone" });
    expect(result.app).toMatchObject({ id: app.id, name: app.name, key: app.key });
    // plain TEXT messages: no stored files to remove
    expect(result.fileDeletions).toEqual([]);

    expect(await findUser(d, app.id, gone.id)).toBeUndefined();
    expect(await countWhere(d, channelMembers, channelMembers.userId, gone.id)).toBe(0);
    expect(await countWhere(d, messages, messages.userId, gone.id)).toBe(0);
    for (const m of sent.filter((m) => m.userId === gone.id)) expect(await findMessage(d, app.id, m.id)).toBeUndefined();

    expect(await findUser(d, app.id, stays.id)).toBeDefined();
    expect(await countWhere(d, channelMembers, channelMembers.userId, stays.id)).toBe(1);
    expect(await countWhere(d, messages, messages.userId, stays.id)).toBe(1);
    expect(await findMessage(d, app.id, system.id)).toBeDefined();
    expect(await findChannel(d, app.id, ch.id)).toBeDefined();
  });

  it("reports an unknown user as not deleted", async ({ expect }) => {
    const d = db();
    const app = await newApp(d);
    const u = await insertUser(d, app.id, { name: "once" });
    expect((await deleteUser(d, app.id, u.id)).deleted).toEqual({ id: u.id, name: "once" });
    expect(await deleteUser(d, app.id, u.id)).toMatchObject({ deleted: undefined, fileDeletions: [] });
  });
});

describe("deleteChannel", () => {
  it("cascades the channel's messages and memberships, and nothing else", async ({ expect }) => {
    const d = db();
    const app = await newApp(d);
    const user = await insertUser(d, app.id, { name: "u" });
    const gone = await insertChannel(d, app.id, "PUBLIC", "gone");
    const stays = await insertChannel(d, app.id, "PUBLIC", "stays");
    await d.insert(channelMembers).values([
      { channelId: gone.id, userId: user.id, applicationId: app.id },
      { channelId: stays.id, userId: user.id, applicationId: app.id },
    ]);
    const m1 = await insertSystemTextMessage(d, app.id, gone.id, "one");
    const m2 = await insertSystemTextMessage(d, app.id, gone.id, "two");
    await d.insert(messages).values({ applicationId: app.id, channelId: gone.id, userId: user.id, type: "TEXT", body: "t" });
    const kept = await insertSystemTextMessage(d, app.id, stays.id, "kept");

    const result = await deleteChannel(d, app.id, gone.id);
    expect(result.deleted).toEqual({
      id: gone.id,
      type: "PUBLIC",
      name: "gone",
      properties: {},
      displayName: null,
      creatorId: null,
      createdAt: expect.any(Date),
    });
    expect(result.app).toMatchObject({ id: app.id, key: app.key });

    expect(await findChannel(d, app.id, gone.id)).toBeUndefined();
    expect(await countWhere(d, messages, messages.channelId, gone.id)).toBe(0);
    expect(await countWhere(d, channelMembers, channelMembers.channelId, gone.id)).toBe(0);
    expect(await findMessage(d, app.id, m1.id)).toBeUndefined();
    expect(await findMessage(d, app.id, m2.id)).toBeUndefined();

    expect(await findMessage(d, app.id, kept.id)).toBeDefined();
    expect(await countWhere(d, channelMembers, channelMembers.channelId, stays.id)).toBe(1);
    expect(await findUser(d, app.id, user.id)).toBeDefined();
  });

  it("returns the deleted channel's type, so an OPEN channel can be cleared", async ({ expect }) => {
    const d = db();
    const app = await newApp(d);
    const open = await insertChannel(d, app.id, "OPEN", "live");
    expect((await deleteChannel(d, app.id, open.id)).deleted?.type).toBe("OPEN");
    expect((await deleteChannel(d, app.id, open.id)).deleted).toBeUndefined();
  });
});

describe("listUsersPage", () => {
  it("returns the total of the application and the requested slice, ascending id", async ({ expect }) => {
    const d = db();
    const app = await newApp(d);
    const other = await newApp(d);
    const made = [];
    for (let i = 0; i < 7; i++) made.push(await insertUser(d, app.id, { name: `user-${i}` }));
    await insertUser(d, other.id, { name: "elsewhere" });

    const first = await listUsersPage(d, app.id, 0, 3);
    expect(first.total).toBe(7);
    expect(first.rows.map((u) => u.id)).toEqual(made.slice(0, 3).map((u) => u.id));

    const last = await listUsersPage(d, app.id, 6, 3);
    expect(last.total).toBe(7);
    expect(last.rows.map((u) => u.name)).toEqual(["user-6"]);

    const past = await listUsersPage(d, app.id, 30, 3);
    expect(past).toEqual({ rows: [], total: 7 });

    const empty = await listUsersPage(d, (await newApp(d)).id, 0, 20);
    expect(empty).toEqual({ rows: [], total: 0 });
  });

  it("counts only live users after a delete", async ({ expect }) => {
    const d = db();
    const app = await newApp(d);
    const a = await insertUser(d, app.id, { name: "a" });
    await insertUser(d, app.id, { name: "b" });
    await deleteUser(d, app.id, a.id);
    const page = await listUsersPage(d, app.id, 0, 20);
    expect(page.total).toBe(1);
    expect(page.rows.map((u) => u.name)).toEqual(["b"]);
  });

  it("refuses a duplicate name in one application through the unique index", async ({ expect }) => {
    const d = db();
    const app = await newApp(d);
    const other = await newApp(d);
    await insertUser(d, app.id, { name: "dup" });
    await expect(insertUser(d, app.id, { name: "dup" })).rejects.toThrow();
    await expect(insertUser(d, other.id, { name: "dup" })).resolves.toMatchObject({ name: "dup" });
    const rows = await d.select({ n: count() }).from(users).where(eq(users.applicationId, app.id)).get();
    expect(rows?.n).toBe(1);
  });
});

describe("messages queries", () => {
  it("pages a channel's messages newest first below a bound", async ({ expect }) => {
    const d = db();
    const app = await newApp(d);
    const ch = await insertChannel(d, app.id, "PUBLIC", "c");
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await insertSystemTextMessage(d, app.id, ch.id, `m${i}`));
    const all = await findChannelWithMessages(d, app.id, ch.id, undefined, 10);
    expect(all.channel?.id).toBe(ch.id);
    expect(all.rows.map((m) => m.body)).toEqual(["m4", "m3", "m2", "m1", "m0"]);
    const below = await findChannelWithMessages(d, app.id, ch.id, made[2]!.id, 2);
    expect(below.rows.map((m) => m.body)).toEqual(["m2", "m1"]);
    expect(made.every((m) => m.createdAt instanceof Date)).toBe(true);
  });

  it("deleteMessage returns the message's channel and its file-deletion records (none without a stored file)", async ({ expect }) => {
    const d = db();
    const app = await newApp(d);
    const ch = await insertChannel(d, app.id, "PRIVATE", "room");
    const m = await insertSystemTextMessage(d, app.id, ch.id, "bye");
    expect(await deleteMessage(d, app.id, m.id)).toEqual({
      channel: {
        id: ch.id,
        type: "PRIVATE",
        name: "room",
        properties: {},
        displayName: null,
        creatorId: null,
        createdAt: expect.any(Date),
      },
      fileDeletions: [],
    });
    expect(await deleteMessage(d, app.id, m.id)).toBeUndefined();
    expect(await findApplication(d, app.id)).toMatchObject({ id: app.id });
  });
});
