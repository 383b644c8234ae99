/**
 * The checks a SAML service provider must make that @node-saml does not make on login
 * responses (see the notes): the Response's Destination and the assertion's
 * SubjectConfirmationData Recipient must be our ACS URL, and the assertion's Issuer the
 * connection's IdP entityID. Read from the XML the library validated (the signed
 * assertion), never from anything beside it.
 */
import { DOMParser } from '@xmldom/xmldom';
import xpath from 'xpath';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const select = xpath.useNamespaces({ samlp: SAMLP, saml: SAML });

function parse(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml') as unknown as Document;
}

function values(doc: Document, path: string): string[] {
  return (
    select(path, doc as unknown as Node) as Array<{ nodeValue?: string | null; textContent?: string | null }>
  ).map((n) => (n.nodeValue ?? n.textContent ?? '').trim());
}

export interface AssertionFacts {
  readonly id: string;
  /** When the assertion stops being usable (for the replay cache). */
  readonly notOnOrAfter: string | undefined;
}

/** Throws a message naming the first check that fails; returns the assertion's id and expiry. */
export function checkResponse(
  responseXml: string,
  assertionXml: string,
  expected: { acsUrl: string; idpEntityId: string },
): AssertionFacts {
  const response = parse(responseXml);
  const destinations = values(response, '/samlp:Response/@Destination');
  if (destinations.length !== 1 || destinations[0] !== expected.acsUrl) {
    throw new Error(`the Response Destination is not this service's ACS URL (${destinations.join(', ') || 'missing'})`);
  }
  const assertion = parse(assertionXml);
  const issuers = values(assertion, '/saml:Assertion/saml:Issuer/text()');
  if (issuers.length !== 1 || issuers[0] !== expected.idpEntityId) {
    throw new Error(`the assertion Issuer is not the connection's IdP (${issuers.join(', ') || 'missing'})`);
  }
  const recipients = values(
    assertion,
    '/saml:Assertion/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData/@Recipient',
  );
  if (recipients.length === 0 || recipients.some((r) => r !== expected.acsUrl)) {
    throw new Error(
      `the SubjectConfirmationData Recipient is not this service's ACS URL (${recipients.join(', ') || 'missing'})`,
    );
  }
  const [id] = values(assertion, '/saml:Assertion/@ID');
  if (!id) throw new Error('the assertion has no ID');
  const expiries = [
    ...values(assertion, '/saml:Assertion/saml:Conditions/@NotOnOrAfter'),
    ...values(
      assertion,
      '/saml:Assertion/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData/@NotOnOrAfter',
    ),
  ].sort();
  return { id, notOnOrAfter: expiries.at(-1) };
}
