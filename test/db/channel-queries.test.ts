/**
 * The channel and membership query functions, called directly against the real D1 (no HTTP):
 * channels created with their first members, one DIRECT channel per set of users, channel lists
 * filtered by `direct` and member names, adding and removing members, and a user's channels
 * counting DIRECT memberships. Every test makes its own applications.
 */
import { eq } from "drizzle-orm";
import { describe, it } from "vitest";
import type { Db } from "../../src/db/client";
import { channelMembers, channels } from "../../src/db/schema";
import {
  findChannel,
  findOrCreateDirectChannel,
  insertChannel,
  listChannelsPage,
  listUserChannelsPage,
} from "../../src/chat/queries/channels";
import { addMember, listMembersPage, removeMember } from "../../src/chat/queries/members";
import { insertUser } from "../../src/chat/queries/users";
import { db, newApp } from "../helpers/rows";

const memberIdsOf = async (d: Db, channelId: number) =>
  (
    await d
      .select({ id: channelMembers.userId })
      .from(channelMembers)
      .where(eq(channelMembers.channelId, channelId))
      .orderBy(channelMembers.userId)
  ).map((r) => r.id);

describe("channels with members", () => {
  it('insertChannel: no name is stored as "", and initial members of the application are added in the same batch', async ({ expect }) => {
    const d = db();
    const app = await newApp(d);
    const other = await newApp(d);
    const [u1, u2] = [await insertUser(d, app.id, { name: "u1" }), await insertUser(d, app.id, { name: "u2" })];
    const stranger = await insertUser(d, other.id, { name: "stranger" });

    const unnamed = await insertChannel(d, app.id, "PUBLIC", undefined);
    expect(unnamed).toEqual({
      id: unnamed.id,
      type: "PUBLIC",
      name: "",
      properties: {},
      displayName: null,
      creatorId: null,
      createdAt: expect.any(Date),
    });
    expect(await memberIdsOf(d, unnamed.id)).toEqual([]);

    const withMembers = await insertChannel(d, app.id, "PRIVATE", "team", [u2.id, u1.id, stranger.id]);
    expect(withMembers).toEqual({
      id: withMembers.id,
      type: "PRIVATE",
      name: "team",
      properties: {},
      displayName: null,
      creatorId: null,
      createdAt: expect.any(Date),
    });
    // another application's user is never made a member
    expect(await memberIdsOf(d, withMembers.id)).toEqual([u1.id, u2.id]);
    // the marker that found the new channel is gone, so it cannot collide with a DIRECT key
    const row = await d.select({ directKey: channels.directKey }).from(channels).where(eq(channels.id, withMembers.id)).get();
    expect(row?.directKey).toBeNull();
  });

  it("findOrCreateDirectChannel: one channel per set of users, whatever the order", async ({ expect }) => {
    const d = db();
    const app = await newApp(d);
    const [a, b, c] = [
      await insertUser(d, app.id, { name: "a" }),
      await insertUser(d, app.id, { name: "b" }),
      await insertUser(d, app.id, { name: "c" }),
    ];
    const first = await findOrCreateDirectChannel(d, app.id, undefined, [b.id, a.id]);
    expect(first.created).toBe(true);
    expect(first.channel).toEqual({
      id: first.channel.id,
      type: "DIRECT",
      name: "",
      properties: {},
      displayName: null,
      creatorId: null,
      createdAt: expect.any(Date),
    });
    expect(await memberIdsOf(d, first.channel.id)).toEqual([a.id, b.id]);

    const again = await findOrCreateDirectChannel(d, app.id, "ignored", [a.id, b.id, a.id]);
    expect(again).toEqual({ channel: first.channel, created: false });
    expect(await memberIdsOf(d, first.channel.id)).toEqual([a.id, b.id]);

    const trio = await findOrCreateDirectChannel(d, app.id, "trio", [c.id, b.id, a.id]);
    expect(trio.created).toBe(true);
    expect(trio.channel.id).not.toBe(first.channel.id);
    expect(trio.channel.name).toBe("trio");

    // the same user ids in another application are another set
    const elsewhere = await newApp(d);
    const ea = await insertUser(d, elsewhere.id, { name: "a" });
    const eb = await insertUser(d, elsewhere.id, { name: "b" });
    const theirs = await findOrCreateDirectChannel(d, elsewhere.id, undefined, [ea.id, eb.id]);
    expect(theirs.created).toBe(true);
    expect(await findChannel(d, app.id, theirs.channel.id)).toBeUndefined();
  });

  it("listChannelsPage filters by direct and by member names (all of them), within the application", async ({ expect }) => {
    const d = db();
    const app = await newApp(d);
    const other = await newApp(d);
    const [jane, john, carol] = [
      await insertUser(d, app.id, { name: "jane" }),
      await insertUser(d, app.id, { name: "john" }),
      await insertUser(d, app.id, { name: "carol" }),
    ];
    const pub = await insertChannel(d, app.id, "PUBLIC", "pub", [jane.id]);
    const priv = await insertChannel(d, app.id, "PRIVATE", "priv", [jane.id, john.id, carol.id]);
    const dm = (await findOrCreateDirectChannel(d, app.id, undefined, [jane.id, john.id])).channel;
    const [oj, oo] = [await insertUser(d, other.id, { name: "jane" }), await insertUser(d, other.id, { name: "john" })];
    await findOrCreateDirectChannel(d, other.id, undefined, [oj.id, oo.id]);

    const ids = async (filter: Parameters<typeof listChannelsPage>[4]) => {
      const page = await listChannelsPage(d, app.id, 0, 100, filter);
      expect(page.total).toBe(page.rows.length);
      return page.rows.map((c) => c.id);
    };
    expect(await ids({})).toEqual([pub.id, priv.id, dm.id]);
    expect(await ids({ direct: true })).toEqual([dm.id]);
    expect(await ids({ direct: false })).toEqual([pub.id, priv.id]);
    expect(await ids({ memberNames: ["jane", "john"] })).toEqual([priv.id, dm.id]);
    expect(await ids({ memberNames: ["jane"] })).toEqual([pub.id, priv.id, dm.id]);
    expect(await ids({ memberNames: ["carol", "john"] })).toEqual([priv.id]);
    expect(await ids({ memberNames: ["jane", "nobody"] })).toEqual([]);
    expect(await ids({ direct: true, memberNames: ["jane", "john"] })).toEqual([dm.id]);
  });

  it("addMember is idempotent; removeMember returns the removed user (or nothing); both scoped by application", async ({ expect }) => {
    const d = db();
    const app = await newApp(d);
    const other = await newApp(d);
    const u = await insertUser(d, app.id, { name: "u" });
    const ch = await insertChannel(d, app.id, "PRIVATE", "room");
    await addMember(d, app.id, ch.id, u.id);
    await addMember(d, app.id, ch.id, u.id);
    expect(await memberIdsOf(d, ch.id)).toEqual([u.id]);

    const page = await listMembersPage(d, app.id, ch.id, 0, 20);
    expect(page).toEqual({
      rows: [{ id: u.id, name: "u", displayName: null, displayPictureUrl: null, isGuest: false, properties: {} }],
      total: 1,
    });
    expect(await listMembersPage(d, other.id, ch.id, 0, 20)).toEqual({ rows: [], total: 0 });

    expect(await removeMember(d, other.id, ch.id, u.id)).toBeUndefined();
    expect(await memberIdsOf(d, ch.id)).toEqual([u.id]);
    expect(await removeMember(d, app.id, ch.id, u.id)).toEqual({ id: u.id, name: "u" });
    expect(await removeMember(d, app.id, ch.id, u.id)).toBeUndefined();
    expect(await memberIdsOf(d, ch.id)).toEqual([]);
  });

  it("listUserChannelsPage counts DIRECT memberships", async ({ expect }) => {
    const d = db();
    const app = await newApp(d);
    const [a, b, c] = [
      await insertUser(d, app.id, { name: "a" }),
      await insertUser(d, app.id, { name: "b" }),
      await insertUser(d, app.id, { name: "c" }),
    ];
    const ab = (await findOrCreateDirectChannel(d, app.id, undefined, [a.id, b.id])).channel;
    const bc = (await findOrCreateDirectChannel(d, app.id, undefined, [b.id, c.id])).channel;
    expect((await listUserChannelsPage(d, app.id, a.id, 0, 100)).rows.map((ch) => ch.id)).toEqual([ab.id]);
    expect(await listUserChannelsPage(d, app.id, b.id, 0, 100)).toMatchObject({ total: 2, rows: [{ id: ab.id }, { id: bc.id }] });
  });
});
