import type { Config } from "./config";
import type { Db } from "./db/client";
import type { Links } from "./http/links";
import type { Grant, VerifiedToken } from "./auth/tokens";

/** Hono's environment for this Worker: generated bindings plus per-request variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    links: Links;
    db: Db;
    /** Set by the bearer middleware on every `/v1` request. */
    auth: VerifiedToken;
    /** Set on chat-session uploads (`/stompx/v1/...`): the verified write grant. */
    grant: Grant;
  };
}
