/**
 * The URLs of a connection's sign-in endpoints on this service: what the IdP admin enters
 * on their side, and what the SAML and OIDC flows put in their messages.
 */
export interface SamlEndpoints {
  /** The SP entity ID (audience), which is also where the SP metadata is served. */
  readonly entityId: string;
  readonly acsUrl: string;
  readonly metadataUrl: string;
  readonly loginUrl: string;
}

export interface OidcEndpoints {
  readonly redirectUri: string;
  readonly loginUrl: string;
}

export function samlEndpoints(publicUrl: string, connectionId: string): SamlEndpoints {
  const base = `${publicUrl}/sso/${connectionId}/saml`;
  return {
    entityId: `${base}/metadata`,
    acsUrl: `${base}/acs`,
    metadataUrl: `${base}/metadata`,
    loginUrl: `${base}/login`,
  };
}

export function oidcEndpoints(publicUrl: string, connectionId: string): OidcEndpoints {
  const base = `${publicUrl}/sso/${connectionId}/oidc`;
  return { redirectUri: `${base}/callback`, loginUrl: `${base}/login` };
}
