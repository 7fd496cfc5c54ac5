/**
 * Channel invites in the current form, `GET` and `POST /v1/channels/{id}/invites`: only PRIVATE
 * channels take invites; a user is named by {id} or {username}; a member cannot be invited; a
 * second invite is the first (one row); joining the channel (as member or moderator, through
 * the API or an import) accepts the invite, which leaves the list; a deleted user's invite goes
 * with them; another application's channels and users are not found. Every JSON answer
 * validates against ChatKitty's schema for its operation.
 */
import { env } from "cloudflare:workers";
import { describe, type ExpectStatic, it } from "vitest";
import { addMembersQueries } from "../../src/chat/queries/members";
import { createDb, openSession } from "../../src/db/client";
import { setup, type Setup } from "../helpers/api";
import { expectError, expectHal, expectInvalidField, isIsoUtc } from "../helpers/checks";
import { chatKittyClient, expectChatKitty } from "../helpers/chatkitty-schema";

const checkedSetup = async (expect: ExpectStatic) => {
  const s = await setup();
  return { ...s, api: chatKittyClient(expect, s.api) };
};

const users = async (s: Setup, n: number, label = "u") => {
  const out: { id: number; name: string }[] = [];
  for (let i = 0; i < n; i++) {
    const res = await s.api.post("/v1/users", { name: `${label}${i}-${crypto.randomUUID()}` });
    if (res.status !== 201) throw new Error(`user: ${res.status} ${JSON.stringify(res.body)}`);
    out.push(res.body);
  }
  return out;
};

const channel = async (s: Setup, body: Record<string, unknown>) => {
  const res = await s.api.post("/v1/channels", body);
  if (res.status !== 201) throw new Error(`channel: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: number; _links: { self: { href: string } } };
};

const inviteeIds = (res: { body: any }) =>
  (res.body._embedded.invites as { _links: { invitee: { href: string } } }[]).map((i) => Number(i._links.invitee.href.split("/").pop()));

const inviteRows = async (channelId: number) =>
  (await env.DB.prepare("select user_id from channel_invites where channel_id = ?").bind(channelId).all<{ user_id: number }>()).results;

describe("POST /v1/channels/{id}/invites", () => {
  it.for(["application/json", "application/vnd.chatkitty+json"])(
    "invites a user of a PRIVATE channel by id and by username (sent as %s), with invitee, channel and application links",
    async (contentType, { expect }) => {
      const s = await checkedSetup(expect);
      const [owner, jane, 李] = await users(s, 3);
      const room = await channel(s, { type: "PRIVATE", name: `room-${crypto.randomUUID()}`, creator: { id: owner!.id } });
      const path = `/v1/channels/${room.id}/invites`;
      const byId = await s.api.call("POST", path, JSON.stringify({ user: { id: jane!.id } }), { "Content-Type": contentType });
      expectHal(expect, byId);
      const invite = expectChatKitty(expect, byId, "POST /v1/channels/{id}/invites");
      expect(isIsoUtc(invite.createdTime)).toBe(true);
      expect(invite._links.invitee.href).toMatch(new RegExp(`/v1/applications/${s.app.id}/users/${jane!.id}$`));
      expect(invite._links.channel.href).toBe(room._links.self.href);
      expect(invite._links.application.href).toMatch(new RegExp(`/v1/applications/${s.app.id}$`));
      const byName = await s.api.post(path, { user: { username: 李!.name } });
      expectHal(expect, byName);
      expect(inviteeIds(await s.api.get(path))).toEqual([jane!.id, 李!.id]);
    },
  );

  it("answers the existing invite when the user is invited again: no second row, same createdTime", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const [jane] = await users(s, 1);
    const room = await channel(s, { type: "PRIVATE" });
    const path = `/v1/channels/${room.id}/invites`;
    const first = await s.api.post(path, { user: { id: jane!.id } });
    const again = await s.api.post(path, { user: { username: jane!.name } });
    expectHal(expect, again);
    expect(again.body).toEqual(first.body);
    expect(await inviteRows(room.id)).toEqual([{ user_id: jane!.id }]);
  });

  it("refuses PUBLIC, DIRECT and OPEN channels with 400, writing nothing", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const [a, b, jane] = await users(s, 3);
    const pub = await channel(s, { type: "PUBLIC" });
    const direct = await channel(s, { type: "DIRECT", members: [{ id: a!.id }, { id: b!.id }] });
    const open = (await s.api.post(s.urls.channels, { type: "OPEN", name: `open-${crypto.randomUUID()}` })).body;
    for (const ch of [pub, direct, open]) {
      const body = expectError(expect, await s.api.post(`/v1/channels/${ch.id}/invites`, { user: { id: jane!.id } }), 400);
      expect(body.message).toMatch(/only PRIVATE channels take invites/);
      expect(await inviteRows(ch.id)).toEqual([]);
    }
  });

  it("refuses a member with 400 naming user, and no invite is written", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const [owner] = await users(s, 1);
    const room = await channel(s, { type: "PRIVATE", creator: { id: owner!.id } });
    expectInvalidField(expect, await s.api.post(`/v1/channels/${room.id}/invites`, { user: { id: owner!.id } }), "user");
    expect(await inviteRows(room.id)).toEqual([]);
  });

  it("refuses bad bodies with 400: unknown user, another application's user, no user, two keys, not an object", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const other = await setup();
    const theirs = (await other.api.post("/v1/users", { name: `t-${crypto.randomUUID()}` })).body;
    const room = await channel(s, { type: "PRIVATE" });
    const path = `/v1/channels/${room.id}/invites`;
    expectInvalidField(expect, await s.api.post(path, { user: { id: 999_999_999 } }), "user");
    expectInvalidField(expect, await s.api.post(path, { user: { id: theirs.id } }), "user");
    expectInvalidField(expect, await s.api.post(path, { user: { username: "nobody-😶" } }), "user");
    expectError(expect, await s.api.post(path, { user: { username: "n".repeat(10_000) } }), 400);
    expectError(expect, await s.api.post(path, {}), 400);
    expectError(expect, await s.api.post(path, { user: {} }), 400);
    expectError(expect, await s.api.post(path, { user: { id: 1, username: "x" } }), 400);
    expectError(expect, await s.api.post(path, [1]), 400);
    expectError(expect, await s.api.call("POST", path, "{", { "Content-Type": "application/json" }), 400);
    expectError(expect, await s.api.call("POST", path, "user=1", { "Content-Type": "application/x-www-form-urlencoded" }), 415);
    expect(await inviteRows(room.id)).toEqual([]);
  });

  it("answers 404 for no such channel, a deleted one and another application's", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const other = await setup();
    const [jane] = await users(s, 1);
    const theirs = await channel(other, { type: "PRIVATE" });
    const gone = await channel(s, { type: "PRIVATE" });
    await s.api.del(`/v1/channels/${gone.id}`);
    for (const id of [999_999_999, gone.id, theirs.id]) {
      expectError(expect, await s.api.post(`/v1/channels/${id}/invites`, { user: { id: jane!.id } }), 404);
      expectError(expect, await s.api.get(`/v1/channels/${id}/invites`), 404);
    }
    expect(await inviteRows(theirs.id)).toEqual([]);
  });
});

describe("GET /v1/channels/{id}/invites", () => {
  it("pages the invites oldest first (or newest first with sort=createdTime,desc) with numbered page links", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const invited = await users(s, 3);
    const room = await channel(s, { type: "PRIVATE" });
    const path = `/v1/channels/${room.id}/invites`;
    for (const u of invited) {
      await s.api.post(path, { user: { id: u.id } });
      await new Promise((r) => setTimeout(r, 2)); // distinct creation times
    }
    const first = await s.api.get(`${path}?size=2`);
    expectHal(expect, first);
    expectChatKitty(expect, first, "GET /v1/channels/{id}/invites");
    expect(inviteeIds(first)).toEqual([invited[0]!.id, invited[1]!.id]);
    expect(first.body.page).toEqual({ size: 2, totalElements: 3, totalPages: 2, number: 0 });
    expect(first.body._links.next.href).toMatch(new RegExp(`/v1/channels/${room.id}/invites\\?page=1&size=2$`));
    expect(inviteeIds(await s.api.get(first.body._links.next.href))).toEqual([invited[2]!.id]);
    expect(inviteeIds(await s.api.get(`${path}?sort=createdTime,desc`))).toEqual(invited.map((u) => u.id).reverse());
    expectError(expect, await s.api.get(`${path}?sort=name`), 400);
    expectError(expect, await s.api.get(`${path}?size=0`), 400);
  });

  it("is empty for a channel nobody was invited to, of any type", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const room = await channel(s, { type: "PUBLIC" });
    const res = await s.api.get(`/v1/channels/${room.id}/invites`);
    expectHal(expect, res);
    expect(res.body._embedded.invites).toEqual([]);
    expect(res.body.page.totalElements).toBe(0);
  });
});

describe("accepting invites", () => {
  it("joining as a member or a moderator removes the invite; other invites stay", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const [jane, joe, ann] = await users(s, 3);
    const room = await channel(s, { type: "PRIVATE" });
    const path = `/v1/channels/${room.id}/invites`;
    for (const u of [jane, joe, ann]) await s.api.post(path, { user: { id: u!.id } });
    expectHal(expect, await s.api.post(`/v1/channels/${room.id}/members`, { username: jane!.name }));
    expectHal(expect, await s.api.post(`/v1/channels/${room.id}/moderators`, { id: joe!.id }));
    expect(inviteeIds(await s.api.get(path))).toEqual([ann!.id]);
    // A member who leaves can be invited again.
    expectHal(expect, await s.api.del(`/v1/channels/${room.id}/members/${jane!.id}`));
    expectHal(expect, await s.api.post(path, { user: { id: jane!.id } }));
    expect(inviteeIds(await s.api.get(path)).sort()).toEqual([ann!.id, jane!.id].sort());
  });

  it("members added in bulk (as imports add them) have their invites removed in the same transaction", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const invited = await users(s, 30);
    const room = await channel(s, { type: "PRIVATE" });
    const path = `/v1/channels/${room.id}/invites`;
    for (const u of invited) await s.api.post(path, { user: { id: u.id } });
    const joining = invited.slice(0, 29).map((u) => u.id);
    const db = createDb(openSession(env.DB));
    const [first, ...rest] = addMembersQueries(db, s.app.id, room.id, joining);
    await db.batch([first!, ...rest]);
    const members = await env.DB.prepare("select count(*) as n from channel_members where channel_id = ?")
      .bind(room.id)
      .first<{ n: number }>();
    expect(members?.n).toBe(29);
    expect(await inviteRows(room.id)).toEqual([{ user_id: invited[29]!.id }]);
  });

  it("deleting an invited user deletes their invite", async ({ expect }) => {
    const s = await checkedSetup(expect);
    const [jane, joe] = await users(s, 2);
    const room = await channel(s, { type: "PRIVATE" });
    const path = `/v1/channels/${room.id}/invites`;
    for (const u of [jane, joe]) await s.api.post(path, { user: { id: u!.id } });
    await s.api.del(`/v1/users/${jane!.id}`);
    expect(inviteeIds(await s.api.get(path))).toEqual([joe!.id]);
  });
});
