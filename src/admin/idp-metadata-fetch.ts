/**
 * Fetching an IdP's SAML metadata from the URL an admin pasted (Entra's "App Federation
 * Metadata Url", Okta's "Metadata URL"): https (http on loopback, for trials), through the
 * guarded fetch (no internal addresses, 10 s, at most 1 MiB, redirects re-checked). A
 * refusal says what to fix, never what the far side answered.
 */
import { InvalidInputError } from '../domain/errors/index.js';
import { checkIssuer } from '../domain/sso-settings.js';
import { OutboundError, type GuardedFetch } from '../outbound/guarded-fetch.js';

const MAX_BYTES = 1024 * 1024;

export async function fetchIdpMetadata(outbound: GuardedFetch, url: string): Promise<string> {
  const checked = checkIssuer(url.trim());
  try {
    const answer = await outbound.get(
      checked,
      { maxBytes: MAX_BYTES, timeoutMs: 10_000 },
      {
        accept: 'application/samlmetadata+xml, application/xml, text/xml',
      },
    );
    if (answer.status !== 200) {
      throw new InvalidInputError('sso.metadata_unreachable', `${checked} did not answer with SAML metadata`);
    }
    return answer.body.toString('utf8');
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    const code = error.problem === 'too_large' ? 'sso.metadata_too_large' : 'sso.metadata_unreachable';
    throw new InvalidInputError(code, `The IdP metadata URL ${error.message}`);
  }
}
