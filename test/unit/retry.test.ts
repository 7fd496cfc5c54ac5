/** `retryTransient`: what Cloudflare marks retryable is tried again; overloaded or other failures are not. */
import { describe, it } from "vitest";
import { retryTransient } from "../../src/chat/retry";

const failing = (flags: Record<string, boolean>, failures: number) => {
  let calls = 0;
  const call = async () => {
    calls++;
    if (calls <= failures) throw Object.assign(new Error("fault"), flags);
    return "ok";
  };
  return { call, calls: () => calls };
};

describe("retryTransient", () => {
  it("retries a retryable failure and returns the later success", async ({ expect }) => {
    const f = failing({ retryable: true }, 2);
    expect(await retryTransient(f.call)).toBe("ok");
    expect(f.calls()).toBe(3);
  });

  it("gives up after three attempts", async ({ expect }) => {
    const f = failing({ retryable: true }, 5);
    await expect(retryTransient(f.call)).rejects.toThrow("fault");
    expect(f.calls()).toBe(3);
  });

  it.for([
    ["overloaded (more calls would only queue)", { retryable: true, overloaded: true }],
    ["not marked retryable", {}],
  ] as const)("does not retry a failure %s", async ([, flags], { expect }) => {
    const f = failing(flags, 1);
    await expect(retryTransient(f.call)).rejects.toThrow("fault");
    expect(f.calls()).toBe(1);
  });
});
