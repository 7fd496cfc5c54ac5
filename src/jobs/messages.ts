/**
 * What the JOBS queue carries: "split" a job's upload into chunks, or run one chunk. Each message
 * names the application, so the consumer (which serves every application) stays within it.
 */
export type JobMessage =
  | { kind: "split"; applicationId: number; jobId: number }
  | { kind: "chunk"; applicationId: number; jobId: number; chunk: number };

/** `sendBatch` takes at most 100 messages. */
const MAX_BATCH_MESSAGES = 100;

export const sendJobMessages = async (queue: Queue<JobMessage>, messages: JobMessage[]) => {
  for (let i = 0; i < messages.length; i += MAX_BATCH_MESSAGES) {
    await queue.sendBatch(messages.slice(i, i + MAX_BATCH_MESSAGES).map((body) => ({ body })));
  }
};
