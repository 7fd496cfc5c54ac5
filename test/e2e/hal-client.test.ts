/**
 * The Platform API as a new user meets it: an off-the-shelf OAuth 2.0 library gets the token
 * with the seed's demo credentials, and an off-the-shelf HAL client (Ketting) walks the graph
 * from `/v1` by link relations only, never building a URL itself.
 */
import { Client as HalClient } from "ketting";
import { ClientCredentials } from "simple-oauth2";
import { describe, inject, it } from "vitest";

const baseUrl = inject("baseUrl");

const accessToken = async () => {
  const oauth = new ClientCredentials({
    client: { id: "acme", secret: "acmesecret" },
    auth: { tokenHost: baseUrl, tokenPath: "/oauth/token" },
  });
  const token = await oauth.getToken({});
  return token.token as { access_token: string; token_type: string; expires_in: number; scope: string };
};

const halClient = (token: string) => {
  const client = new HalClient(`${baseUrl}/v1`);
  client.use((request, next) => {
    request.headers.set("Authorization", `Bearer ${token}`);
    return next(request);
  });
  return client;
};

describe("a generic OAuth library and HAL client against npm run dev", () => {
  it("obtains a token with simple-oauth2's client-credentials flow", async ({ expect }) => {
    const token = await accessToken();
    expect(token.token_type).toBe("bearer");
    expect(token.expires_in).toBe(43_200);
    expect(token.scope).toMatch(/^org:\d+:app$/);
    expect(token.access_token.split(".")).toHaveLength(3);
  });

  it("walks /v1 → application → users → create, page, delete, following links only", async ({ expect }) => {
    const root = halClient((await accessToken()).access_token).go();
    const application = await (await root.follow("application")).get();
    expect(application.data).toMatchObject({ name: "Acme Demo" });

    const usersResource = await root.follow("application").follow("users");
    const names = ["ketting-a", "ketting-b", "ketting-c"].map((n) => `${n}-${crypto.randomUUID()}`);
    const created = [];
    for (const name of names) created.push(await usersResource.postFollow({ data: { name } }));
    const first = await created[0]!.get();
    expect(first.data).toMatchObject({ name: names[0] });

    // Page through every user with size 1 via `next` links, as a HAL client does.
    const seen: string[] = [];
    let page = await usersResource.client.go(`${usersResource.uri}?page=0&size=1`).get();
    for (let i = 0; i < 1000; i++) {
      seen.push(...page.getEmbedded().map((u) => (u.data as { name: string }).name));
      if (!page.links.has("next")) break;
      page = await page.follow("next").get();
    }
    for (const name of names) expect(seen).toContain(name);

    // The user's own links lead on: channels, then back to the application.
    const userChannels = await (await created[1]!.follow("channels")).get();
    expect((userChannels.data as any).page.number).toBe(0);
    const back = await (await created[1]!.follow("application")).get();
    expect(back.data).toMatchObject({ id: (application.data as any).id });

    for (const user of created) await user.delete();
    // refresh(): Ketting would otherwise answer from its cache.
    await expect(created[0]!.refresh()).rejects.toMatchObject({ status: 404 });
  });

  it("posts a message into a new channel and reads it back through the messages link", async ({ expect }) => {
    const root = halClient((await accessToken()).access_token).go();
    const channels = root.follow("application").follow("channels");
    const channel = await (await channels).postFollow({ data: { type: "PUBLIC", name: "Ketting ☕" } });
    const messages = channel.follow("messages");
    const message = await (await messages).postFollow({ data: { body: "Hello from a HAL client 👋" } });
    expect((await message.get()).data).toMatchObject({ type: "SYSTEM_TEXT", body: "Hello from a HAL client 👋" });
    const page = await (await messages).refresh();
    expect(page.getEmbedded().map((m) => m.data.body)).toEqual(["Hello from a HAL client 👋"]);
    await channel.delete();
    await expect(message.refresh()).rejects.toMatchObject({ status: 404 });
  });
});

describe("the grown API through the same HAL client", () => {
  it("fills templated find:users and find:channels links and follows members and tokens links", async ({ expect }) => {
    const root = halClient((await accessToken()).access_token).go();
    const app = await root.follow("application");
    const [alice, bob] = await Promise.all(
      ["alice", "bob"].map((n) => app.follow("users").then((users) => users.postFollow({ data: { name: `${n}-${crypto.randomUUID()}` } }))),
    );
    const aliceName = (await alice!.get()).data.name as string;
    const bobName = (await bob!.get()).data.name as string;

    // find:users is an RFC 6570 template; Ketting expands it from the variables.
    const found = await (await app.follow("find:users", { name: aliceName })).get();
    expect(found.getEmbedded().map((u) => u.data.name)).toEqual([aliceName]);

    // A DIRECT channel of the two, then find it by its members and through its members link.
    const channels = await app.follow("channels");
    const direct = await channels.postFollow({ data: { type: "DIRECT", members: [alice!.uri, { href: bob!.uri }] } });
    expect((await direct.get()).data).toMatchObject({ type: "DIRECT" });
    const byMembers = await (await app.follow("find:channels", { direct: "true", members: `${aliceName},${bobName}` })).get();
    expect(byMembers.getEmbedded().map((c) => c.uri)).toEqual([direct.uri]);
    const members = await (await direct.follow("members")).get();
    expect(
      members
        .getEmbedded()
        .map((u) => u.data.name)
        .sort(),
    ).toEqual([aliceName, bobName].sort());

    // A user's tokens link: create one challenge token and see it listed.
    const tokens = await alice!.follow("tokens");
    const created = await tokens.post({ data: {} });
    const listed = await tokens.refresh();
    expect(listed.getEmbedded().map((t) => t.data.token)).toContain(created.data.token);

    await direct.delete();
    for (const user of [alice!, bob!]) await user.delete();
  });
});
