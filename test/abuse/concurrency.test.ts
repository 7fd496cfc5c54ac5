/**
 * Concurrency: many requests at once on the same channel or user, from the Platform API and from
 * chat sessions, racing the deletes that would orphan what they create. Afterwards, whatever the
 * interleaving:
 *
 * - every request was answered below 500, and no chat action with InternalServerError;
 * - nothing points at a row that is gone (SQL checks over the whole database: messages and
 *   memberships of deleted channels, memberships, messages and tokens of deleted users, the
 *   trigger-kept counters), and no uploaded file outlives its channel in R2.
 * Idempotent operations raced are in idempotent-races.test.ts.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { fetchWorker, setup, tokenFor, type ApiResponse } from "../helpers/api";
import { connectChat, ERRORS_QUEUE, receipt, sid, sleep } from "../helpers/chat";
import { NO_ORPHANS, orphans } from "../helpers/db-state";
import { countRows, expectNo5xx, internalErrors, labelled, sendAll, TIMEOUT, userHref, type World } from "../helpers/races";

const ROUNDS = 6;

/** A system file message upload (multipart), as a back end sends one. */
const upload = async (w: World, token: string, channelId: number): Promise<ApiResponse> => {
  const form = new FormData();
  form.append("file", new File([`file for ${channelId} ${crypto.randomUUID()}`], "race.txt", { type: "text/plain" }));
  const res = await fetchWorker(`${w.urls.channels}/${channelId}/messages`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
    body: form,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
};

describe("a channel deleted while messages, memberships and files are created in it", () => {
  for (const type of ["PUBLIC", "PRIVATE", "OPEN"] as const) {
    it(`${type}: parallel creates racing parallel deletes leave no orphans and never a 5xx`, { timeout: TIMEOUT }, async ({ expect }) => {
      const w = await setup();
      const token = await tokenFor(w.app);
      const users = await Promise.all(Array.from({ length: 20 }, () => w.createUser()));
      // A few rounds: each a fresh channel with members and a live session in it, then the storm.
      for (let round = 0; round < ROUNDS; round++) {
        const channel = await w.createChannel(type, `race-${round}`);
        const sessionUser = users[round]!;
        if (type !== "OPEN") {
          for (const u of users.slice(0, 5))
            expect((await w.api.post(`${w.urls.channels}/${channel.id}/members`, { href: userHref(w, u.id) })).status).toBe(200);
        }
        const { client } = await connectChat(w.app, sessionUser.name);
        await client.subscribe(sid(), `/topic/v1/channels/${channel.id}/messages`);
        if (type === "OPEN") {
          client.send("SEND", { destination: `/application/v1/channels/${channel.id}.join`, receipt: receipt() }, "{}");
          await client.fence();
        }
        // The session's messages go out while the HTTP storm runs.
        const chatSends = sendAll(
          client,
          Array.from({ length: 20 }, (_, i) => ({
            destination: `/application/v1/channels/${channel.id}.message`,
            body: { type: "TEXT", body: `chat ${i}` },
          })),
        );
        const base = `${w.urls.channels}/${channel.id}`;
        const answers = await Promise.all([
          ...Array.from({ length: 25 }, (_, i) => labelled(`POST message ${i}`, () => w.api.post(`${base}/messages`, { body: `m${i}` }))),
          ...users
            .slice(5, 20)
            .map((u) => labelled(`POST member ${u.id}`, () => w.api.post(`${base}/members`, { href: userHref(w, u.id) }))),
          ...users.slice(0, 3).map((u) => labelled(`DELETE member ${u.id}`, () => w.api.del(`${base}/members/${u.id}`))),
          ...Array.from({ length: 4 }, (_, i) => labelled(`upload ${i}`, () => upload(w, token, channel.id))),
          ...Array.from({ length: 3 }, () => labelled("GET messages", () => w.api.get(`${base}/messages`))),
          ...Array.from({ length: 5 }, () => labelled("DELETE channel", () => w.api.del(base))),
        ]);
        await chatSends;
        await client.fence();
        expectNo5xx(expect, answers);
        expect(
          answers.filter((a) => a.what === "DELETE channel" && a.res.status === 200),
          "exactly one delete wins",
        ).toHaveLength(1);
        expect(answers.filter((a) => a.what === "DELETE channel" && a.res.status !== 200).map((a) => a.res.status)).toEqual([
          404, 404, 404, 404,
        ]);
        expect.soft(internalErrors(client), `round ${round}: chat actions answered InternalServerError`).toEqual([]);
        // Late writers have finished (uploads delete their object when their insert fails).
        await sleep(50);
        expect((await w.api.get(base)).status).toBe(404);
        expect
          .soft(await countRows("SELECT count(*) AS n FROM messages WHERE channel_id = ?", channel.id), "messages of the deleted channel")
          .toBe(0);
        expect
          .soft(
            await countRows("SELECT count(*) AS n FROM channel_members WHERE channel_id = ?", channel.id),
            "memberships of the deleted channel",
          )
          .toBe(0);
        const files = await env.FILES.list({ prefix: `${w.app.id}/${channel.id}/` });
        expect
          .soft(
            files.objects.map((o) => o.key),
            `round ${round}: uploaded files outliving their channel`,
          )
          .toEqual([]);
        expect.soft(await orphans(w.app.id), `round ${round}: orphans`).toEqual(NO_ORPHANS);
        client.close();
      }
    });
  }
});

describe("a user deleted while tokens, memberships, channels and messages are created for them", () => {
  it("parallel creates for the user racing parallel deletes of the user leave no orphans and never a 5xx", { timeout: TIMEOUT }, async ({
    expect,
  }) => {
    const w = await setup();
    for (let round = 0; round < ROUNDS; round++) {
      const [victim, other] = await Promise.all([w.createUser(), w.createUser()]);
      const [pub, priv] = await Promise.all([w.createChannel("PUBLIC", "pub"), w.createChannel("PRIVATE", "priv")]);
      expect((await w.api.post(`${w.urls.channels}/${pub.id}/members`, { href: userHref(w, victim.id) })).status).toBe(200);
      expect((await w.api.post(`${w.urls.channels}/${pub.id}/members`, { href: userHref(w, other.id) })).status).toBe(200);
      const { client, me } = await connectChat(w.app, victim.name);
      await client.subscribe(sid(), me._topics.channels);
      const user = `${w.urls.users}/${victim.id}`;
      const chatSends = sendAll(client, [
        ...Array.from({ length: 8 }, (_, i) => ({
          destination: `/application/v1/channels/${pub.id}.message`,
          body: { type: "TEXT", body: `from victim ${i}` },
        })),
        { destination: "/application/v1/users/me.create-channel", body: { type: "PUBLIC", name: "made by the victim" } },
        {
          destination: "/application/v1/users/me.create-channel",
          body: { type: "PRIVATE", name: "private by the victim", members: [{ id: other.id }] },
        },
        { destination: "/application/v1/users/me.create-channel", body: { type: "DIRECT", members: [{ id: other.id }] } },
        { destination: "/application/v1/users/me.update", body: { displayName: "still here" } },
        { destination: `/application/v1/channels/${pub.id}.read`, body: {} },
      ]);
      const answers = await Promise.all([
        ...Array.from({ length: 15 }, () => labelled("POST token", () => w.api.post(`${user}/tokens`, {}))),
        labelled("POST member pub", () => w.api.post(`${w.urls.channels}/${pub.id}/members`, { href: userHref(w, victim.id) })),
        ...Array.from({ length: 5 }, () =>
          labelled("POST member priv", () => w.api.post(`${w.urls.channels}/${priv.id}/members`, { href: userHref(w, victim.id) })),
        ),
        ...Array.from({ length: 3 }, (_, i) =>
          labelled("POST DIRECT channel", () =>
            w.api.post(w.urls.channels, { type: "DIRECT", name: `d${i}`, members: [userHref(w, victim.id), userHref(w, other.id)] }),
          ),
        ),
        ...Array.from({ length: 3 }, (_, i) =>
          labelled("POST PRIVATE channel with members", () =>
            w.api.post(w.urls.channels, { type: "PRIVATE", name: `p${i}`, members: [userHref(w, victim.id), userHref(w, other.id)] }),
          ),
        ),
        ...Array.from({ length: 3 }, (_, i) => labelled("PATCH user", () => w.api.call("PATCH", user, { displayName: `n${i}` }))),
        ...Array.from({ length: 2 }, () => labelled("GET user channels", () => w.api.get(`${user}/channels`))),
        ...Array.from({ length: 5 }, () => labelled("DELETE user", () => w.api.del(user))),
      ]);
      await chatSends;
      await client.fence().catch(() => undefined); // the session may be refused now that its user is gone
      expectNo5xx(expect, answers);
      expect(
        answers.filter((a) => a.what === "DELETE user" && a.res.status === 200),
        "exactly one delete wins",
      ).toHaveLength(1);
      expect.soft(internalErrors(client), `round ${round}: chat actions answered InternalServerError`).toEqual([]);
      await sleep(50);
      expect((await w.api.get(user)).status).toBe(404);
      expect
        .soft(await countRows("SELECT count(*) AS n FROM user_tokens WHERE user_id = ?", victim.id), "tokens of the deleted user")
        .toBe(0);
      expect
        .soft(await countRows("SELECT count(*) AS n FROM channel_members WHERE user_id = ?", victim.id), "memberships of the deleted user")
        .toBe(0);
      expect
        .soft(await countRows("SELECT count(*) AS n FROM messages WHERE user_id = ?", victim.id), "messages of the deleted user")
        .toBe(0);
      expect.soft(await orphans(w.app.id), `round ${round}: orphans`).toEqual(NO_ORPHANS);
      client.close();
    }
  });

  it("a session whose user is deleted is ended at once (ERROR UserDeletedError); what it sends after is never performed", {
    timeout: TIMEOUT,
  }, async ({ expect }) => {
    const w = await setup();
    const [victim, other] = await Promise.all([w.createUser(), w.createUser()]);
    const pub = await w.createChannel("PUBLIC", "pub");
    expect((await w.api.post(`${w.urls.channels}/${pub.id}/members`, { href: userHref(w, victim.id) })).status).toBe(200);
    const { client, me } = await connectChat(w.app, victim.name);
    await client.subscribe(sid(), me._topics.channels);
    expect((await w.api.del(`${w.urls.users}/${victim.id}`)).status).toBe(200);
    const ended = await client.take("ERROR frame", (f) => f.command === "ERROR", 1000);
    expect(JSON.parse(ended.body).error).toBe("UserDeletedError");
    const sends = await sendAll(
      client,
      [
        { destination: `/application/v1/channels/${pub.id}.message`, body: { type: "TEXT", body: "ghost" } },
        { destination: `/application/v1/channels/${pub.id}.join`, body: {} },
        { destination: `/application/v1/channels/${pub.id}.read`, body: {} },
        { destination: "/application/v1/users/me.create-channel", body: { type: "PUBLIC", name: "ghost channel" } },
        { destination: "/application/v1/users/me.create-channel", body: { type: "DIRECT", members: [{ id: other.id }] } },
        { destination: "/application/v1/users/me.update", body: { displayName: "ghost" } },
      ],
      false,
    );
    await client.waitClosed();
    await sleep(100);
    expect(sends).toHaveLength(6);
    expect(
      client.frames.filter((f) => f.headers.destination === ERRORS_QUEUE),
      "nothing was performed, so nothing was answered",
    ).toEqual([]);
    expect
      .soft(
        await countRows("SELECT count(*) AS n FROM channels WHERE application_id = ? AND name LIKE 'ghost%'", w.app.id),
        "channels made by a deleted user",
      )
      .toBe(0);
    expect
      .soft(
        await countRows("SELECT count(*) AS n FROM channels WHERE application_id = ? AND type = 'DIRECT'", w.app.id),
        "a direct channel with a deleted user",
      )
      .toBe(0);
    expect(await orphans(w.app.id)).toEqual(NO_ORPHANS);
    client.close();
  });
});
