/**
 * The Google auth client a sync signs its Directory API requests with: a JWT client
 * (service account, domain-wide delegation, acting as an admin) or an OAuth client holding
 * an admin's refresh token, both from google-auth-library. Their token requests go to the
 * configured token URL (a proxy, or a test's fake); a service account's assertion still
 * names Google's token URL as its audience, as Google requires.
 */
import { JWT, OAuth2Client, gaxios } from 'google-auth-library';
import { DIRECTORY_SCOPES, type GoogleCredentials } from './credentials.js';

/** Where Google's token endpoint is; the library's service account flow always posts here. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** A request to Google's token endpoint goes to `tokenUrl` instead; anything else is untouched. */
function transporterFor(tokenUrl: string, timeoutMs: number): gaxios.Gaxios {
  const redirected = (input: string | URL | Request): string | URL | Request => {
    const url = input instanceof Request ? input.url : String(input);
    return url === GOOGLE_TOKEN_URL || url.startsWith(`${GOOGLE_TOKEN_URL}?`)
      ? tokenUrl + url.slice(GOOGLE_TOKEN_URL.length)
      : input;
  };
  return new gaxios.Gaxios({
    timeout: timeoutMs,
    fetchImplementation: (input, init) => fetch(redirected(input), init),
  });
}

export function googleAuthClient(
  credentials: GoogleCredentials,
  tokenUrl = GOOGLE_TOKEN_URL,
  scopes: readonly string[] = DIRECTORY_SCOPES,
): OAuth2Client {
  const transporter = transporterFor(tokenUrl, 30_000);
  if (credentials.kind === 'service_account') {
    return new JWT({
      email: credentials.clientEmail,
      key: credentials.privateKey,
      ...(credentials.privateKeyId ? { keyId: credentials.privateKeyId } : {}),
      subject: credentials.subject,
      scopes: [...scopes],
      transporter,
    });
  }
  const client = new OAuth2Client({
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    endpoints: { oauth2TokenUrl: tokenUrl },
    transporter,
  });
  client.setCredentials({ refresh_token: credentials.refreshToken });
  return client;
}
