/**
 * A SAML identity provider for tests: a key pair with a self-signed certificate (openssl)
 * and really signed Responses (xml-crypto), in the shapes Okta, Entra and Google send, and
 * in the hostile shapes a service provider must refuse.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';

export interface KeyPair {
  readonly key: string;
  readonly cert: string;
}

export function createKeyPair(name = 'test-idp'): KeyPair {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-idp-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-sha256',
        '-days',
        '2',
        '-subj',
        `/CN=${name}`,
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The ID of the AuthnRequest in a redirect-binding URL. */
export function authnRequestId(location: string): string {
  const request = new URL(location).searchParams.get('SAMLRequest')!;
  const xml = inflateRawSync(Buffer.from(request, 'base64')).toString('utf8');
  return /\sID="([^"]+)"/.exec(xml)![1]!;
}

export interface ResponseOptions {
  readonly acsUrl: string;
  readonly audience: string;
  readonly idpEntityId: string;
  readonly inResponseTo?: string | undefined;
  readonly nameId: string;
  readonly attributes?: Readonly<Record<string, readonly string[]>>;
  /** Which parts are signed. */
  readonly sign: 'assertion' | 'response' | 'both' | 'none';
  readonly keys: KeyPair;
  readonly destination?: string;
  readonly recipient?: string;
  readonly assertionIssuer?: string;
  readonly notBefore?: Date;
  readonly notOnOrAfter?: Date;
  /** Raw XML for the NameID's content (to test comment injection). */
  readonly nameIdXml?: string;
}

const XMLNS = 'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"';

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function assertionXml(o: ResponseOptions, id: string): string {
  const now = new Date();
  const notBefore = (o.notBefore ?? new Date(now.getTime() - 60_000)).toISOString();
  const notOnOrAfter = (o.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000)).toISOString();
  const inResponseTo = o.inResponseTo ? ` InResponseTo="${escape(o.inResponseTo)}"` : '';
  const attributes = Object.entries(o.attributes ?? {})
    .map(
      ([name, values]) =>
        `<saml:Attribute Name="${escape(name)}">${values
          .map((v) => `<saml:AttributeValue>${escape(v)}</saml:AttributeValue>`)
          .join('')}</saml:Attribute>`,
    )
    .join('');
  return (
    `<saml:Assertion ${XMLNS} ID="${id}" Version="2.0" IssueInstant="${now.toISOString()}">` +
    `<saml:Issuer>${escape(o.assertionIssuer ?? o.idpEntityId)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${o.nameIdXml ?? escape(o.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
    `<saml:SubjectConfirmationData${inResponseTo} NotOnOrAfter="${notOnOrAfter}" Recipient="${escape(o.recipient ?? o.acsUrl)}"/>` +
    `</saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${escape(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="_session_${id}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '') +
    `</saml:Assertion>`
  );
}

/** Signs the element with this ID (enveloped signature after its Issuer). */
export function sign(xml: string, id: string, keys: KeyPair): string {
  const sig = new SignedXml({
    privateKey: keys.key,
    publicCert: keys.cert,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: `//*[@ID='${id}']`,
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  });
  sig.computeSignature(xml, {
    location: { reference: `//*[@ID='${id}']/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return sig.getSignedXml();
}

export function responseXml(o: ResponseOptions, assertion?: string): string {
  const assertionId = `_a${randomUUID().replace(/-/g, '')}`;
  const responseId = `_r${randomUUID().replace(/-/g, '')}`;
  let inner = assertion ?? assertionXml(o, assertionId);
  if (!assertion && (o.sign === 'assertion' || o.sign === 'both')) inner = sign(inner, assertionId, o.keys);
  const inResponseTo = o.inResponseTo ? ` InResponseTo="${escape(o.inResponseTo)}"` : '';
  let xml =
    `<samlp:Response ${XMLNS} ID="${responseId}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${escape(o.destination ?? o.acsUrl)}"${inResponseTo}>` +
    `<saml:Issuer>${escape(o.idpEntityId)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    inner +
    `</samlp:Response>`;
  if (o.sign === 'response' || o.sign === 'both') xml = sign(xml, responseId, o.keys);
  return xml;
}

export function encode(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

/** IdP metadata as Entra publishes it: entityID, a signing certificate, an HTTP-Redirect sign-in URL. */
export function idpMetadataXml(
  cert: string,
  entityId = 'https://sts.windows.net/tenant/',
  ssoUrl = 'https://login.microsoftonline.com/tenant/saml2',
): string {
  const body = cert.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
  return (
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">` +
    `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ssoUrl}"/>` +
    `</md:IDPSSODescriptor></md:EntityDescriptor>`
  );
}
