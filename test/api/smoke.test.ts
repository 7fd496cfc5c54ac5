import { describe, it } from "vitest";
import { setup } from "../helpers/api";

describe("smoke", () => {
  it("walks root → application → users", async ({ expect }) => {
    const { api, createUser, app } = await setup();
    const root = await api.get("/v1");
    expect(root.status).toBe(200);
    const application = await api.get(root.body._links.application.href);
    expect(application.body.id).toBe(app.id);
    const user = await createUser("jane");
    expect(user.name).toBe("jane");
  });
});
