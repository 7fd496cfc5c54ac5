/**
 * `npm run deploy` when Cloudflare fails the Worker upload on a fresh account: it stops with a
 * readable error and a non-zero exit, and the next run finishes the job without duplicating what
 * the failed one created (database, bucket) or leaving a second key behind.
 */
import { describe, expect, it } from "vitest";
import { explain, useStandIn, keyPairWorks, npmRun, wranglerConfig } from "./harness.ts";

const SECRET = "JWT_PRIVATE_KEY";
const top = wranglerConfig();

const standIn = useStandIn();

const deploy = async () => {
  const from = standIn.api.requests.length;
  const result = await npmRun(standIn.api, standIn.home, "deploy");
  return { result, requests: standIn.api.requests.slice(from), why: explain(result, standIn.api, from) };
};

describe("npm run deploy when the Worker upload fails", () => {
  it("exits non-zero with the API's error when every upload attempt gets a 500", async () => {
    // wrangler retries a 5xx (3 attempts): fail them all, as a lasting outage would.
    const upload = new RegExp(`^/accounts/${standIn.api.accountId}/workers/scripts/${top.name}(/versions)?$`);
    standIn.api.failNext("PUT", upload, {
      status: 500,
      message: "Internal error while uploading the script (injected)",
      times: Number.POSITIVE_INFINITY,
    });
    standIn.api.failNext("POST", upload, {
      status: 500,
      message: "Internal error while uploading the script (injected)",
      times: Number.POSITIVE_INFINITY,
    });
    const { result, requests, why } = await deploy();
    standIn.api.clearFailures();

    expect(
      requests.some((r) => r.injected),
      why,
    ).toBe(true);
    expect(result.code, why).not.toBe(0);
    expect(result.code, why).not.toBeNull();
    expect(result.stderr, why).toMatch(/Internal error while uploading the script \(injected\)/);
    expect(result.stderr, why).toMatch(/^error: \S/m);
    expect(result.stdout).not.toMatch(/^Deployed /m);
    expect(standIn.api.requests.filter((r) => r.unstubbed || r.crashed)).toEqual([]);
    expect(standIn.api.outbound).toEqual([]);
    // What the run created before the upload stays (the re-run reuses it).
    expect([...standIn.api.account.d1.values()].map((d) => d.name)).toEqual(top.d1_databases.map((d) => d.database_name));
    expect(standIn.api.account.secretWrites).toEqual([]);
  });

  it("a re-run completes: still one database and bucket, one secret, and signing_keys holds that secret's public half only", async () => {
    const { result, requests, why } = await deploy();
    expect(result.code, why).toBe(0);
    expect(result.stdout).toContain(`Deployed ${top.name} to https://${top.name}.${standIn.api.account.subdomain}.workers.dev`);
    expect(standIn.api.requests.filter((r) => r.unstubbed || r.crashed)).toEqual([]);
    expect(
      requests.filter((r) => r.method === "POST" && /\/(d1\/database|r2\/buckets)$/.test(r.path)),
      why,
    ).toEqual([]);

    expect(standIn.api.account.d1.size).toBe(1);
    expect(standIn.api.account.r2.size).toBe(1);
    expect(standIn.api.account.secretWrites.map((w) => w.name)).toEqual([SECRET]);
    const jwk = JSON.parse(standIn.api.secrets(top.name)[SECRET]!) as JsonWebKey & { kid: string };
    const db = standIn.api.databaseByName(top.d1_databases[0]!.database_name)!.sqlite;
    const keys = db.prepare("SELECT kid, public_jwk, accepted_until FROM signing_keys").all() as { kid: string; public_jwk: string }[];
    // A key whose private half never reached the Worker must not be left published.
    expect(
      keys.map((k) => k.kid),
      why,
    ).toEqual([jwk.kid]);
    expect(await keyPairWorks(jwk, JSON.parse(keys[0]!.public_jwk))).toBe(true);
  });
});

describe("npm run deploy when a step after the upload fails", () => {
  const late = useStandIn();

  it("keeps the public half of a key that reached the Worker, so a re-run keeps it and a rotation can retire it", async () => {
    // The upload carrying the secret succeeds; setting the cron afterwards fails on every attempt.
    late.api.failNext("PUT", new RegExp(`^/accounts/${late.api.accountId}/workers/scripts/${top.name}/schedules$`), {
      status: 500,
      message: "Internal error while setting the schedules (injected)",
      times: Number.POSITIVE_INFINITY,
    });
    const failed = await npmRun(late.api, late.home, "deploy");
    late.api.clearFailures();
    const whyFailed = explain(failed, late.api, 0);
    expect(failed.code, whyFailed).not.toBe(0);
    const jwk = JSON.parse(late.api.secrets(top.name)[SECRET]!) as JsonWebKey & { kid: string };
    const db = late.api.databaseByName(top.d1_databases[0]!.database_name)!.sqlite;
    const recorded = () => (db.prepare("SELECT kid FROM signing_keys ORDER BY created_at").all() as { kid: string }[]).map((k) => k.kid);
    expect(recorded(), whyFailed).toEqual([jwk.kid]);

    const again = await npmRun(late.api, late.home, "deploy");
    expect(again.code, explain(again, late.api, 0)).toBe(0);
    expect(again.stdout).toMatch(/Signing key: kept/);
    expect(late.api.account.secretWrites.map((w) => w.name)).toEqual([SECRET]);

    const rotated = await npmRun(late.api, late.home, "keys", ["rotate"]);
    expect(rotated.code, explain(rotated, late.api, 0)).toBe(0);
    const next = JSON.parse(late.api.secrets(top.name)[SECRET]!) as { kid: string };
    expect(next.kid).not.toBe(jwk.kid);
    expect(recorded().sort()).toEqual([jwk.kid, next.kid].sort());
  });
});
