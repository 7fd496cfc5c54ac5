/**
 * URLs a client stores for other users' apps to load are plain web addresses: `https:` (or
 * `http:` to localhost), well-formed, at most 2048 characters. One rule (src/http/urls.ts) for a
 * chat session's `me.update` display picture and the Platform API's external file links.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { ChannelResource } from "../../src/api/channels/channels.schemas";
import { MessageResource } from "../../src/api/messages/messages.schemas";
import { setup } from "../helpers/api";
import { connectChat, ERRORS_QUEUE, receipt, sid } from "../helpers/chat";
import { expectHal, expectInvalidField } from "../helpers/checks";

const HOST = "https://cdn.example.com/";

const REFUSED: [string, string][] = [
  ["javascript:", "javascript:alert(1)"],
  ["JavaScript: in mixed case", "JaVaScRiPt:alert(1)"],
  ["data:", "data:image/svg+xml,<svg onload=alert(1)>"],
  ["vbscript:", "vbscript:msgbox(1)"],
  ["file:", "file:///etc/passwd"],
  ["ftp:", "ftp://cdn.example.com/a.png"],
  ["cleartext http to another host", "http://evil.example/x.png"],
  ["http to a localhost look-alike", "http://localhost.evil.example/x.png"],
  ["a space in the host", "https://exa mple.com"],
  ["a newline", "https://cdn.example.com/a\n.png"],
  ["a tab", "https://cdn.example.com/\ta.png"],
  ["a bidi override", "https://cdn.example.com/\u202egnp.exe"],
  ["a backslash", "https://cdn.example.com\\@evil.example/x.png"],
  ["credentials", "https://user:secret@cdn.example.com/a.png"],
  ["https: without //", "https:cdn.example.com/a.png"],
  ["protocol-relative", "//cdn.example.com/a.png"],
  ["relative", "/a.png"],
  ["not a URL", "picture"],
  ["2049 characters", HOST + "a".repeat(2049 - HOST.length)],
];

const ACCEPTED = [
  "https://cdn.example.com/a.png",
  "http://localhost:8787/a.png",
  "http://127.0.0.1/a.png",
  "http://[::1]:8787/a.png",
  "HTTPS://CDN.example.com/a.png?size=64#x",
  "https://cdn.example.com/%E2%9C%93/😀.png",
  HOST + "a".repeat(2048 - HOST.length),
];

const storedPicture = async (userId: number) =>
  env.DB.prepare("SELECT display_picture_url AS url FROM users WHERE id = ?").bind(userId).first<string | null>("url");

/** A session subscribed to its own channels topic, which carries `me.update`'s answer. */
const session = async () => {
  const { app } = await setup();
  const { client, me } = await connectChat(app, `jane-${crypto.randomUUID()}`);
  await client.subscribe(sid(), me._topics.channels);
  const update = (body: unknown) => {
    const r = receipt();
    client.send(
      "SEND",
      { destination: "/application/v1/users/me.update", receipt: r, "content-type": "application/json" },
      JSON.stringify(body),
    );
    return r;
  };
  return { client, me, update };
};

describe("me.update displayPictureUrl", () => {
  it("refuses unsafe URLs with InvalidRequestError naming the field, storing nothing", async ({ expect }) => {
    const { client, me, update } = await session();
    for (const [what, url] of REFUSED) {
      const { body } = await client.error({ receipt: update({ displayPictureUrl: url }) });
      expect(body.error, what).toBe("InvalidRequestError");
      expect(body.message, what).toContain("displayPictureUrl must be an absolute https URL");
      expect(await storedPicture(me.id), what).toBeNull();
    }
    // Refused as a whole: the display name sent alongside is not applied either.
    await client.error({ receipt: update({ displayName: "Mallory", displayPictureUrl: "javascript:alert(1)" }) });
    expect(await env.DB.prepare("SELECT display_name AS d FROM users WHERE id = ?").bind(me.id).first("d")).toBeNull();
    client.close();
  });

  it("accepts https URLs and http to localhost, stored exactly; null clears", async ({ expect }) => {
    const { client, me, update } = await session();
    for (const url of ACCEPTED) {
      const r = update({ displayPictureUrl: url });
      const answer = await client.take(`me.update answer for ${url}`, (f) => f.headers["receipt-id"] === r);
      expect(answer.headers.destination, answer.body).not.toBe(ERRORS_QUEUE);
      expect(JSON.parse(answer.body)).toMatchObject({ type: "me.updated", resource: { displayPictureUrl: url } });
      expect(await storedPicture(me.id)).toBe(url);
    }
    const r = update({ displayPictureUrl: null });
    const answer = JSON.parse((await client.take("me.update answer for null", (f) => f.headers["receipt-id"] === r)).body);
    expect(answer.resource).not.toHaveProperty("displayPictureUrl");
    expect(await storedPicture(me.id)).toBeNull();
    client.close();
  });
});

describe("Platform API external file url", () => {
  const external = (url: string) => ({ type: "FILE", file: { url, name: "a.png", contentType: "image/png", size: 1 } });
  const messageCount = async (channelId: number) =>
    env.DB.prepare("SELECT count(*) AS n FROM messages WHERE channel_id = ?").bind(channelId).first<number>("n");

  it.for(REFUSED)("refuses %s: 400 naming file.url, nothing written", async ([, url], { expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    expectInvalidField(expect, await api.post(channel._links.messages.href, external(url)), "file.url");
    expect(await messageCount(channel.id)).toBe(0);
  });

  it("accepts https URLs and http to localhost, stored exactly", async ({ expect }) => {
    const { api, createChannel } = await setup();
    const channel = ChannelResource.parse(await createChannel("PUBLIC"));
    for (const url of ACCEPTED) {
      const res = await api.post(channel._links.messages.href, external(url));
      expectHal(expect, res, 201);
      expect(MessageResource.parse(res.body).file?.url).toBe(url);
    }
  });
});

describe("chat-session action bodies", () => {
  it("a lone surrogate anywhere in an action body is refused naming its field, and nothing is stored", async ({ expect }) => {
    const { app, api, urls, createChannel } = await setup();
    const channel = await createChannel("PUBLIC", "text");
    const { client } = await connectChat(app, `jane-${crypto.randomUUID()}`);
    client.send(
      "SEND",
      { destination: `/application/v1/channels/${channel.id}.join`, receipt: receipt(), "content-type": "application/json" },
      "{}",
    );
    await client.fence();
    for (const [raw, field] of [
      ['{"type":"TEXT","body":"a\\ud800b"}', "body"],
      ['{"properties":{"k":["\\udbff"]}}', "properties.k.0"],
    ] as const) {
      const r = receipt();
      const destination = field === "body" ? `/application/v1/channels/${channel.id}.message` : "/application/v1/users/me.update";
      client.send("SEND", { destination, receipt: r, "content-type": "application/json" }, raw);
      const { body } = await client.error({ receipt: r });
      expect(body.error).toBe("InvalidRequestError");
      expect(body.message).toContain(field);
    }
    const page = await api.get(`${urls.channels}/${channel.id}/messages`);
    expect(page.body._embedded.messages).toEqual([]);
    client.close();
  });
});
