/**
 * Adding moderators and inviting users by id or username (src/chat/moderation.ts) against the real
 * D1: who may, on which channel types, and that unknown or foreign users are never found.
 */
import { and, eq } from "drizzle-orm";
import { describe, it } from "vitest";
import { addModeratorByUser, inviteByUser } from "../../src/chat/moderation";
import { insertChannel } from "../../src/chat/queries/channels";
import { inviteUser } from "../../src/chat/queries/invites";
import { isChannelMember } from "../../src/chat/queries/members";
import { channelInvites, channelMembers } from "../../src/db/schema";
import { errorOf } from "./chat-error";
import { type World, world } from "./message-fixture";

const isModerator = async (w: World, userId: number, channelId = w.channel.id) =>
  (
    await w.d
      .select({ isModerator: channelMembers.isModerator })
      .from(channelMembers)
      .where(and(eq(channelMembers.channelId, channelId), eq(channelMembers.userId, userId)))
      .get()
  )?.isModerator;

describe("addModeratorByUser", () => {
  it("lets the creator name a member by id and a moderator name one by username", async ({ expect }) => {
    const w = await world();
    const byCreator = await addModeratorByUser(w.scope, w.creator.id, w.channel.id, { id: w.alice.id });
    expect(byCreator.channel).toMatchObject({ id: w.channel.id, isMember: true });
    expect(byCreator.user).toMatchObject({ id: w.alice.id, name: w.alice.name });
    expect(await isModerator(w, w.alice.id)).toBe(true);
    const byModerator = await addModeratorByUser(w.scope, w.moderator.id, w.channel.id, { username: w.bob.name });
    expect(byModerator.user.id).toBe(w.bob.id);
    expect(await isModerator(w, w.bob.id)).toBe(true);
    // Naming a moderator again changes nothing.
    expect((await addModeratorByUser(w.scope, w.creator.id, w.channel.id, { id: w.bob.id })).user.id).toBe(w.bob.id);
  });

  it("works on PUBLIC channels, and a newly made moderator may add others", async ({ expect }) => {
    const w = await world("PUBLIC");
    await addModeratorByUser(w.scope, w.creator.id, w.channel.id, { id: w.alice.id });
    await addModeratorByUser(w.scope, w.alice.id, w.channel.id, { id: w.bob.id });
    expect(await isModerator(w, w.bob.id)).toBe(true);
  });

  it("refuses a plain member, and a non-member of a PUBLIC channel", async ({ expect }) => {
    const w = await world("PUBLIC");
    expect(await errorOf(addModeratorByUser(w.scope, w.alice.id, w.channel.id, { id: w.bob.id }))).toBe("AccessDeniedError");
    expect(await errorOf(addModeratorByUser(w.scope, w.outsider.id, w.channel.id, { id: w.bob.id }))).toBe("NotAChannelMemberError");
    expect(await isModerator(w, w.bob.id)).toBe(false);
  });

  it("refuses DIRECT channels, even to their creator", async ({ expect }) => {
    const w = await world();
    const direct = await insertChannel(w.d, w.app.id, "DIRECT", undefined, [w.alice.id, w.bob.id], { creatorId: w.alice.id });
    expect(await errorOf(addModeratorByUser(w.scope, w.alice.id, direct.id, { id: w.bob.id }))).toBe("AccessDeniedError");
    expect(await isModerator(w, w.bob.id, direct.id)).toBe(false);
  });

  it("does not find unknown users, another application's users or invisible channels; refuses a user who is not a member", async ({
    expect,
  }) => {
    const w = await world();
    const other = await world("PRIVATE", "h1-other");
    const add = (target: { id: number } | { username: string }) => addModeratorByUser(w.scope, w.creator.id, w.channel.id, target);
    expect(await errorOf(add({ id: 987_654_321 }))).toBe("UserNotFoundError");
    expect(await errorOf(add({ username: "nobody-☃" }))).toBe("UserNotFoundError");
    expect(await errorOf(add({ id: other.alice.id }))).toBe("UserNotFoundError");
    expect(await errorOf(add({ username: other.alice.name }))).toBe("UserNotFoundError");
    expect(await errorOf(add({ id: w.outsider.id }))).toBe("NotAChannelMemberError");
    // Never made a member by being named.
    expect(await isChannelMember(w.d, w.app.id, w.channel.id, w.outsider.id)).toBe(false);
    expect(await errorOf(addModeratorByUser(w.scope, w.outsider.id, w.channel.id, { id: w.alice.id }))).toBe("ChannelNotFoundError");
    expect(await errorOf(addModeratorByUser(w.scope, w.creator.id, 987_654_321, { id: w.alice.id }))).toBe("ChannelNotFoundError");
    expect(await errorOf(addModeratorByUser(w.scope, other.creator.id, other.channel.id, { id: other.alice.id }))).toBe(
      "ChannelNotFoundError",
    );
    expect(await isModerator(other, other.alice.id)).toBe(false);
  });
});

describe("inviteByUser", () => {
  it("makes the named user a member at once, reporting whether they were new, and withdraws their pending invite", async ({ expect }) => {
    const w = await world();
    await inviteUser(w.d, w.app.id, w.channel.id, w.outsider.id);
    const invited = await inviteByUser(w.scope, w.alice.id, w.channel.id, { username: w.outsider.name });
    expect(invited).toMatchObject({ channel: { id: w.channel.id, isMember: true }, user: { id: w.outsider.id }, added: true });
    expect(await isChannelMember(w.d, w.app.id, w.channel.id, w.outsider.id)).toBe(true);
    expect(await w.d.select().from(channelInvites).where(eq(channelInvites.channelId, w.channel.id))).toEqual([]);
    expect((await inviteByUser(w.scope, w.bob.id, w.channel.id, { id: w.outsider.id })).added).toBe(false);
    expect((await inviteByUser(w.scope, w.alice.id, w.channel.id, { id: w.bob.id })).added).toBe(false);
    expect(await isModerator(w, w.outsider.id)).toBe(false);
  });

  it("lets any member of a PUBLIC channel invite", async ({ expect }) => {
    const w = await world("PUBLIC");
    expect((await inviteByUser(w.scope, w.bob.id, w.channel.id, { id: w.outsider.id })).added).toBe(true);
  });

  it("refuses inviting oneself, by id or by username", async ({ expect }) => {
    const w = await world();
    expect(await errorOf(inviteByUser(w.scope, w.alice.id, w.channel.id, { id: w.alice.id }))).toBe("InvalidUserError");
    expect(await errorOf(inviteByUser(w.scope, w.alice.id, w.channel.id, { username: w.alice.name }))).toBe("InvalidUserError");
  });

  it("refuses non-members and DIRECT channels, and does not find unknown or foreign users and channels", async ({ expect }) => {
    const w = await world("PUBLIC");
    const other = await world("PRIVATE", "h1-other");
    expect(await errorOf(inviteByUser(w.scope, w.outsider.id, w.channel.id, { id: w.alice.id }))).toBe("NotAChannelMemberError");
    const direct = await insertChannel(w.d, w.app.id, "DIRECT", undefined, [w.alice.id, w.bob.id]);
    expect(await errorOf(inviteByUser(w.scope, w.alice.id, direct.id, { id: w.outsider.id }))).toBe("AccessDeniedError");
    expect(await isChannelMember(w.d, w.app.id, direct.id, w.outsider.id)).toBe(false);
    expect(await errorOf(inviteByUser(w.scope, w.alice.id, w.channel.id, { id: 987_654_321 }))).toBe("UserNotFoundError");
    expect(await errorOf(inviteByUser(w.scope, w.alice.id, w.channel.id, { id: other.outsider.id }))).toBe("UserNotFoundError");
    expect(await errorOf(inviteByUser(w.scope, w.alice.id, w.channel.id, { username: other.outsider.name }))).toBe("UserNotFoundError");
    expect(await errorOf(inviteByUser(w.scope, w.alice.id, 987_654_321, { id: w.outsider.id }))).toBe("ChannelNotFoundError");
    expect(await errorOf(inviteByUser(w.scope, other.alice.id, other.channel.id, { id: other.outsider.id }))).toBe("ChannelNotFoundError");
    expect(await isChannelMember(other.d, other.app.id, other.channel.id, other.outsider.id)).toBe(false);
  });
});
