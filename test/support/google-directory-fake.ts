/**
 * A faithful fake of the parts of Google's Directory API (Admin SDK, v1) and OAuth token
 * endpoint that a directory sync uses, for tests and the benchmark:
 * - POST /token: a service account's JWT bearer assertion (RS256, checked against the
 *   account's public key: issuer, subject, audience = Google's token URL, lifetime, and
 *   scopes that domain-wide delegation grants), or an OAuth refresh token; errors as Google
 *   words them (`unauthorized_client`, `invalid_grant`).
 * - GET /admin/directory/v1/users, /groups, /groups/{groupKey}/members: page tokens,
 *   maxResults caps (500, 200, 200), scopes checked per call, 403 when the impersonated user
 *   is no admin; suspended, archived and deleted users; nested groups and CUSTOMER members.
 * - POST /admin/directory/v1/users/watch and /admin/directory_v1/channels/stop: web_hook
 *   channels to an https address, with their token, resource id and expiration (ms).
 * - Faults on demand: bursts of 429 (with Retry-After) and 5xx.
 */
import { createPublicKey, createVerify, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
const USER_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
const GROUP_SCOPE = 'https://www.googleapis.com/auth/admin.directory.group.readonly';
const MEMBER_SCOPE = 'https://www.googleapis.com/auth/admin.directory.group.member.readonly';
export const ALL_DIRECTORY_SCOPES = [USER_SCOPE, GROUP_SCOPE, MEMBER_SCOPE];

export interface FakeUser {
  id: string;
  primaryEmail: string;
  name: { givenName?: string; familyName?: string; fullName?: string };
  suspended?: boolean;
  archived?: boolean;
  orgUnitPath?: string;
  emails?: Array<{ address: string; primary?: boolean; type?: string }>;
  customSchemas?: Record<string, Record<string, unknown>>;
}

/** A users.watch channel the fake opened: where Google would post, with what token, until when (ms). */
export interface FakeChannel {
  readonly id: string;
  readonly address: string;
  readonly token: string;
  readonly resourceId: string;
  readonly expiration: string;
}

export interface FakeGroup {
  id: string;
  email: string;
  name: string;
}

export interface FakeMember {
  id: string;
  type: 'USER' | 'GROUP' | 'CUSTOMER';
  email?: string;
}

export interface ServiceAccount {
  readonly clientEmail: string;
  /** PEM (PKCS#8), as in the key file. */
  readonly privateKey: string;
  readonly privateKeyId: string;
  /** The key file Google's console would download. */
  readonly keyFile: string;
}

export function aServiceAccount(clientEmail = 'sync@identity-bridge-test.iam.gserviceaccount.com'): ServiceAccount {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const privateKeyId = randomBytes(20).toString('hex');
  const keyFile = JSON.stringify({
    type: 'service_account',
    project_id: 'identity-bridge-test',
    private_key_id: privateKeyId,
    private_key: pem,
    client_email: clientEmail,
    client_id: '1234567890',
    token_uri: GOOGLE_TOKEN_AUDIENCE,
  });
  return { clientEmail, privateKey: pem, privateKeyId, keyFile };
}

interface Fault {
  status: number;
  retryAfterSeconds?: number;
  count: number;
  /** Google's reason and message, when not the usual ones of a 429 or 5xx. */
  reason?: string;
  message?: string;
}

interface IssuedToken {
  scopes: Set<string>;
  subject: string;
  expiresAt: number;
}

function base64urlJson(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export class FakeGoogleDirectory {
  readonly users: FakeUser[] = [];
  readonly groups: FakeGroup[] = [];
  readonly members = new Map<string, FakeMember[]>();
  /** Scopes domain-wide delegation grants each service account (by client email). */
  readonly delegation = new Map<string, { publicKey: KeyObject; scopes: Set<string> }>();
  /** OAuth clients: id → secret and the refresh tokens they hold (with their scopes). */
  readonly oauthClients = new Map<string, { secret: string; refreshTokens: Map<string, Set<string>> }>();
  /** Users who may call the API (the domain's admins). */
  readonly admins = new Set<string>();
  /** Open users.watch channels, by id. */
  readonly channels = new Map<string, FakeChannel>();
  /** Requests served, by path (users, groups, members, token). */
  readonly calls = { users: 0, groups: 0, members: 0, token: 0 };
  private readonly tokens = new Map<string, IssuedToken>();
  private faults: Fault[] = [];
  /** Each API answer waits this long (a slow directory, to stop a run halfway). */
  latencyMs = 0;
  private server: http.Server | undefined;
  url = '';

  /** Google's token URL as this fake serves it. */
  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  /** A service account whose domain-wide delegation grants `scopes`. */
  delegate(account: ServiceAccount, scopes: readonly string[] = ALL_DIRECTORY_SCOPES): void {
    this.delegation.set(account.clientEmail, {
      publicKey: createPublicKey(account.privateKey),
      scopes: new Set(scopes),
    });
  }

  /** The next `count` API calls answer `status` (429 with Retry-After, or a 5xx). */
  failNext(count: number, status: number, retryAfterSeconds?: number): void {
    this.faults.push({ status, count, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });
  }

  /** The next API call answers 403 accessNotConfigured, as when the project has not enabled the Admin SDK API. */
  failWithApiDisabled(): void {
    this.faults.push({
      status: 403,
      count: 1,
      reason: 'accessNotConfigured',
      message:
        'Admin SDK API has not been used in project 123456789 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/admin.googleapis.com/overview?project=123456789 then retry.',
    });
  }

  addUser(user: FakeUser): FakeUser {
    this.users.push(user);
    return user;
  }

  user(id: string): FakeUser {
    const u = this.users.find((x) => x.id === id);
    if (!u) throw new Error(`no fake user ${id}`);
    return u;
  }

  removeUser(id: string): void {
    const i = this.users.findIndex((x) => x.id === id);
    if (i >= 0) this.users.splice(i, 1);
    for (const [g, list] of this.members) {
      this.members.set(
        g,
        list.filter((m) => m.id !== id),
      );
    }
  }

  addGroup(group: FakeGroup, members: FakeMember[] = []): FakeGroup {
    this.groups.push(group);
    this.members.set(group.id, members);
    return group;
  }

  removeGroup(id: string): void {
    const i = this.groups.findIndex((g) => g.id === id);
    if (i >= 0) this.groups.splice(i, 1);
    this.members.delete(id);
    for (const [g, list] of this.members) {
      this.members.set(
        g,
        list.filter((m) => m.id !== id),
      );
    }
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 500, message: String(error) } }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'POST' && url.pathname === '/token') {
      this.calls.token++;
      const body = new URLSearchParams(await readBody(req));
      this.token(body, res);
      return;
    }
    if (this.latencyMs > 0 && url.pathname.startsWith('/admin/directory/v1/')) {
      await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    }
    const fault = this.faults[0];
    if (fault && url.pathname.startsWith('/admin/directory/v1/')) {
      fault.count--;
      if (fault.count <= 0) this.faults.shift();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      res.writeHead(fault.status, headers);
      res.end(
        JSON.stringify({
          error: {
            code: fault.status,
            message: fault.message ?? (fault.status === 429 ? 'Quota exceeded for quota metric' : 'Backend Error'),
            errors: [{ reason: fault.reason ?? (fault.status === 429 ? 'rateLimitExceeded' : 'backendError') }],
          },
        }),
      );
      return;
    }
    const token = this.tokens.get(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
    if (!token || token.expiresAt < Date.now()) {
      apiError(res, 401, 'Login Required.', 'required');
      return;
    }
    const page = (items: unknown[], max: number): { slice: unknown[]; next: string | undefined } => {
      const start = Number(url.searchParams.get('pageToken') ?? '0');
      const size = Math.min(Number(url.searchParams.get('maxResults') ?? max), max);
      const next = start + size < items.length ? String(start + size) : undefined;
      return { slice: items.slice(start, start + size), next };
    };
    const need = (scope: string): boolean => {
      if (token.scopes.has(scope)) return true;
      apiError(res, 403, 'Request had insufficient authentication scopes.', 'insufficientPermissions');
      return false;
    };
    if (!this.admins.has(token.subject)) {
      apiError(res, 403, 'Not Authorized to access this resource/api', 'forbidden');
      return;
    }
    if (req.method === 'POST' && url.pathname === '/admin/directory/v1/users/watch') {
      if (!need(USER_SCOPE)) return;
      const channel = JSON.parse(await readBody(req)) as Partial<FakeChannel> & {
        type?: string;
        params?: { ttl?: string };
      };
      if (channel.type !== 'web_hook' || !channel.id || !channel.address?.startsWith('https://')) {
        apiError(res, 400, 'WebHook callback must be HTTPS: ' + String(channel.address), 'push.webhookUrlNotHttps');
        return;
      }
      const ttl = Math.min(Number(channel.params?.ttl ?? 21600), 21600);
      const opened: FakeChannel = {
        id: channel.id,
        address: channel.address,
        token: channel.token ?? '',
        resourceId: `res-${this.channels.size + 1}`,
        expiration: String(Date.now() + ttl * 1000),
      };
      this.channels.set(opened.id, opened);
      json(res, { kind: 'api#channel', ...opened, resourceUri: `${this.url}/admin/directory/v1/users?alt=json` });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/admin/directory_v1/channels/stop') {
      const { id, resourceId } = JSON.parse(await readBody(req)) as { id?: string; resourceId?: string };
      const channel = this.channels.get(id ?? '');
      if (!channel || channel.resourceId !== resourceId) {
        apiError(res, 404, 'Channel not found', 'notFound');
        return;
      }
      this.channels.delete(channel.id);
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET' && url.pathname === '/admin/directory/v1/users') {
      this.calls.users++;
      if (!need(USER_SCOPE)) return;
      const { slice, next } = page(this.users, 500);
      // A partial response (`fields=users(id,primaryEmail),nextPageToken`), as Google gives one.
      const only = /(?:^|,)users\(([^)]*)\)/.exec(url.searchParams.get('fields') ?? '')?.[1]?.split(',');
      const users = only
        ? slice.map((u) => Object.fromEntries(Object.entries(u as object).filter(([k]) => only.includes(k))))
        : slice;
      json(res, { kind: 'admin#directory#users', users, ...(next ? { nextPageToken: next } : {}) });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/admin/directory/v1/groups') {
      this.calls.groups++;
      if (!need(GROUP_SCOPE)) return;
      const { slice, next } = page(this.groups, 200);
      json(res, { kind: 'admin#directory#groups', groups: slice, ...(next ? { nextPageToken: next } : {}) });
      return;
    }
    const m = /^\/admin\/directory\/v1\/groups\/([^/]+)\/members$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      this.calls.members++;
      if (!need(MEMBER_SCOPE)) return;
      const key = decodeURIComponent(m[1]!);
      const group = this.groups.find((g) => g.id === key || g.email === key);
      if (!group) {
        apiError(res, 404, 'Resource Not Found: groupKey', 'notFound');
        return;
      }
      const { slice, next } = page(this.members.get(group.id) ?? [], 200);
      json(res, {
        kind: 'admin#directory#members',
        members: slice.map((x) => ({
          kind: 'admin#directory#member',
          role: 'MEMBER',
          status: 'ACTIVE',
          ...(x as object),
        })),
        ...(next ? { nextPageToken: next } : {}),
      });
      return;
    }
    apiError(res, 404, 'Not Found', 'notFound');
  }

  private token(body: URLSearchParams, res: ServerResponse): void {
    const grant = body.get('grant_type');
    if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const [h, p, s] = (body.get('assertion') ?? '').split('.');
      if (!h || !p || !s) return tokenError(res, 400, 'invalid_grant', 'Invalid JWT Signature.');
      const header = base64urlJson(h);
      const claims = base64urlJson(p);
      const account = this.delegation.get(String(claims.iss));
      if (header.alg !== 'RS256' || !account) return tokenError(res, 400, 'invalid_grant', 'Invalid JWT Signature.');
      const ok = createVerify('RSA-SHA256').update(`${h}.${p}`).verify(account.publicKey, Buffer.from(s, 'base64url'));
      if (!ok) return tokenError(res, 400, 'invalid_grant', 'Invalid JWT Signature.');
      const now = Math.floor(Date.now() / 1000);
      if (claims.aud !== GOOGLE_TOKEN_AUDIENCE) return tokenError(res, 400, 'invalid_grant', 'Invalid JWT: audience');
      if (
        typeof claims.exp !== 'number' ||
        typeof claims.iat !== 'number' ||
        claims.exp < now ||
        claims.exp - claims.iat > 3600
      ) {
        return tokenError(res, 400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes)');
      }
      const scopes = String(claims.scope ?? '')
        .split(' ')
        .filter(Boolean);
      if (typeof claims.sub !== 'string' || scopes.length === 0 || scopes.some((sc) => !account.scopes.has(sc))) {
        return tokenError(
          res,
          401,
          'unauthorized_client',
          'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
        );
      }
      return this.issue(res, new Set(scopes), claims.sub);
    }
    if (grant === 'refresh_token') {
      const client = this.oauthClients.get(body.get('client_id') ?? '');
      if (!client || client.secret !== body.get('client_secret'))
        return tokenError(res, 401, 'invalid_client', 'Unauthorized');
      const scopes = client.refreshTokens.get(body.get('refresh_token') ?? '');
      if (!scopes) return tokenError(res, 400, 'invalid_grant', 'Token has been expired or revoked.');
      return this.issue(res, scopes, [...this.admins][0] ?? '');
    }
    tokenError(res, 400, 'unsupported_grant_type', 'Invalid grant_type');
  }

  private issue(res: ServerResponse, scopes: Set<string>, subject: string): void {
    const accessToken = `ya29.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, { scopes, subject, expiresAt: Date.now() + 3600_000 });
    json(res, { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' });
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

function apiError(res: ServerResponse, status: number, message: string, reason: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify({ error: { code: status, message, errors: [{ message, domain: 'global', reason }] } }));
}

function tokenError(res: ServerResponse, status: number, error: string, description: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify({ error, error_description: description }));
}
