/** Shared by the chat-layer tests: the name of the ChatError an operation fails with. */
import { ChatError } from "../../src/chat/errors";

/** The error name a promise rejects with (fails when it resolves or throws something else). */
export const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (e instanceof ChatError) return e.error;
    throw e;
  }
  throw new Error("expected a ChatError");
};
