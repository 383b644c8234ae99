/**
 * Configuration: environment variables parsed and validated once, at start.
 *
 * This is the only module that reads the environment. Every bad key is reported in one
 * error (ConfigError lists them all), so an operator fixes a deployment in one round.
 * It never prints secret values.
 */
import path from 'node:path';
import { z } from 'zod';
import { parseAllowedNetworks } from '../outbound/guarded-fetch.js';

export type DatabaseConfig =
  | {
      readonly client: 'pg';
      readonly url: string;
      readonly poolMax: number;
      readonly preparedStatements?: boolean;
      /** A direct (session-level) connection for LISTEN, past any transaction-mode pooler; defaults to url. */
      readonly listenUrl?: string;
      /** PostgreSQL cancels any statement running longer (statement_timeout); unset: no limit. */
      readonly statementTimeoutMs?: number;
    }
  | {
      readonly client: 'sqlite';
      readonly filename: string;
      /** The longest a search may run on the embedded database's reader threads; unset: no limit. */
      readonly statementTimeoutMs?: number;
    };

export interface Config {
  readonly database: DatabaseConfig;
  readonly port: number;
  readonly host: string;
  readonly publicUrl: string;
  readonly logLevel: LogLevel;
  /** Key material for sessions and encrypted secrets; undefined means "generate and keep it in the database". */
  readonly sessionSecret: string | undefined;
  readonly migrateOnStart: boolean;
  readonly trustProxy: boolean;
  readonly shutdownTimeoutMs: number;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  readonly metricsToken: string | undefined;
  /** Requests per minute per SCIM token, shared by every instance (0: no limit). */
  readonly scimRateLimit: number;
  /** Sign-in requests per minute per client IP, shared by every instance (0: no limit). */
  readonly signInRateLimit: number;
  /** A request still unanswered after this long gets 503 (SCIM body on SCIM routes). */
  readonly requestTimeoutMs: number;
  /** The database stops any statement running longer than this (below requestTimeoutMs). */
  readonly statementTimeoutMs: number;
  /** OTLP/HTTP collector base URL; traces are off without it. */
  readonly otelEndpoint: string | undefined;
  /** Networks the service may fetch admin-typed URLs from though they are private (loopback for local trials). */
  readonly outboundAllowedNetworks: readonly string[];
  /** Google's Directory API and OAuth token endpoint (a proxy's, or a test's fake), and the project's quota. */
  readonly google: { readonly apiUrl: string; readonly tokenUrl: string; readonly requestsPerMinute: number };
  /** Whether this instance runs the directory syncs that are due (every instance may; one runs each). */
  readonly directorySyncScheduler: boolean;
  /** Whether writes add typed events to the outbox (the feed and webhooks); access history is always kept. */
  readonly events: boolean;
  /** Events older than this many days are pruned. */
  readonly eventRetentionDays: number;
  /** Whether this instance delivers webhooks (every instance may; one delivers each). */
  readonly webhookDelivery: boolean;
  /** How long an instance's claim on a delivery lasts: past it (the instance died), another sends it. */
  readonly webhookClaimSeconds: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_SQLITE_FILE = './data/identity-bridge.sqlite';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const portFromEnv = z.coerce
  .number({ message: 'must be a number' })
  .int({ message: 'must be a whole number' })
  .min(0, { message: 'must be between 0 and 65535' })
  .max(65535, { message: 'must be between 0 and 65535' });

const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .trim()
    .default(DEFAULT_SQLITE_FILE)
    .superRefine((value, ctx) => {
      const parsed = parseDatabaseUrl(value, 1);
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
    }),
  DATABASE_POOL_MAX: z.coerce
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .min(1, { message: 'must be at least 1' })
    .max(1000, { message: 'must be at most 1000' })
    .default(10),
  PORT: portFromEnv.default(8080),
  HOST: z.string().trim().min(1, { message: 'must not be empty' }).default('0.0.0.0'),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL, e.g. https://id.example.com' })
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  SESSION_SECRET: z
    .string()
    .min(32, { message: 'must be at least 32 characters (e.g. `openssl rand -base64 48`)' })
    .optional(),
  DATABASE_PREPARED_STATEMENTS: booleanFromEnv.default(true),
  DATABASE_LISTEN_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL' })
    .optional(),
  MIGRATE_ON_START: booleanFromEnv.default(true),
  TRUST_PROXY: booleanFromEnv.default(false),
  SHUTDOWN_TIMEOUT_MS: z.coerce
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .min(0, { message: 'must not be negative' })
    .default(25_000),
  METRICS_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  SCIM_RATE_LIMIT: z.coerce.number({ message: 'must be a number' }).int().min(0).default(6000),
  SIGN_IN_RATE_LIMIT: z.coerce.number({ message: 'must be a number' }).int().min(0).default(600),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ message: 'must be a URL' }).optional(),
  REQUEST_TIMEOUT_MS: z.coerce.number({ message: 'must be a number' }).int().min(1000).default(30_000),
  STATEMENT_TIMEOUT_MS: z.coerce.number({ message: 'must be a number' }).int().min(100).optional(),
  OUTBOUND_ALLOWED_NETWORKS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean),
    )
    .superRefine((networks, ctx) => {
      const parsed = parseAllowedNetworks(networks);
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
    })
    .default([]),
  GOOGLE_API_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .default('https://admin.googleapis.com/'),
  GOOGLE_TOKEN_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .default('https://oauth2.googleapis.com/token'),
  GOOGLE_REQUESTS_PER_MINUTE: z.coerce
    .number({ message: 'must be a number' })
    .int()
    .min(1)
    .max(1_000_000)
    .default(2400),
  DIRECTORY_SYNC_SCHEDULER: booleanFromEnv.default(true),
  EVENTS: booleanFromEnv.default(true),
  EVENT_RETENTION_DAYS: z.coerce.number({ message: 'must be a number' }).int().min(1).max(3650).default(30),
  WEBHOOK_DELIVERY: booleanFromEnv.default(true),
  WEBHOOK_CLAIM_SECONDS: z.coerce.number({ message: 'must be a number' }).int().min(5).max(3600).default(60),
});

/** Turns a DATABASE_URL into a dialect choice; returns an error message for an unsupported one. */
export function parseDatabaseUrl(raw: string, poolMax: number): DatabaseConfig | string {
  if (/^postgres(ql)?:\/\//i.test(raw)) {
    try {
      new URL(raw);
    } catch {
      return 'is not a valid postgres:// URL';
    }
    return { client: 'pg', url: raw, poolMax };
  }
  const sqlite = /^(sqlite|file):(\/\/)?(.*)$/i.exec(raw);
  const file = sqlite ? (sqlite[3] ?? '') : raw;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
    return 'must be postgres://..., postgresql://..., sqlite:PATH or a file path';
  }
  if (file.length === 0) return 'names no SQLite file';
  return { client: 'sqlite', filename: file === ':memory:' ? file : path.resolve(file) };
}

/** Parses and validates the environment; throws ConfigError listing every bad key. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    // An empty variable means "not set", as in most shells' `FOO= cmd`.
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`).sort(),
    );
  }
  const e = parsed.data;
  // Below the request timeout, so a statement is stopped before its request is answered 503.
  const statementTimeoutMs = e.STATEMENT_TIMEOUT_MS ?? Math.floor(e.REQUEST_TIMEOUT_MS * 0.8);
  if (statementTimeoutMs >= e.REQUEST_TIMEOUT_MS) {
    throw new ConfigError([
      `STATEMENT_TIMEOUT_MS: must be below REQUEST_TIMEOUT_MS (${e.REQUEST_TIMEOUT_MS}), so a stopped statement is answered before its request times out`,
    ]);
  }
  const parsedDatabase = parseDatabaseUrl(e.DATABASE_URL, e.DATABASE_POOL_MAX);
  if (typeof parsedDatabase === 'string') throw new ConfigError([`DATABASE_URL: ${parsedDatabase}`]);
  const database: DatabaseConfig =
    parsedDatabase.client === 'pg'
      ? {
          ...parsedDatabase,
          preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
          listenUrl: e.DATABASE_LISTEN_URL ?? parsedDatabase.url,
          statementTimeoutMs,
        }
      : { ...parsedDatabase, statementTimeoutMs };
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return {
    database,
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    logLevel: e.LOG_LEVEL,
    sessionSecret: e.SESSION_SECRET,
    migrateOnStart: e.MIGRATE_ON_START,
    trustProxy: e.TRUST_PROXY,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    metricsToken: e.METRICS_TOKEN,
    scimRateLimit: e.SCIM_RATE_LIMIT,
    signInRateLimit: e.SIGN_IN_RATE_LIMIT,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    statementTimeoutMs,
    otelEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    outboundAllowedNetworks: e.OUTBOUND_ALLOWED_NETWORKS,
    google: { apiUrl: e.GOOGLE_API_URL, tokenUrl: e.GOOGLE_TOKEN_URL, requestsPerMinute: e.GOOGLE_REQUESTS_PER_MINUTE },
    directorySyncScheduler: e.DIRECTORY_SYNC_SCHEDULER,
    events: e.EVENTS,
    eventRetentionDays: e.EVENT_RETENTION_DAYS,
    webhookDelivery: e.WEBHOOK_DELIVERY,
    webhookClaimSeconds: e.WEBHOOK_CLAIM_SECONDS,
  };
}
