/**
 * Contacts (src/chat/contacts.ts) against the real D1: who shares a channel with the user, the
 * name, display-name and online filters (unicode, and pattern characters taken literally), the
 * order, and presence from user sessions.
 */
import { eq } from "drizzle-orm";
import { describe, it } from "vitest";
import { contactIdsOf, countContacts, listContacts, onlineUserIds } from "../../src/chat/contacts";
import { insertChannel } from "../../src/chat/queries/channels";
import { addMember } from "../../src/chat/queries/members";
import { insertUser } from "../../src/chat/queries/users";
import { userSessions, users } from "../../src/db/schema";
import { type World, world } from "./message-fixture";

/** An open connection of the user (ended: a closed one). */
const connect = (w: World, userId: number, ended = false) =>
  w.d.insert(userSessions).values({
    applicationId: w.app.id,
    userId,
    shard: "shard-0",
    conn: crypto.randomUUID(),
    endedAt: ended ? new Date() : null,
  });

/** A user of the world's application who shares a new channel with alice. */
const aliceMeets = async (w: World, name: string, displayName?: string) => {
  const user = await insertUser(w.d, w.app.id, { name, displayName });
  const channel = await insertChannel(w.d, w.app.id, "PRIVATE", `with ${name}`);
  for (const member of [w.alice.id, user.id]) await addMember(w.d, w.app.id, channel.id, member);
  return user;
};

const ids = (rows: { id: number }[]) => rows.map((r) => r.id);

describe("listContacts and countContacts", () => {
  it("lists everyone who shares a channel with the user, once, by display name then id; never the user or strangers", async ({
    expect,
  }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    // bob shares a second channel with alice: still one contact.
    await insertChannel(w.d, w.app.id, "PUBLIC", "second", [w.alice.id, w.bob.id]);
    const page = await listContacts(w.scope, w.alice.id, {}, 0, 10);
    // Names h1-bob < h1-creator < h1-moderator, none with a display name.
    expect(ids(page.rows)).toEqual([w.bob.id, w.creator.id, w.moderator.id]);
    expect(page.total).toBe(3);
    expect(page.rows[0]).toEqual({ ...w.bob, online: false });
    expect(await countContacts(w.scope, w.alice.id, {})).toBe(3);
    expect(await listContacts(w.scope, w.outsider.id, {}, 0, 10)).toEqual({ rows: [], total: 0 });
    // Another application's user, under this application's scope, has no contacts here.
    expect(await listContacts(w.scope, other.alice.id, {}, 0, 10)).toEqual({ rows: [], total: 0 });
    expect(await listContacts(w.scope, w.alice.id, {}, 1, 1)).toEqual({ rows: [page.rows[1]], total: 3 });
  });

  it("orders by display name, falling back to the name, with unicode names kept intact", async ({ expect }) => {
    const w = await world();
    await w.d.update(users).set({ displayName: "Åsa Öberg" }).where(eq(users.id, w.creator.id));
    const zoe = await aliceMeets(w, "zoe", "Zoë Ünal");
    const lei = await aliceMeets(w, "lei", "李雷 👋");
    const aa = await aliceMeets(w, "aa");
    const { rows } = await listContacts(w.scope, w.alice.id, {}, 0, 10);
    // Binary order of the shown names: "Zoë Ünal" < "aa" < "h1-bob" < "h1-moderator" < "Åsa Öberg" < "李雷 👋".
    expect(ids(rows)).toEqual([zoe.id, aa.id, w.bob.id, w.moderator.id, w.creator.id, lei.id]);
    expect(rows.find((r) => r.id === lei.id)?.displayName).toBe("李雷 👋");
  });

  it("filters by a substring of the name and of the shown name, unicode included, ignoring ASCII case", async ({ expect }) => {
    const w = await world();
    const zoe = await aliceMeets(w, "zoë.ünal", "Zoë Ünal");
    const lei = await aliceMeets(w, "lei", "李雷 👋");
    const list = async (filter: { name?: string; displayName?: string }) =>
      ids((await listContacts(w.scope, w.alice.id, filter, 0, 10)).rows);
    expect(await list({ name: "BOB" })).toEqual([w.bob.id]);
    expect(await list({ name: "h1-" })).toEqual([w.bob.id, w.creator.id, w.moderator.id]);
    expect(await list({ name: "ë.ü" })).toEqual([zoe.id]);
    expect(await list({ displayName: "ZOë Ü" })).toEqual([zoe.id]);
    // SQLite folds ASCII letters only: other letters match in their own case.
    expect(await list({ displayName: "zoË" })).toEqual([]);
    expect(await list({ displayName: "ünal" })).toEqual([]);
    expect(await list({ displayName: "李" })).toEqual([lei.id]);
    expect(await list({ displayName: "👋" })).toEqual([lei.id]);
    // No display name: the name is what is shown, and matched.
    expect(await list({ displayName: "moderator" })).toEqual([w.moderator.id]);
    // Both filters must hold.
    expect(await list({ name: "lei", displayName: "Zoë" })).toEqual([]);
    expect(await countContacts(w.scope, w.alice.id, { name: "h1-" })).toBe(3);
    expect(await countContacts(w.scope, w.alice.id, { displayName: "李雷" })).toBe(1);
  });

  it("takes %, _ and \\ in a filter literally", async ({ expect }) => {
    const w = await world();
    const percent = await aliceMeets(w, "100%_sure", "50% off");
    const slash = await aliceMeets(w, "back\\slash");
    const list = async (filter: { name?: string; displayName?: string }) =>
      ids((await listContacts(w.scope, w.alice.id, filter, 0, 10)).rows);
    expect(await list({ name: "%" })).toEqual([percent.id]);
    expect(await list({ name: "_" })).toEqual([percent.id]);
    expect(await list({ name: "0%_s" })).toEqual([percent.id]);
    expect(await list({ name: "1_0" })).toEqual([]);
    expect(await list({ displayName: "%" })).toEqual([percent.id]);
    expect(await list({ name: "\\" })).toEqual([slash.id]);
    expect(await list({ name: "k\\s" })).toEqual([slash.id]);
    expect(await countContacts(w.scope, w.alice.id, { name: "%" })).toBe(1);
  });

  it("tells who is online from open user sessions, and filters on it", async ({ expect }) => {
    const w = await world();
    await connect(w, w.bob.id);
    await connect(w, w.bob.id);
    await connect(w, w.creator.id, true);
    // alice's own connection does not make her her own contact.
    await connect(w, w.alice.id);
    const { rows } = await listContacts(w.scope, w.alice.id, {}, 0, 10);
    expect(rows.map((r) => [r.id, r.online])).toEqual([
      [w.bob.id, true],
      [w.creator.id, false],
      [w.moderator.id, false],
    ]);
    expect(await listContacts(w.scope, w.alice.id, { online: true }, 0, 10)).toEqual({ rows: [rows[0]], total: 1 });
    expect(ids((await listContacts(w.scope, w.alice.id, { online: false }, 0, 10)).rows)).toEqual([w.creator.id, w.moderator.id]);
    expect(await countContacts(w.scope, w.alice.id, { online: true })).toBe(1);
    expect(await countContacts(w.scope, w.alice.id, { online: false, name: "mod" })).toBe(1);
  });
});

describe("onlineUserIds", () => {
  it("answers which of more than 100 users have an open session, in this application only", async ({ expect }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    const crowd: number[] = [];
    for (let i = 0; i < 110; i++) crowd.push((await insertUser(w.d, w.app.id, { name: `crowd-${i}` })).id);
    const online = [crowd[0], crowd[98], crowd[99], crowd[109]].map((id) => id ?? 0);
    for (const id of online) await connect(w, id);
    await connect(w, crowd[5] ?? 0, true);
    await connect(other, other.alice.id);
    const answer = await onlineUserIds(w.d, w.app.id, [...crowd, ...online, other.alice.id]);
    expect([...answer].sort((a, b) => a - b)).toEqual(online);
    expect(await onlineUserIds(w.d, w.app.id, [])).toEqual(new Set());
  });
});

describe("contactIdsOf", () => {
  it("answers up to `limit` of the user's contacts, ascending", async ({ expect }) => {
    const w = await world();
    const all = [w.creator.id, w.moderator.id, w.bob.id].sort((a, b) => a - b);
    expect(await contactIdsOf(w.d, w.app.id, w.alice.id, 10)).toEqual(all);
    expect(await contactIdsOf(w.d, w.app.id, w.alice.id, 2)).toEqual(all.slice(0, 2));
    expect(await contactIdsOf(w.d, w.app.id, w.outsider.id, 10)).toEqual([]);
  });
});
