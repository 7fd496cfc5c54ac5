/**
 * `npm run dev` never builds a link or a stored file URL from a Host header a client made up: a
 * local server answers any Host, so the dev script pins PUBLIC_BASE_URL to the address it serves.
 * (In production, Cloudflare only routes a request to the Worker through one of its own host
 * names; PUBLIC_BASE_URL pins it there too.) Raw node:http, since fetch will not send a Host.
 */
import { request } from "node:http";
import { describe, inject, it } from "vitest";

const baseUrl = inject("baseUrl");

const send = (method: string, path: string, headers: Record<string, string>, body?: Buffer | string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const url = new URL(path, baseUrl);
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: { Host: "evil.example", ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });

const token = async () => {
  const res = await send(
    "POST",
    "/oauth/token",
    {
      Authorization: `Basic ${Buffer.from("acme:acmesecret").toString("base64")}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    "grant_type=client_credentials",
  );
  return JSON.parse(res.body).access_token as string;
};

describe("a spoofed Host header against npm run dev", () => {
  it("changes neither the hrefs of a response nor the URL stored for an uploaded file", async ({ expect }) => {
    const auth = { Authorization: `Bearer ${await token()}`, Accept: "application/json" };
    const root = await send("GET", "/v1", auth);
    expect(root.status).toBe(200);
    expect(root.body).not.toContain("evil.example");
    const app = JSON.parse((await send("GET", "/v1/applications/me", auth)).body);
    const channelsHref = new URL(app._links.channels.href);
    expect(channelsHref.origin).toBe(baseUrl);

    const created = await send(
      "POST",
      `${channelsHref.pathname}`,
      { ...auth, "Content-Type": "application/json" },
      JSON.stringify({ type: "PUBLIC", name: `host-${Date.now()}` }),
    );
    expect(created.status).toBe(201);
    const channel = JSON.parse(created.body);
    const boundary = "----kitty";
    const form = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\nPNG\r\n--${boundary}--\r\n`,
    );
    const posted = await send(
      "POST",
      new URL(channel._links.messages.href).pathname,
      { ...auth, "Content-Type": `multipart/form-data; boundary=${boundary}` },
      form,
    );
    expect(posted.status).toBe(201);
    const message = JSON.parse(posted.body);
    expect(new URL(message.file.url).origin).toBe(baseUrl);
    expect(posted.body).not.toContain("evil.example");
    await send("DELETE", new URL(channel._links.self.href).pathname, auth);
  });
});
