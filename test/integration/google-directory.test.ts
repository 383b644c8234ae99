/** Google's Directory API through @googleapis/admin and google-auth-library, against the fake in test/support. */
import { DirectorySourceError } from '../../src/domain/errors/index.js';
import { GOOGLE_EXTENSION, type SourceMember, type SourceUser } from '../../src/domain/directory-source.js';
import { parseServiceAccountKey, type GoogleCredentials } from '../../src/google/credentials.js';
import { GoogleDirectory, type GoogleDirectoryOptions } from '../../src/google/google-directory.js';
import {
  ALL_DIRECTORY_SCOPES,
  FakeGoogleDirectory,
  aServiceAccount,
  type ServiceAccount,
} from '../support/google-directory-fake.js';

const ADMIN = 'admin@acme.example';

async function all<T>(pages: AsyncIterable<readonly T[]>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let count = 0;
  for await (const page of pages) {
    count++;
    items.push(...page);
  }
  return { items, pages: count };
}

describe('the Google Directory API as a directory source', () => {
  const google = new FakeGoogleDirectory();
  let account: ServiceAccount;

  const credentials = (a: ServiceAccount = account, subject = ADMIN): GoogleCredentials => ({
    kind: 'service_account',
    ...parseServiceAccountKey(a.keyFile),
    subject,
  });
  const source = (options: Partial<GoogleDirectoryOptions> = {}): GoogleDirectory =>
    new GoogleDirectory({
      credentials: credentials(),
      customer: 'my_customer',
      orgUnits: [],
      groups: [],
      apiUrl: google.url,
      tokenUrl: google.tokenUrl,
      requestsPerMinute: 60_000,
      backoffMs: 10,
      ...options,
    });

  beforeAll(async () => {
    await google.start();
    account = aServiceAccount();
    google.delegate(account);
    google.admins.add(ADMIN);
    for (let i = 0; i < 1_200; i++) {
      google.addUser({
        id: `u${i}`,
        primaryEmail: `user${i}@acme.example`,
        name: { givenName: `Given${i}`, familyName: `Family${i}`, fullName: `Given${i} Family${i}` },
        suspended: i === 1,
        archived: i === 2,
        orgUnitPath: i % 2 ? '/Engineering/Platform' : '/Sales',
        emails: [
          { address: `user${i}@acme.example`, primary: true },
          { address: `alias${i}@acme.example`, type: 'home' },
        ],
        ...(i === 3 ? { customSchemas: { Employment: { badge: '42' } } } : {}),
      });
    }
    for (let g = 0; g < 250; g++) google.addGroup({ id: `g${g}`, email: `group${g}@acme.example`, name: `Group ${g}` });
    google.members.set('g0', [
      ...Array.from({ length: 450 }, (_, i): { id: string; type: 'USER' } => ({ id: `u${i}`, type: 'USER' })),
      { id: 'g1', type: 'GROUP' },
      { id: 'C0abc', type: 'CUSTOMER' },
    ]);
  });

  afterAll(async () => {
    await google.stop();
  });

  it('lists every user a page of 500 at a time, as directory users keyed by Google id', async () => {
    const { items, pages } = await all(source().users());
    expect(pages).toBe(3);
    expect(items).toHaveLength(1_200);
    const byId = new Map(items.map((u: SourceUser) => [u.externalId, u.input]));
    expect(byId.get('u0')).toMatchObject({
      userName: 'user0@acme.example',
      externalId: 'u0',
      active: true,
      displayName: 'Given0 Family0',
      name: { givenName: 'Given0', familyName: 'Family0', formatted: 'Given0 Family0' },
      multiValued: {
        emails: [
          { value: 'user0@acme.example', primary: true, type: 'work' },
          { value: 'alias0@acme.example', primary: false, type: 'home' },
        ],
      },
      extensions: { [GOOGLE_EXTENSION]: { orgUnitPath: '/Sales' } },
    });
    expect(byId.get('u1')?.active).toBe(false); // suspended
    expect(byId.get('u2')?.active).toBe(false); // archived
    expect(byId.get('u3')?.extensions).toEqual({
      [GOOGLE_EXTENSION]: { orgUnitPath: '/Engineering/Platform', customSchemas: { Employment: { badge: '42' } } },
    });
  });

  it('keeps only the users of the chosen org units and those below them', async () => {
    const { items } = await all(source({ orgUnits: ['/Engineering'] }).users());
    expect(items).toHaveLength(600);
    expect(items.every((u) => u.externalId.match(/^u\d*[13579]$/))).toBe(true);
  });

  it('lists who each user is and whether they are active (a partial response), agreeing with the full listing', async () => {
    const { items: states } = await all(source({ orgUnits: ['/Engineering'] }).userStates());
    const { items: users } = await all(source({ orgUnits: ['/Engineering'] }).users());
    expect(states).toHaveLength(600);
    expect(states).toEqual(
      users.map((u) => ({ externalId: u.externalId, userName: u.input.userName, active: u.input.active })),
    );
    expect(states.find((u) => u.externalId === 'u1')).toEqual({
      externalId: 'u1',
      userName: 'user1@acme.example',
      active: false,
    });
  });

  it('lists groups 200 a page and members 200 a page, with nested groups and everyone in the domain', async () => {
    const groups = await all(source().groups());
    expect(groups.pages).toBe(2);
    expect(groups.items).toHaveLength(250);
    expect(groups.items[0]).toEqual({ externalId: 'g0', displayName: 'Group 0', included: true });
    const members = await all(source().members('g0'));
    expect(members.pages).toBe(3);
    expect(members.items.filter((m: SourceMember) => m.type === 'user')).toHaveLength(450);
    expect(members.items.slice(-2)).toEqual([{ type: 'group', externalId: 'g1' }, { type: 'everyone' }]);
  });

  it('marks groups outside the group filter, so that only the chosen ones and what they nest are synced', async () => {
    const { items } = await all(source({ groups: ['group7@acme.example', 'g9'] }).groups());
    expect(items.filter((g) => g.included).map((g) => g.externalId)).toEqual(['g7', 'g9']);
  });

  it('waits as long as Retry-After says when Google answers 429, and goes on', async () => {
    google.failNext(2, 429, 1);
    const started = Date.now();
    const retries: number[] = [];
    const { items } = await all(source({ onRetry: (_f, _a, wait) => retries.push(wait) }).groups());
    expect(items).toHaveLength(250);
    expect(retries).toEqual([1000, 1000]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  }, 20_000); // two real Retry-After waits of a second each

  it('retries a 5xx with backoff, and gives up in words after the last try', async () => {
    google.failNext(1, 503);
    await expect(all(source().groups())).resolves.toMatchObject({ pages: 2 });
    google.failNext(3, 500);
    const error = await all(source({ maxAttempts: 3 }).groups()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DirectorySourceError);
    expect(error).toMatchObject({ code: 'sync.google_unavailable', retryable: true });
  });

  it('names the scope domain-wide delegation lacks', async () => {
    const narrow = aServiceAccount('narrow@identity-bridge-test.iam.gserviceaccount.com');
    google.delegate(
      narrow,
      ALL_DIRECTORY_SCOPES.filter((s) => !s.endsWith('group.member.readonly')),
    );
    const error = await all(source({ credentials: credentials(narrow) }).users()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'sync.delegation_missing_scope' });
    expect((error as Error).message).toContain(
      'lacks scope https://www.googleapis.com/auth/admin.directory.group.member.readonly',
    );
    expect((error as Error).message).toContain('narrow@identity-bridge-test.iam.gserviceaccount.com');
  });

  it('says when the Admin SDK API is not enabled in the Cloud project, and how to enable it', async () => {
    google.failWithApiDisabled();
    await expect(all(source().users())).rejects.toMatchObject({
      code: 'sync.api_disabled',
      message: expect.stringMatching(/Admin SDK API > Enable/),
    });
  });

  it('says when the account acted as is not an admin', async () => {
    const error = await all(source({ credentials: credentials(account, 'intern@acme.example') }).users()).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'sync.not_admin' });
    expect((error as Error).message).toContain('intern@acme.example');
  });

  it('refuses a key Google does not know (another key of the same account name)', async () => {
    const forged = aServiceAccount(account.clientEmail);
    const error = await all(source({ credentials: credentials(forged) }).users()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'sync.invalid_grant' });
  });

  it("reads the directory with an admin's OAuth refresh token", async () => {
    google.oauthClients.set('client-1', {
      secret: 'client-secret',
      refreshTokens: new Map([['refresh-1', new Set(ALL_DIRECTORY_SCOPES)]]),
    });
    const oauth = source({
      credentials: { kind: 'oauth', clientId: 'client-1', clientSecret: 'client-secret', refreshToken: 'refresh-1' },
    });
    expect((await all(oauth.groups())).items).toHaveLength(250);
    const revoked = source({
      credentials: { kind: 'oauth', clientId: 'client-1', clientSecret: 'client-secret', refreshToken: 'revoked' },
    });
    await expect(all(revoked.groups())).rejects.toMatchObject({ code: 'sync.invalid_grant' });
  });

  it('refuses a key file that is not a service account key, saying what to paste', () => {
    expect(() => parseServiceAccountKey('{"type":"authorized_user"}')).toThrow(/service account key/);
    expect(() => parseServiceAccountKey('not json')).toThrow(/not JSON/);
  });
});
