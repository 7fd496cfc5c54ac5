/**
 * A new token signing key for a deployment: the private JWK for the `JWT_PRIVATE_KEY` secret and
 * its public half for D1 `signing_keys` (src/auth/key-ring.ts). The private half only ever goes to
 * wrangler (a 0600 file or stdin); nothing here prints it.
 * @example const key = await newSigningKey(); await db.batch([insertKey(db, key.kid, key.publicJwk)])
 */
import { generateSigningJwk } from "../lib.mjs";

export interface NewSigningKey {
  kid: string;
  /** The secret's value: a one-line private JWK. */
  secret: string;
  publicJwk: Record<string, string | undefined>;
}

export const SIGNING_KEY_SECRET = "JWT_PRIVATE_KEY";

export const newSigningKey = async (): Promise<NewSigningKey> => {
  const jwk = await generateSigningJwk();
  const { d: _private, ...publicJwk } = jwk;
  return { kid: jwk.kid, secret: JSON.stringify(jwk), publicJwk };
};
