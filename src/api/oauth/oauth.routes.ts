/**
 * The authorization service: `POST /oauth/token` (RFC 6749 §4.4 client credentials) and the
 * public keys at `/.well-known/jwks.json`. Errors here use RFC 6749 bodies
 * `{error, error_description}`, not the API's error body, because OAuth clients parse those.
 */
import { Hono, type Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../env";
import { findActiveCredential } from "../../auth/credentials.queries";
import { applicationEpochs } from "../../auth/epochs";
import { verifySecret } from "../../auth/secrets";
import { publicKeySet } from "../../auth/key-ring";
import { currentSigningKey, signAccessToken } from "../../auth/tokens";

type OAuthErrorCode = "invalid_request" | "invalid_client" | "unsupported_grant_type";

const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" };

const oauthError = (c: Context, status: ContentfulStatusCode, error: OAuthErrorCode, description: string) =>
  c.json({ error, error_description: description }, status, {
    ...NO_STORE,
    ...(error === "invalid_client" ? { "WWW-Authenticate": 'Basic realm="kitty-edge", charset="UTF-8"' } : {}),
  });

/** Decodes `Authorization: Basic`; client id and secret are form-urlencoded inside (RFC 6749 §2.3.1). */
const basicCredentials = (header: string | undefined): { id: string; secret: string } | "malformed" | undefined => {
  if (!header) return undefined;
  const encoded = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header)?.[1];
  if (!encoded) return /^Basic\b/i.test(header) ? "malformed" : undefined;
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(encoded), (ch) => ch.charCodeAt(0)));
  } catch {
    return "malformed";
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return "malformed";
  try {
    const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    // Not form-encoded: take the raw text, as most clients send it.
    return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  }
};

const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

const field = (form: Record<string, unknown>, name: string): string | undefined => {
  const value = form[name];
  return typeof value === "string" ? value : undefined;
};

// A hash of a value no client can present, so an unknown client id costs the same work as a
// known one with a wrong secret.
const UNKNOWN_CLIENT_HASH = "0".repeat(64);

export const oauthRoutes = new Hono<AppEnv>();

oauthRoutes.post("/oauth/token", async (c) => {
  const contentType = c.req.header("Content-Type") ?? "";
  if (!FORM_TYPES.test(contentType)) {
    return oauthError(c, 400, "invalid_request", "Send the token request as application/x-www-form-urlencoded or multipart/form-data");
  }
  let form: Record<string, unknown>;
  try {
    form = await c.req.parseBody();
  } catch {
    return oauthError(c, 400, "invalid_request", "The request body is not a valid form");
  }

  const basic = basicCredentials(c.req.header("Authorization"));
  if (basic === "malformed") return oauthError(c, 401, "invalid_client", "Malformed Basic credentials");
  const formId = field(form, "client_id");
  const formSecret = field(form, "client_secret");
  if (basic && ((formId !== undefined && formId !== basic.id) || (formSecret !== undefined && formSecret !== basic.secret))) {
    return oauthError(c, 401, "invalid_client", "The client was authenticated twice with different credentials");
  }
  const clientId = basic?.id ?? formId;
  const clientSecret = basic?.secret ?? formSecret;
  if (!clientId || clientSecret === undefined) {
    return oauthError(c, 401, "invalid_client", "Client authentication is required (HTTP Basic or client_id and client_secret)");
  }
  // The seed's example repeats the credentials as username/password; when sent, they must agree.
  const username = field(form, "username");
  const password = field(form, "password");
  if ((username !== undefined && username !== clientId) || (password !== undefined && password !== clientSecret)) {
    return oauthError(c, 401, "invalid_client", "username and password must repeat the client credentials");
  }

  const credential = await findActiveCredential(c.var.db, clientId);
  const secretOk = await verifySecret(clientSecret, credential?.secretHash ?? UNKNOWN_CLIENT_HASH);
  if (!credential || !secretOk) return oauthError(c, 401, "invalid_client", "Unknown client or wrong secret");

  const grantType = field(form, "grant_type");
  if (!grantType) return oauthError(c, 400, "invalid_request", "grant_type is required");
  if (grantType !== "client_credentials") {
    return oauthError(c, 400, "unsupported_grant_type", "Only the client_credentials grant is supported");
  }

  // The epoch came with the credential: the token carries it, and this isolate's epoch cache gets
  // a fresh reading for free (auth/epochs.ts).
  const epoch = applicationEpochs.remember(credential.applicationId, credential.tokenEpoch);
  const keys = await currentSigningKey(c.env.JWT_PRIVATE_KEY);
  const token = await signAccessToken(
    keys,
    { applicationId: credential.applicationId, organizationId: credential.organizationId, clientId, epoch },
    { issuer: c.var.config.tokenIssuer, ttlSeconds: c.var.config.tokenTtlSeconds },
  );
  return c.json({ access_token: token.accessToken, token_type: "bearer", expires_in: token.expiresIn, scope: token.scope }, 200, NO_STORE);
});

oauthRoutes.get("/.well-known/jwks.json", async (c) => {
  const keys = await publicKeySet(c.env.JWT_PRIVATE_KEY, c.var.db, c.var.config.tokenEpochTtlSeconds);
  return c.json({ keys }, 200, { "Cache-Control": "public, max-age=300" });
});
