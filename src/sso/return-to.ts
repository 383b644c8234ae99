/**
 * Where a sign-in lands afterwards (OIDC's stored returnTo, SAML's RelayState, the login
 * page's hidden field): only a path on this service, never another origin (no open redirect).
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) {
    return '/';
  }
  return value.length > 512 ? '/' : value;
}
