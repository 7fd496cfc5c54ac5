/**
 * The current (token-scoped) form's application: `GET /v1/application` is the token's
 * application with the 2020 fields plus `createdTime` and `properties`; `/v1/application/settings`
 * shows and switches guest users (the inverse of `requireAuthenticatedSessions`) and
 * user-created channels. Every JSON body validates against ChatKitty's own schema for its
 * operation; both SDKs' Accept and Content-Type headers are accepted; 401 bodies satisfy both forms.
 */
import { describe, type ExpectStatic, it } from "vitest";
import { fetchWorker, readResponse, type Setup, setup } from "../helpers/api";
import { expectError, expectHal, expectInvalidField, isIsoUtc } from "../helpers/checks";
import { chatKittyClient, expectChatKitty } from "../helpers/chatkitty-schema";

/** A fresh application whose client checks every current-form JSON answer against ChatKitty's schema. */
const checkedSetup = async (expect: ExpectStatic): Promise<Setup> => {
  const s = await setup();
  return { ...s, api: chatKittyClient(expect, s.api) };
};

/** The Accept headers the two ChatKitty server SDKs send (spec §2). */
const SDK_ACCEPTS = ["application/json, text/plain, */*", "application/vnd.chatkitty+json,*/*;q=0.8"];

const SETTINGS = "/v1/application/settings";

describe("GET /v1/application", () => {
  it("is the token's application: the 2020 fields plus createdTime and properties, with 2020 links", async ({ expect }) => {
    const { api, app } = await checkedSetup(expect);
    const res = await api.get("/v1/application");
    expectHal(expect, res);
    const body = expectChatKitty(expect, res, "GET /v1/application");
    expect(body).toMatchObject({ id: app.id, name: app.name, key: app.key, requireAuthenticatedSessions: false, properties: {} });
    expect(isIsoUtc(body.createdTime), body.createdTime).toBe(true);
    expect(Math.abs(Date.parse(body.createdTime) - Date.now())).toBeLessThan(60_000);
    // One presenter: the 2020 form answers the same application.
    expect((await api.get("/v1/applications/me")).body).toEqual(body);
    expect(body._links.self.href).toMatch(new RegExp(`/v1/applications/${app.id}$`));
  });

  it.for(SDK_ACCEPTS)("accepts the SDK's Accept header %s", async (accept, { expect }) => {
    const { api } = await checkedSetup(expect);
    const res = await api.call("GET", "/v1/application", undefined, { Accept: accept });
    expectHal(expect, res);
    expectChatKitty(expect, res, "GET /v1/application");
  });

  it("answers 406 when the Accept header rules out JSON", async ({ expect }) => {
    const { api } = await checkedSetup(expect);
    expectError(expect, await api.call("GET", "/v1/application", undefined, { Accept: "text/html" }), 406);
  });

  it("answers 401 without a valid token, with a body that satisfies both forms", async ({ expect }) => {
    for (const headers of [{}, { Authorization: "Bearer not-a-token" }] as Record<string, string>[]) {
      for (const path of ["/v1/application", "/v1/applications/me", SETTINGS]) {
        const res = await readResponse(await fetchWorker(path, { headers }));
        const body = expectError(expect, res, 401, "UnauthorizedError");
        expectChatKitty(expect, res, "GET /v1/application");
        expect(body.error_description).toBe(body.message);
        expect(res.headers.get("WWW-Authenticate") ?? "").toMatch(/^Bearer\b/);
      }
    }
  });

  it("carries an ETag (304 on If-None-Match) and the D1 bookmark", async ({ expect }) => {
    const { api } = await checkedSetup(expect);
    const first = await api.get("/v1/application");
    const tag = first.headers.get("ETag");
    expect(tag).toMatch(/^"[\w-]{22}"$/);
    expect(first.headers.get("X-D1-Bookmark")).toBeTruthy();
    const again = await api.call("GET", "/v1/application", undefined, { "If-None-Match": tag! });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
  });

  it("answers 405 with Allow for a method the path does not take", async ({ expect }) => {
    const { api } = await checkedSetup(expect);
    const res = await api.call("DELETE", "/v1/application");
    expectError(expect, res, 405);
    expect(res.headers.get("Allow")).toContain("GET");
  });
});

describe("/v1/application/settings", () => {
  it("starts with guest users and user-created channels enabled", async ({ expect }) => {
    const { api } = await checkedSetup(expect);
    const res = await api.get(SETTINGS);
    expectHal(expect, res);
    const body = expectChatKitty(expect, res, "GET /v1/application/settings");
    expect(body).toMatchObject({ guestUsers: "ENABLED", userCreatedChannels: "ENABLED" });
    expect(body._links.self.href).toMatch(/\/v1\/application\/settings$/);
  });

  it.for(["application/json", "application/vnd.chatkitty+json", "application/vnd.chatkitty+json; charset=utf-8"])(
    "PUT as %s switches both settings; GET and the 2020 application agree",
    async (contentType, { expect }) => {
      const { api } = await checkedSetup(expect);
      const res = await api.call(
        "PUT",
        SETTINGS,
        { guestUsers: "DISABLED", userCreatedChannels: "DISABLED" },
        { "Content-Type": contentType },
      );
      expectHal(expect, res);
      expect(expectChatKitty(expect, res, "PUT /v1/application/settings")).toMatchObject({
        guestUsers: "DISABLED",
        userCreatedChannels: "DISABLED",
      });
      expect((await api.get(SETTINGS)).body).toEqual(res.body);
      // No guests is what the 2020 form calls requiring authenticated sessions.
      expect((await api.get("/v1/applications/me")).body.requireAuthenticatedSessions).toBe(true);

      const back = await api.call("PUT", SETTINGS, { guestUsers: "ENABLED", userCreatedChannels: "DISABLED" });
      expect(back.body).toMatchObject({ guestUsers: "ENABLED", userCreatedChannels: "DISABLED" });
      expect((await api.get("/v1/applications/me")).body.requireAuthenticatedSessions).toBe(false);
    },
  );

  it.for([
    ["guestUsers", { userCreatedChannels: "ENABLED" }],
    ["userCreatedChannels", { guestUsers: "ENABLED" }],
    ["guestUsers", { guestUsers: "enabled", userCreatedChannels: "ENABLED" }],
    ["guestUsers", { guestUsers: true, userCreatedChannels: "ENABLED" }],
    ["userCreatedChannels", { guestUsers: "ENABLED", userCreatedChannels: null }],
  ] as const)("refuses a body without a valid %s with 400 naming it, changing nothing", async ([field, body], { expect }) => {
    const { api } = await checkedSetup(expect);
    const before = (await api.get(SETTINGS)).body;
    const res = await api.call("PUT", SETTINGS, body);
    expectInvalidField(expect, res, field);
    expectChatKitty(expect, res, "PUT /v1/application/settings");
    expect((await api.get(SETTINGS)).body).toEqual(before);
  });

  it.for(["[]", "null", '"ENABLED"', "{"])("refuses the body %s with 400", async (body, { expect }) => {
    const { api } = await checkedSetup(expect);
    expectError(expect, await api.call("PUT", SETTINGS, body), 400);
  });

  it("refuses a body that is not JSON with 415", async ({ expect }) => {
    const { api } = await checkedSetup(expect);
    const res = await api.call("PUT", SETTINGS, '{"guestUsers":"ENABLED","userCreatedChannels":"ENABLED"}', {
      "Content-Type": "text/plain",
    });
    expectError(expect, res, 415);
  });

  it("is per application: one application's switch leaves another's alone", async ({ expect }) => {
    const a = await checkedSetup(expect);
    const b = await checkedSetup(expect);
    await a.api.call("PUT", SETTINGS, { guestUsers: "DISABLED", userCreatedChannels: "DISABLED" });
    expect((await b.api.get(SETTINGS)).body).toMatchObject({ guestUsers: "ENABLED", userCreatedChannels: "ENABLED" });
    expect((await a.api.get(SETTINGS)).body).toMatchObject({ guestUsers: "DISABLED", userCreatedChannels: "DISABLED" });
  });
});
