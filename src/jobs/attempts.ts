/**
 * Deliveries of a JOBS message before its job is given up: wrangler.toml's `max_retries` (3, in
 * every environment) plus the first. test/deploy/queue-retries.test.ts holds the two in step.
 */
export const MAX_ATTEMPTS = 4;
