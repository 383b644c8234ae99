/**
 * Fetching an IdP's SAML metadata from the URL an admin pasted (Entra's "App Federation
 * Metadata Url", Okta's "Metadata URL"). https only (http on loopback, for trials), 10 s,
 * at most 1 MiB, no redirects to elsewhere: the URL is the admin's, the request is ours.
 */
import { InvalidInputError } from '../domain/errors/index.js';
import { checkIssuer } from '../domain/sso-settings.js';

const MAX_BYTES = 1024 * 1024;

export async function fetchIdpMetadata(url: string): Promise<string> {
  const checked = checkIssuer(url.trim());
  let response: globalThis.Response;
  try {
    response = await fetch(checked, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
  } catch {
    throw new InvalidInputError('sso.metadata_unreachable', `Could not fetch the IdP metadata from ${checked}`);
  }
  if (!response.ok) {
    throw new InvalidInputError('sso.metadata_unreachable', `The IdP metadata URL answered ${response.status}`);
  }
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_BYTES) throw new InvalidInputError('sso.metadata_too_large', 'The IdP metadata is over 1 MiB');
  const text = await response.text();
  if (text.length > MAX_BYTES) throw new InvalidInputError('sso.metadata_too_large', 'The IdP metadata is over 1 MiB');
  return text;
}
