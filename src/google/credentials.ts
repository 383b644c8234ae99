/**
 * How the service signs in to Google's Directory API for a connection: a service account
 * with domain-wide delegation acting as one of the domain's admins, or an admin's OAuth
 * consent (a refresh token). Secrets arrive here opened; they are stored sealed.
 */
import { InvalidInputError } from '../domain/errors/index.js';

export type GoogleCredentials =
  | {
      readonly kind: 'service_account';
      readonly clientEmail: string;
      readonly privateKey: string;
      readonly privateKeyId: string | null;
      /** The admin the service account acts as (domain-wide delegation). */
      readonly subject: string;
    }
  | {
      readonly kind: 'oauth';
      readonly clientId: string;
      readonly clientSecret: string;
      readonly refreshToken: string;
    };

/** The read-only scopes a sync asks for; domain-wide delegation must grant exactly these. */
export const DIRECTORY_SCOPES = [
  'https://www.googleapis.com/auth/admin.directory.user.readonly',
  'https://www.googleapis.com/auth/admin.directory.group.readonly',
  'https://www.googleapis.com/auth/admin.directory.group.member.readonly',
] as const;

/** A service account key as Google's console downloads it (JSON). */
export function parseServiceAccountKey(json: string): {
  clientEmail: string;
  privateKey: string;
  privateKeyId: string | null;
} {
  let key: unknown;
  try {
    key = JSON.parse(json);
  } catch {
    throw new InvalidInputError(
      'sync.invalid_key',
      'The service account key is not JSON: paste the key file Google gave you',
    );
  }
  const k = (typeof key === 'object' && key !== null ? key : {}) as Record<string, unknown>;
  if (k.type !== 'service_account' || typeof k.client_email !== 'string' || typeof k.private_key !== 'string') {
    throw new InvalidInputError(
      'sync.invalid_key',
      'The key must be a service account key (type "service_account" with client_email and private_key)',
    );
  }
  if (!/-----BEGIN PRIVATE KEY-----/.test(k.private_key)) {
    throw new InvalidInputError('sync.invalid_key', "The service account key's private_key is not a PEM private key");
  }
  return {
    clientEmail: k.client_email,
    privateKey: k.private_key,
    privateKeyId: typeof k.private_key_id === 'string' ? k.private_key_id : null,
  };
}
