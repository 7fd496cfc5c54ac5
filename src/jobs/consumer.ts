/**
 * The `queue` handler of the JOBS queue. Messages of a batch run one after another (each is a
 * chunk's worth of D1 writes); a failed one is retried by the queue, and after its last attempt
 * its job is marked FAILED so callers polling it see an end.
 */
import { createDb, openSession } from "../db/client";
import { MAX_ATTEMPTS } from "./attempts";
import type { JobMessage } from "./messages";
import { giveUp, runJobMessage } from "./run";

export const consumeJobs = async (batch: MessageBatch<JobMessage>, env: Env) => {
  // The primary: a step reads its job's state and then writes on what it read.
  const db = createDb(openSession(env.DB, "first-primary"));
  for (const message of batch.messages) {
    try {
      await runJobMessage(env, db, message.body);
      message.ack();
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "error",
          event: "job_step_failed",
          job: message.body.jobId,
          attempt: message.attempts,
          error: String(error),
        }),
      );
      if (message.attempts >= MAX_ATTEMPTS) {
        await giveUp(env, db, message.body, error);
        message.ack();
      } else {
        message.retry({ delaySeconds: 2 ** message.attempts });
      }
    }
  }
};
