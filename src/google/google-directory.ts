/**
 * Google Workspace's Directory API (Admin SDK v1, through @googleapis/admin) as a directory
 * source: users (projection=full, 500 a page), groups (200 a page) and each group's members
 * (200 a page), streamed page by page and mapped to the directory's own shapes.
 *
 * Every call goes through `call`: requests are paced under the project's quota (default
 * 2,400 a minute), and 429, 5xx and network failures are retried with exponential backoff
 * that honours Retry-After. The library's own retry is turned off for this, because it
 * ignores Retry-After. Anything else is turned into an error an admin can act on.
 */
import { admin_directory_v1 } from '@googleapis/admin';
import type { OAuth2Client } from 'google-auth-library';
import {
  GOOGLE_EXTENSION,
  type DirectorySource,
  type SourceGroup,
  type SourceMember,
  type SourceUser,
  type SourceUserState,
} from '../domain/directory-source.js';
import { EMPTY_ENTERPRISE, EMPTY_NAME, type MultiValue } from '../domain/directory.js';
import { DIRECTORY_SCOPES, type GoogleCredentials } from './credentials.js';
import { GOOGLE_TOKEN_URL, googleAuthClient } from './google-auth.js';
import { describeFailure, googleFailureOf, isRetryable, type GoogleFailure } from './google-errors.js';

export const GOOGLE_API_URL = 'https://admin.googleapis.com/';

export interface GoogleDirectoryOptions {
  readonly credentials: GoogleCredentials;
  /** `my_customer` (the admin's own account) unless the domain is managed for another customer. */
  readonly customer: string;
  /** Only users in these org units (and below them); empty: every user. */
  readonly orgUnits: readonly string[];
  /** Only these groups (email or id) and the groups nested in them; empty: every group. */
  readonly groups: readonly string[];
  readonly apiUrl?: string;
  readonly tokenUrl?: string;
  /** Requests a minute this source may make (the project's quota). */
  readonly requestsPerMinute?: number;
  /** First backoff delay; doubled per try, at most 32 s. */
  readonly backoffMs?: number;
  readonly maxAttempts?: number;
  /** Told of each retry (for progress and logs). */
  readonly onRetry?: (failure: GoogleFailure, attempt: number, waitMs: number) => void;
}

interface GoogleUser {
  id?: string | null;
  primaryEmail?: string | null;
  suspended?: boolean | null;
  archived?: boolean | null;
  orgUnitPath?: string | null;
  name?: { givenName?: string | null; familyName?: string | null; fullName?: string | null } | null;
  emails?: unknown;
  organizations?: unknown;
  customSchemas?: Record<string, unknown> | null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function clean(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** Google's user → the directory's user input (primaryEmail is the userName, Google's id the externalId). */
export function userFromGoogle(u: GoogleUser): SourceUser | undefined {
  const id = clean(u.id);
  const primaryEmail = clean(u.primaryEmail);
  if (!id || !primaryEmail) return undefined;
  const listed = Array.isArray(u.emails) ? (u.emails as Array<Record<string, unknown>>) : [];
  const emails: MultiValue[] = [];
  for (const e of listed) {
    const address = clean(e.address);
    if (!address || emails.some((x) => x.value === address)) continue;
    emails.push({
      value: address,
      type: clean(e.type) ?? (address === primaryEmail ? 'work' : null),
      primary: address === primaryEmail || e.primary === true,
      display: null,
      subAttributes: null,
    });
  }
  if (!emails.some((e) => e.value === primaryEmail)) {
    emails.unshift({ value: primaryEmail, type: 'work', primary: true, display: null, subAttributes: null });
  }
  const organizations = Array.isArray(u.organizations) ? (u.organizations as Array<Record<string, unknown>>) : [];
  const organization = organizations.find((o) => o.primary === true) ?? organizations[0];
  const given = clean(u.name?.givenName);
  const family = clean(u.name?.familyName);
  const full = clean(u.name?.fullName) ?? ([given, family].filter(Boolean).join(' ') || null);
  return {
    externalId: id,
    input: {
      externalId: id,
      userName: primaryEmail,
      active: u.suspended !== true && u.archived !== true,
      displayName: full,
      nickName: null,
      profileUrl: null,
      title: clean(organization?.title),
      userType: null,
      preferredLanguage: null,
      locale: null,
      timezone: null,
      name: { ...EMPTY_NAME, formatted: full, givenName: given, familyName: family },
      enterprise: {
        ...EMPTY_ENTERPRISE,
        department: clean(organization?.department),
        costCenter: clean(organization?.costCenter),
      },
      multiValued: { emails },
      extensions: {
        [GOOGLE_EXTENSION]: {
          orgUnitPath: clean(u.orgUnitPath) ?? '/',
          ...(u.customSchemas && Object.keys(u.customSchemas).length ? { customSchemas: u.customSchemas } : {}),
        },
      },
    },
  };
}

function memberFromGoogle(m: admin_directory_v1.Schema$Member): SourceMember | undefined {
  const id = clean(m.id);
  if (m.type === 'CUSTOMER') return { type: 'everyone' };
  if (!id) return undefined;
  if (m.type === 'USER') return { type: 'user', externalId: id };
  if (m.type === 'GROUP') return { type: 'group', externalId: id };
  return undefined; // EXTERNAL members have no account in the directory
}

function inOrgUnits(orgUnitPath: string, units: readonly string[]): boolean {
  if (units.length === 0) return true;
  return units.some((u) => {
    const unit = u === '/' ? '/' : u.replace(/\/+$/, '');
    return unit === '/' || orgUnitPath === unit || orgUnitPath.startsWith(`${unit}/`);
  });
}

export class GoogleDirectory implements DirectorySource {
  private readonly api: admin_directory_v1.Admin;
  private readonly auth: OAuth2Client;
  private readonly minIntervalMs: number;
  private nextSlot = 0;

  constructor(private readonly options: GoogleDirectoryOptions) {
    this.auth = googleAuthClient(options.credentials, options.tokenUrl ?? GOOGLE_TOKEN_URL);
    this.api = new admin_directory_v1.Admin({ auth: this.auth, rootUrl: options.apiUrl ?? GOOGLE_API_URL });
    this.minIntervalMs = 60_000 / (options.requestsPerMinute ?? 2400);
  }

  async *users(): AsyncIterable<readonly SourceUser[]> {
    let pageToken: string | undefined;
    do {
      const data = await this.call((o) =>
        this.api.users.list(
          { customer: this.options.customer, projection: 'full', maxResults: 500, ...(pageToken ? { pageToken } : {}) },
          o,
        ),
      );
      const page: SourceUser[] = [];
      for (const raw of (data.users ?? []) as GoogleUser[]) {
        if (!inOrgUnits(clean(raw.orgUnitPath) ?? '/', this.options.orgUnits)) continue;
        const user = userFromGoogle(raw);
        if (user) page.push(user);
      }
      yield page;
      pageToken = data.nextPageToken ?? undefined;
    } while (pageToken);
  }

  async *userStates(): AsyncIterable<readonly SourceUserState[]> {
    let pageToken: string | undefined;
    do {
      const data = await this.call((o) =>
        this.api.users.list(
          {
            customer: this.options.customer,
            maxResults: 500,
            // A partial response: what planning needs, a fraction of each user.
            fields: 'users(id,primaryEmail,suspended,archived,orgUnitPath),nextPageToken',
            ...(pageToken ? { pageToken } : {}),
          },
          o,
        ),
      );
      const page: SourceUserState[] = [];
      for (const u of (data.users ?? []) as GoogleUser[]) {
        const id = clean(u.id);
        const userName = clean(u.primaryEmail);
        if (!id || !userName || !inOrgUnits(clean(u.orgUnitPath) ?? '/', this.options.orgUnits)) continue;
        page.push({ externalId: id, userName, active: u.suspended !== true && u.archived !== true });
      }
      yield page;
      pageToken = data.nextPageToken ?? undefined;
    } while (pageToken);
  }

  async *groups(): AsyncIterable<readonly SourceGroup[]> {
    const wanted = new Set(this.options.groups.map((g) => g.toLowerCase()));
    let pageToken: string | undefined;
    do {
      const data = await this.call((o) =>
        this.api.groups.list(
          { customer: this.options.customer, maxResults: 200, ...(pageToken ? { pageToken } : {}) },
          o,
        ),
      );
      const page: SourceGroup[] = [];
      for (const g of data.groups ?? []) {
        const id = clean(g.id);
        if (!id) continue;
        // With a group filter, the listed groups are the roots: the sync follows what they nest.
        const listed = wanted.size === 0 || wanted.has(id.toLowerCase()) || wanted.has((g.email ?? '').toLowerCase());
        page.push({ externalId: id, displayName: clean(g.name) ?? clean(g.email) ?? id, included: listed });
      }
      yield page;
      pageToken = data.nextPageToken ?? undefined;
    } while (pageToken);
  }

  async *members(groupExternalId: string): AsyncIterable<readonly SourceMember[]> {
    let pageToken: string | undefined;
    do {
      const data = await this.call((o) =>
        this.api.members.list({ groupKey: groupExternalId, maxResults: 200, ...(pageToken ? { pageToken } : {}) }, o),
      );
      const page: SourceMember[] = [];
      for (const m of data.members ?? []) {
        const member = memberFromGoogle(m);
        if (member) page.push(member);
      }
      yield page;
      pageToken = data.nextPageToken ?? undefined;
    } while (pageToken);
  }

  async watchUsers(channel: {
    readonly id: string;
    readonly address: string;
    readonly token: string;
    readonly ttlSeconds: number;
  }): Promise<{ readonly resourceId: string; readonly expiresAt: string }> {
    const data = await this.call((o) =>
      this.api.users.watch(
        {
          customer: this.options.customer,
          requestBody: {
            id: channel.id,
            type: 'web_hook',
            address: channel.address,
            token: channel.token,
            params: { ttl: String(channel.ttlSeconds) },
          },
        },
        o,
      ),
    );
    // Google answers the expiration in milliseconds since the epoch, as a string.
    const expiration = Number(data.expiration);
    return {
      resourceId: data.resourceId ?? '',
      expiresAt: new Date(
        Number.isFinite(expiration) && expiration > 0 ? expiration : Date.now() + channel.ttlSeconds * 1000,
      ).toISOString(),
    };
  }

  async stopWatch(channel: { readonly id: string; readonly resourceId: string }): Promise<void> {
    await this.call((o) =>
      this.api.channels.stop({ requestBody: { id: channel.id, resourceId: channel.resourceId } }, o),
    );
  }

  /** One API call: paced under the quota, retried on 429/5xx/network failures, errors described. */
  private async call<T>(request: (options: { retry: false }) => Promise<{ data: T }>): Promise<T> {
    const maxAttempts = this.options.maxAttempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      await this.pace();
      try {
        return (await request({ retry: false })).data;
      } catch (error) {
        const failure = googleFailureOf(error);
        if (!isRetryable(failure) || attempt >= maxAttempts) throw await this.described(failure);
        const backoff = Math.min(32_000, (this.options.backoffMs ?? 1000) * 2 ** (attempt - 1));
        const waitMs =
          failure.retryAfterSeconds !== undefined
            ? failure.retryAfterSeconds * 1000
            : Math.round(backoff / 2 + Math.random() * (backoff / 2));
        this.options.onRetry?.(failure, attempt, waitMs);
        await sleep(waitMs);
      }
    }
  }

  /** Spaces requests at least 60 s / quota apart (shared by this source's concurrent calls). */
  private async pace(): Promise<void> {
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.minIntervalMs;
    if (slot > now) await sleep(slot - now);
  }

  /** The error for the admin; a delegation refusal is narrowed to the scopes Google refuses. */
  private async described(failure: GoogleFailure): Promise<Error> {
    const credentials = this.options.credentials;
    const client = credentials.kind === 'service_account' ? credentials.clientEmail : credentials.clientId;
    const subject = credentials.kind === 'service_account' ? credentials.subject : undefined;
    let refusedScopes: string[] | undefined;
    if (credentials.kind === 'service_account' && failure.reason === 'unauthorized_client') {
      refusedScopes = [];
      for (const scope of DIRECTORY_SCOPES) {
        const probe = googleAuthClient(credentials, this.options.tokenUrl ?? GOOGLE_TOKEN_URL, [scope]);
        try {
          await probe.getAccessToken();
        } catch {
          refusedScopes.push(scope);
        }
      }
    }
    return describeFailure(failure, { client, subject, ...(refusedScopes ? { refusedScopes } : {}) });
  }
}
