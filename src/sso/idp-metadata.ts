/** Reads what sign-in needs from an IdP's SAML metadata: entityID, SSO URL (redirect binding), signing certificates. */
import { DOMParser } from '@xmldom/xmldom';
import xpath from 'xpath';
import { InvalidInputError } from '../domain/errors/index.js';

const select = xpath.useNamespaces({
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
});
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

export interface IdpMetadata {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly certificates: string[];
}

function texts(doc: Node, path: string): string[] {
  return (select(path, doc) as Array<{ nodeValue?: string | null; textContent?: string | null }>).map((n) =>
    (n.nodeValue ?? n.textContent ?? '').trim(),
  );
}

export function parseIdpMetadata(xml: string): IdpMetadata {
  if (/<!DOCTYPE/i.test(xml))
    throw new InvalidInputError('sso.invalid_metadata', 'IdP metadata must not contain a DOCTYPE');
  const doc = new DOMParser().parseFromString(xml, 'text/xml') as unknown as Node;
  const [entityId] = texts(doc, '//md:EntityDescriptor/@entityID');
  const [ssoUrl] = texts(doc, `//md:IDPSSODescriptor/md:SingleSignOnService[@Binding='${REDIRECT}']/@Location`);
  const certificates = texts(
    doc,
    "//md:IDPSSODescriptor/md:KeyDescriptor[not(@use) or @use='signing']/ds:KeyInfo/ds:X509Data/ds:X509Certificate/text()",
  ).filter(Boolean);
  if (!entityId || !ssoUrl || certificates.length === 0) {
    throw new InvalidInputError(
      'sso.invalid_metadata',
      'The IdP metadata must name an entityID, a SingleSignOnService with the HTTP-Redirect binding and a signing certificate',
    );
  }
  return { entityId, ssoUrl, certificates };
}
