/**
 * What was acknowledged is never lost, and what failed is never half-done. Faults are injected
 * into each store a multi-store operation touches, after the step that commits it:
 * - a room whose `publish` fails: a chat message saved in D1 is still answered as sent (once),
 *   never as an error a client would retry into a duplicate;
 * - a room whose `clear` fails, or an R2 whose `delete` fails, while a channel, message or user
 *   is deleted: the delete is answered as done, its files are unreachable at once, and the
 *   recorded deletions are carried out by the scheduled sweep once R2 works again.
 */
import { createExecutionContext, createScheduledController, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { channelRoomStub } from "../../src/chat/live";
import type { ChannelRoom } from "../../src/durable/channel-room";
import worker from "../../src/index";
import { fetchWorker, ORIGIN, setup, tokenFor } from "../helpers/api";
import { connectChat, receipt, sid } from "../helpers/chat";

const injected = () => Object.assign(new Error("injected fault"), { retryable: false });

/**
 * Makes the room's shard registry throw from now on (in this instance's memory), which fails
 * `publish` and `clear` from inside, as a storage fault would.
 */
const breakRoom = (appId: number, channelId: number) =>
  runInDurableObject(channelRoomStub(env, appId, channelId), (room: ChannelRoom) => {
    Object.defineProperty(room, "registryReady", {
      get: () => {
        throw injected();
      },
    });
  });

/** The Worker with an R2 binding whose deletes fail. */
const withFailingR2Deletes = async (url: string, init: RequestInit) => {
  const files = new Proxy(env.FILES, {
    get: (target, prop) => (prop === "delete" ? async () => Promise.reject(injected()) : Reflect.get(target, prop).bind(target)),
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${ORIGIN}${url}`, init), { ...env, FILES: files }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
};

const sweep = async () => {
  const ctx = createExecutionContext();
  await worker.scheduled!(createScheduledController(), env, ctx);
  await waitOnExecutionContext(ctx);
};

const pendingDeletions = async () => (await env.DB.prepare("SELECT count(*) AS n FROM file_deletions").first<{ n: number }>())!.n;

const objectsUnder = async (prefix: string) => (await env.FILES.list({ prefix })).objects.length;

/** A channel with one uploaded file message; returns its download URL. */
const channelWithFile = async (type: "PUBLIC" | "PRIVATE" = "PUBLIC") => {
  const w = await setup();
  const channel = await w.createChannel(type, "files");
  const form = new FormData();
  form.append("file", new File(["hello"], "hello.txt", { type: "text/plain" }));
  const auth = `Bearer ${await tokenFor(w.app)}`;
  const res = await fetchWorker(`${w.urls.channels}/${channel.id}/messages`, {
    method: "POST",
    headers: { Authorization: auth },
    body: form,
  });
  if (res.status !== 201) throw new Error(`upload: ${res.status}`);
  const message = (await res.json()) as { id: number; file: { url: string } };
  return { ...w, auth, channel, message };
};

describe("a room whose publish fails after the message was saved", () => {
  it("still answers the chat SEND as sent, with its receipt, and the message exists exactly once", async ({ expect }) => {
    const w = await setup();
    const name = `jane-${crypto.randomUUID()}`;
    const channel = await w.createChannel("PUBLIC", "broken room");
    const { client } = await connectChat(w.app, name);
    await client.subscribe(sid(), `/topic/v1/channels/${channel.id}/messages`);
    client.send(
      "SEND",
      { destination: `/application/v1/channels/${channel.id}.join`, receipt: receipt(), "content-type": "application/json" },
      "{}",
    );
    await client.fence();
    await breakRoom(w.app.id, channel.id);

    const r = receipt();
    client.send(
      "SEND",
      { destination: `/application/v1/channels/${channel.id}.message`, receipt: r, "content-type": "application/json" },
      JSON.stringify({ type: "TEXT", body: "saved anyway" }),
    );
    const result = await client.take("the result with its receipt", (f) => f.command === "MESSAGE" && f.headers["receipt-id"] === r);
    expect(result.headers.destination).not.toBe("/user/queue/v1/errors");
    expect(JSON.parse(result.body).resource.body).toBe("saved anyway");
    const page = await w.api.get(`${w.urls.channels}/${channel.id}/messages`);
    expect(page.body._embedded.messages.map((m: { body: string }) => m.body)).toEqual(["saved anyway"]);
    client.close();
  });
});

describe("a channel deleted while its room or R2 fails", () => {
  it("room clear failing: the delete is answered 200, the channel and its files are gone", async ({ expect }) => {
    const w = await channelWithFile();
    await breakRoom(w.app.id, w.channel.id);
    const res = await w.api.del(`${w.urls.channels}/${w.channel.id}`);
    expect(res.status).toBe(200);
    expect((await w.api.get(`${w.urls.channels}/${w.channel.id}`)).status).toBe(404);
    expect((await fetchWorker(w.message.file.url)).status).toBe(404);
    expect(await objectsUnder(`${w.app.id}/${w.channel.id}/`)).toBe(0);
  });

  it("R2 delete failing: answered 200, the file is unreachable at once, and the sweep deletes it later", async ({ expect }) => {
    const w = await channelWithFile("PRIVATE");
    const before = await pendingDeletions();
    const res = await withFailingR2Deletes(`${w.urls.channels}/${w.channel.id}`.replace(ORIGIN, ""), {
      method: "DELETE",
      headers: { Authorization: w.auth },
    });
    expect(res.status).toBe(200);
    expect(await objectsUnder(`${w.app.id}/${w.channel.id}/`), "R2 still holds it").toBe(1);
    expect((await fetchWorker(w.message.file.url)).status, "but it is not served").toBe(404);
    expect(await pendingDeletions()).toBe(before + 1);
    await sweep();
    expect(await objectsUnder(`${w.app.id}/${w.channel.id}/`)).toBe(0);
    expect(await pendingDeletions()).toBe(before);
  });
});

describe("a message or user deleted while R2 fails", () => {
  it("message: answered 200, its file unreachable at once, deleted by the sweep", async ({ expect }) => {
    const w = await channelWithFile();
    const res = await withFailingR2Deletes(`/v1/applications/${w.app.id}/messages/${w.message.id}`, {
      method: "DELETE",
      headers: { Authorization: w.auth },
    });
    expect(res.status).toBe(200);
    expect((await fetchWorker(w.message.file.url)).status).toBe(404);
    expect(await objectsUnder(`${w.app.id}/${w.channel.id}/`)).toBe(1);
    await sweep();
    expect(await objectsUnder(`${w.app.id}/${w.channel.id}/`)).toBe(0);
  });

  it("user: answered 200, the files of their messages unreachable at once, deleted by the sweep", async ({ expect }) => {
    const w = await setup();
    const name = `jane-${crypto.randomUUID()}`;
    const user = await w.createUser(name);
    const channel = await w.createChannel("PUBLIC", "uploads");
    const { client } = await connectChat(w.app, name);
    client.send(
      "SEND",
      { destination: `/application/v1/channels/${channel.id}.join`, receipt: receipt(), "content-type": "application/json" },
      "{}",
    );
    await client.fence();
    const { grant } = (await client.relay(sid(), "/application/v1/users/me/write-file-access-grant.relay")) as { grant: string };
    const form = new FormData();
    form.append("file", new File(["mine"], "mine.txt", { type: "text/plain" }));
    const uploaded = await fetchWorker(`/stompx/v1/channels/${channel.id}/messages`, {
      method: "POST",
      headers: { Grant: grant },
      body: form,
    });
    expect(uploaded.status).toBe(200);
    const url = ((await uploaded.json()) as { file: { url: string } }).file.url;

    const auth = `Bearer ${await tokenFor(w.app)}`;
    const res = await withFailingR2Deletes(`/v1/applications/${w.app.id}/users/${user.id}`, {
      method: "DELETE",
      headers: { Authorization: auth },
    });
    expect(res.status).toBe(200);
    expect((await fetchWorker(url)).status).toBe(404);
    expect(await objectsUnder(`${w.app.id}/${channel.id}/`)).toBe(1);
    await sweep();
    expect(await objectsUnder(`${w.app.id}/${channel.id}/`)).toBe(0);
  });
});
