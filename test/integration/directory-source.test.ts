/** One source per connection: a connection whose people come from the Google directory sync refuses SCIM pushes. */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { aServiceAccount } from '../support/google-directory-fake.js';
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

describe('the source of a connection', () => {
  let server: TestServer;
  let google: ScimClient;

  beforeAll(async () => {
    server = await startTestServer({ DIRECTORY_SYNC_SCHEDULER: 'false' });
    google = await newConnection(server.running.services, server.url, 'google');
  });

  afterAll(async () => {
    await server.close();
  });

  it('refuses SCIM requests while the directory sync is the source, and accepts them again after', async () => {
    expect((await google.request('GET', '/Users')).status).toBe(200);
    const sources = server.running.services.directorySources;
    await sources.configure(
      google.orgId,
      google.connectionId,
      'google',
      { credentials: { serviceAccountKey: aServiceAccount().keyFile, subject: 'admin@acme.example' } },
      CLI_ACTOR,
    );
    // A token verified before the switch is trusted for up to 5 s more; a new one is checked at once.
    const fresh = await server.running.services.scimTokens.issue(google.orgId, google.connectionId, CLI_ACTOR);
    const refused = await fetch(`${server.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${fresh.token}` } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '403',
      detail: expect.stringMatching(/Google directory sync/),
    });
    await sources.configure(google.orgId, google.connectionId, 'scim', {}, CLI_ACTOR);
    const again = await fetch(`${server.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${fresh.token}` } });
    expect(again.status).toBe(200);
  });
});
