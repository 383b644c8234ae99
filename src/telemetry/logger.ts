/**
 * JSON logs (pino). Secrets never reach a log line: request headers are not logged at all,
 * sensitive query parameters are masked, and known secret fields are redacted wherever
 * they appear in a logged object.
 */
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';

export type { Logger };

const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'set-cookie',
  'token',
  'password',
  'secret',
  'clientSecret',
  'client_secret',
  'SAMLResponse',
  'SAMLRequest',
  'id_token',
  'access_token',
  'refresh_token',
  'code_verifier',
];

export const REDACT_PATHS = [
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_FIELDS.map((f) => `*.*.${f}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

const SECRET_QUERY_PARAMS = new Set(
  [
    'SAMLResponse',
    'SAMLRequest',
    'Signature',
    'code',
    'state',
    'token',
    'access_token',
    'id_token',
    'session_state',
  ].map((p) => p.toLowerCase()),
);

/** A URL path with the values of secret-bearing query parameters replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) {
    if (SECRET_QUERY_PARAMS.has(key.toLowerCase())) params.set(key, '[Redacted]');
  }
  return `${url.slice(0, q)}?${params.toString()}`;
}

export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'identity-bridge' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
