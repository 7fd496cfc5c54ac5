/**
 * Assertions shared by the API tests. Each takes the test's own `expect` (from the test context),
 * so failures are reported against the right test.
 */
import type { ExpectStatic } from "vitest";
import { ErrorResponseBody } from "../../src/http/responses";
import type { ApiResponse } from "./api";

/** The start of a body, to explain a wrong status without flooding the report. */
const brief = (body: unknown) => (JSON.stringify(body) ?? "").slice(0, 300);

/** A HAL resource answer: the status and `application/hal+json`. */
export const expectHal = (expect: ExpectStatic, res: ApiResponse, status = 200) => {
  expect(res.status, brief(res.body)).toBe(status);
  expect(res.headers.get("Content-Type") ?? "").toMatch(/^application\/hal\+json\b/);
};

/** True when `s` is an ISO-8601 UTC instant as `Date#toISOString` writes it. */
export const isIsoUtc = (s: unknown): boolean =>
  typeof s === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(s) && !Number.isNaN(Date.parse(s));

/**
 * An error answer (contract §5): the status, `application/json`, and the body
 * `{error, message, timestamp (ISO-8601 UTC), properties?}`. Returns the parsed body.
 */
export const expectError = (expect: ExpectStatic, res: ApiResponse, status: number, error?: string) => {
  expect(res.status, brief(res.body)).toBe(status);
  expect(res.headers.get("Content-Type") ?? "").toMatch(/^application\/json\b/);
  const body = ErrorResponseBody.parse(res.body);
  expect(body.message.length).toBeGreaterThan(0);
  expect(isIsoUtc(body.timestamp), body.timestamp).toBe(true);
  if (error) expect(body.error).toBe(error);
  return body;
};

/** A 400 whose `properties` names `field`. */
export const expectInvalidField = (expect: ExpectStatic, res: ApiResponse, field: string) => {
  const body = expectError(expect, res, 400);
  expect(body.properties ?? {}, JSON.stringify(body)).toHaveProperty([field]);
  return body;
};

/** The query of an href as a plain object. */
export const queryOf = (href: string) => Object.fromEntries(new URL(href).searchParams);
