/**
 * The `userCreatedChannels` setting (`PUT /v1/application/settings`) as chat sessions meet it: while
 * it is DISABLED a session's create-channel action is refused on the errors queue with
 * `ChannelCreationDisabledError` and writes nothing; switched back on, the same action creates.
 */
import { describe, it } from "vitest";
import { setup } from "../helpers/api";
import { connectChat as connect, createChannelInSession, receipt } from "../helpers/chat";
import { d1Counts } from "../helpers/db-state";

const settings = (userCreatedChannels: "ENABLED" | "DISABLED") => ({ guestUsers: "ENABLED", userCreatedChannels });

describe("userCreatedChannels", () => {
  it("DISABLED: a session cannot create a channel; ENABLED again: it can", async ({ expect }) => {
    const { app, api } = await setup();
    expect((await api.call("PUT", "/v1/application/settings", settings("DISABLED"))).status).toBe(200);
    const { client, me } = await connect(app, `jane-${crypto.randomUUID()}`);
    const before = await d1Counts();
    const r = receipt();
    client.send(
      "SEND",
      { destination: "/application/v1/users/me.create-channel", receipt: r },
      JSON.stringify({ type: "PUBLIC", name: "mine" }),
    );
    const { body } = await client.error({ receipt: r });
    expect(body.error).toBe("ChannelCreationDisabledError");
    expect(body.message).toMatch(/userCreatedChannels/);
    expect(await d1Counts()).toEqual(before);

    expect((await api.call("PUT", "/v1/application/settings", settings("ENABLED"))).status).toBe(200);
    const channel = await createChannelInSession(client, me, "mine");
    expect(channel.id).toBeGreaterThan(0);
    client.close();
  });

  it("is ENABLED by default: a new application's sessions create channels", async ({ expect }) => {
    const { app, api } = await setup();
    expect((await api.get("/v1/application/settings")).body.userCreatedChannels).toBe("ENABLED");
    const { client, me } = await connect(app, `jane-${crypto.randomUUID()}`);
    expect((await createChannelInSession(client, me, "default")).id).toBeGreaterThan(0);
    client.close();
  });
});
