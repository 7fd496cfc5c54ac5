/**
 * Idempotent operations raced: joins, the same user name, the same direct channel, the token
 * bound and repeated deletes, sent at once from the Platform API and chat sessions, leave exactly
 * the rows one of them would have left, and never a 5xx.
 */
import { describe, it } from "vitest";
import { setup } from "../helpers/api";
import { connectChat, ERRORS_QUEUE, receipt, sid } from "../helpers/chat";
import { NO_ORPHANS, orphans } from "../helpers/db-state";
import { countRows, expectNo5xx, labelled, sendAll, TIMEOUT, userHref } from "../helpers/races";

describe("idempotent operations raced", () => {
  it("parallel joins (Platform API and chat sessions) of the same channel: one membership each, never a 5xx", { timeout: TIMEOUT }, async ({
    expect,
  }) => {
    const w = await setup();
    const channel = await w.createChannel("PUBLIC", "popular");
    const users = await Promise.all(Array.from({ length: 30 }, () => w.createUser()));
    const sessions = await Promise.all(users.slice(20).map((u) => connectChat(w.app, u.name)));
    const base = `${w.urls.channels}/${channel.id}`;
    const joins = sessions.flatMap(({ client }) =>
      [0, 1, 2].map(() => {
        const r = receipt();
        client.send("SEND", { destination: `/application/v1/channels/${channel.id}.join`, receipt: r }, "{}");
        return r;
      }),
    );
    const answers = await Promise.all(
      users
        .slice(0, 20)
        .flatMap((u) =>
          [0, 1, 2].map(() => labelled(`POST member ${u.id}`, () => w.api.post(`${base}/members`, { href: userHref(w, u.id) }))),
        ),
    );
    await Promise.all(sessions.map(({ client }) => client.fence()));
    expectNo5xx(expect, answers);
    expect(answers.filter((a) => a.res.status !== 200).map((a) => `${a.what} → ${a.res.status}`)).toEqual([]);
    const refusedJoins = sessions.flatMap(({ client }) =>
      client.frames.filter((f) => f.headers.destination === ERRORS_QUEUE && joins.includes(f.headers["receipt-id"] ?? "")),
    );
    expect(refusedJoins.map((f) => f.body)).toEqual([]);
    expect(await countRows("SELECT count(*) AS n FROM channel_members WHERE channel_id = ?", channel.id)).toBe(30);
    const members = await w.api.get(`${base}/members?size=100`);
    expect(members.body.page.totalElements).toBe(30);
    expect(await orphans(w.app.id)).toEqual(NO_ORPHANS);
    for (const { client } of sessions) client.close();
  });

  it("parallel creates of the same user name: one 201, the rest 409, one row, the counter right", { timeout: TIMEOUT }, async ({
    expect,
  }) => {
    const w = await setup();
    const name = `same-${crypto.randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 25 }, () => labelled("POST user", () => w.api.post(w.urls.users, { name }))));
    expectNo5xx(expect, answers);
    expect(answers.map((a) => a.res.status).sort()).toEqual([201, ...Array(24).fill(409)]);
    expect(await countRows("SELECT count(*) AS n FROM users WHERE application_id = ? AND name = ?", w.app.id, name)).toBe(1);
    expect(await orphans(w.app.id)).toEqual(NO_ORPHANS);
  });

  it("parallel creates of the same DIRECT channel (API and SDK): one channel, its two members", { timeout: TIMEOUT }, async ({
    expect,
  }) => {
    const w = await setup();
    const [a, b] = await Promise.all([w.createUser(), w.createUser()]);
    const { client, me } = await connectChat(w.app, a.name);
    await client.subscribe(sid(), me._topics.channels);
    const sdk = await sendAll(
      client,
      Array.from({ length: 10 }, () => ({
        destination: "/application/v1/users/me.create-channel",
        body: { type: "DIRECT", members: [{ id: b.id }] },
      })),
    );
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        labelled("POST DIRECT", () => w.api.post(w.urls.channels, { type: "DIRECT", members: [userHref(w, a.id), userHref(w, b.id)] })),
      ),
    );
    await client.fence();
    expectNo5xx(expect, answers);
    expect(
      answers.every((x) => x.res.status === 200 || x.res.status === 201),
      JSON.stringify(answers.map((x) => x.res.status)),
    ).toBe(true);
    expect(answers.filter((x) => x.res.status === 201).length).toBeLessThanOrEqual(1);
    expect(new Set(answers.map((x) => x.res.body.id)).size).toBe(1);
    expect(
      client.frames
        .filter((f) => f.headers.destination === ERRORS_QUEUE && sdk.some((s) => s.r === f.headers["receipt-id"]))
        .map((f) => f.body),
    ).toEqual([]);
    expect(await countRows("SELECT count(*) AS n FROM channels WHERE application_id = ? AND type = 'DIRECT'", w.app.id)).toBe(1);
    expect(await countRows("SELECT count(*) AS n FROM channel_members WHERE channel_id = ?", answers[0]!.res.body.id)).toBe(2);
    expect(await orphans(w.app.id)).toEqual(NO_ORPHANS);
    client.close();
  });

  it("parallel token creates for one user: exactly 10 201s, the rest 409, 10 rows", { timeout: TIMEOUT }, async ({ expect }) => {
    const w = await setup();
    const u = await w.createUser();
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => labelled("POST token", () => w.api.post(`${w.urls.users}/${u.id}/tokens`, {}))),
    );
    expectNo5xx(expect, answers);
    expect(answers.filter((a) => a.res.status === 201)).toHaveLength(10);
    expect(answers.filter((a) => a.res.status === 409)).toHaveLength(20);
    expect(await countRows("SELECT count(*) AS n FROM user_tokens WHERE user_id = ?", u.id)).toBe(10);
  });

  it("parallel deletes of the same message and channel member: one 200 each, the rest 404", { timeout: TIMEOUT }, async ({ expect }) => {
    const w = await setup();
    const channel = await w.createChannel("PUBLIC", "c");
    const u = await w.createUser();
    expect((await w.api.post(`${w.urls.channels}/${channel.id}/members`, { href: userHref(w, u.id) })).status).toBe(200);
    const message = await w.api.post(`${w.urls.channels}/${channel.id}/messages`, { body: "once" });
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, () => labelled("DELETE message", () => w.api.del(`${w.urls.messages}/${message.body.id}`))),
      ...Array.from({ length: 10 }, () => labelled("DELETE member", () => w.api.del(`${w.urls.channels}/${channel.id}/members/${u.id}`))),
    ]);
    expectNo5xx(expect, answers);
    for (const what of ["DELETE message", "DELETE member"]) {
      expect(
        answers
          .filter((a) => a.what === what)
          .map((a) => a.res.status)
          .sort(),
        what,
      ).toEqual([200, ...Array(9).fill(404)]);
    }
    expect(await orphans(w.app.id)).toEqual(NO_ORPHANS);
  });
});
