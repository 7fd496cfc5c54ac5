/**
 * A system message to an OPEN channel this isolate has posted to before goes straight to the
 * channel's room: no D1 query (chat/messages.ts `knownOpenChannels`). Proven by handing the
 * Worker a D1 that fails every statement for that request. A deleted channel's room refuses the
 * post (its tombstone), so the shortcut never answers 201 for a channel that no longer exists.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import worker from "../../src/index";
import { channelRoomStub } from "../../src/chat/live";
import { ORIGIN, setup, tokenFor } from "../helpers/api";

/** A D1 whose every statement fails: any query the request makes turns it into an error. */
const unreachableD1 = (): D1Database => {
  const fail = () => {
    throw new Error("D1 was queried");
  };
  const db = { prepare: fail, batch: fail, exec: fail, withSession: () => db, getBookmark: () => null };
  return db as unknown as D1Database;
};

const postWith = async (bindings: Partial<Env>, url: string, token: string, body: unknown) => {
  const ctx = createExecutionContext();
  const init = {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const res = await worker.fetch(new Request(url.startsWith("http") ? url : `${ORIGIN}${url}`, init), { ...env, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
};

describe("system messages to a known OPEN channel", () => {
  it("reach the room without a D1 query once the isolate has posted to the channel", async ({ expect }) => {
    const s = await setup();
    const token = await tokenFor(s.app);
    const channel = await s.createChannel("OPEN");
    const url = channel._links.messages.href;
    // The token is verified and its epoch read now, so the next requests need no D1 for that either.
    expect((await postWith({}, url, token, { body: "first" })).status).toBe(201);

    const res = await postWith({ DB: unreachableD1() }, url, token, { body: "no D1" });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(((await res.json()) as { body: string }).body).toBe("no D1");
    const held = await channelRoomStub(env, s.app.id, channel.id).list(undefined, 10);
    expect(held.map((m) => m.body)).toEqual(["no D1", "first"]);
  });

  it("answer 404 after the channel was deleted, though the isolate still knew it as OPEN", async ({ expect }) => {
    const s = await setup();
    const token = await tokenFor(s.app);
    const channel = await s.createChannel("OPEN");
    const url = channel._links.messages.href;
    expect((await postWith({}, url, token, { body: "before" })).status).toBe(201);
    expect((await s.api.del(channel._links.self.href)).status).toBe(200);

    const res = await postWith({}, url, token, { body: "after" });
    expect(res.status).toBe(404);
    // Also with an Idempotency-Key (the room's other entry point).
    const keyed = await worker.fetch(
      new Request(url, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "Idempotency-Key": "k-after-delete" },
        body: JSON.stringify({ body: "after" }),
      }),
      env,
      createExecutionContext(),
    );
    expect(keyed.status).toBe(404);
    expect(await channelRoomStub(env, s.app.id, channel.id).size()).toBe(0);
  });

  it("do not take the shortcut for a PUBLIC channel: its messages are saved in D1", async ({ expect }) => {
    const s = await setup();
    const token = await tokenFor(s.app);
    const channel = await s.createChannel("PUBLIC");
    const url = channel._links.messages.href;
    expect((await postWith({}, url, token, { body: "saved" })).status).toBe(201);
    const res = await postWith({ DB: unreachableD1() }, url, token, { body: "needs D1" });
    expect(res.status).toBeGreaterThanOrEqual(500);
  });
});
