/**
 * Webhook delivery across a fleet on PostgreSQL: an instance is SIGKILLed while its
 * deliveries are in flight; a second instance takes them over once their claim lapses.
 * Every event reaches the receiver at least once, and each user's events in the order
 * they were committed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI_ACTOR } from '../../../src/domain/actor.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/store.js';
import { aUser } from '../../support/factories.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { TEST_SESSION_SECRET, testServices } from '../../support/test-services.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';

const MAIN = path.resolve(__dirname, '../../../dist/src/main.js');
const USERS = 12;
const TOGGLES = 4;

function startInstance(databaseUrl: string): Promise<ChildProcess> {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SESSION_SECRET: TEST_SESSION_SECRET,
      OUTBOUND_ALLOWED_NETWORKS: '127.0.0.1',
      WEBHOOK_CLAIM_SECONDS: '5',
      DIRECTORY_SYNC_SCHEDULER: 'false',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`instance did not start:\n${out}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('identity-bridge listening')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}:\n${out}`)));
  });
}

describe('webhook delivery when an instance dies mid-delivery (PostgreSQL)', () => {
  let database: TestDatabase;
  let store: Store;
  let receiver: WebhookReceiver;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    store = await openStore(database.config, { migrate: true });
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await receiver.close();
    await store.close();
    await database.drop();
  });

  it(
    'delivers every event at least once and each user’s in order after the delivering instance is killed',
    async () => {
      const s = testServices(store, { outboundAllowedNetworks: ['127.0.0.1'] });
      const org = await s.organizations.create('Crash Corp', CLI_ACTOR);
      const connection = await s.connections.create(org.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
      const scope = { orgId: org.id, connectionId: connection.id };
      const { endpoint, secret } = await s.webhooks.create(
        org.id,
        { url: receiver.url, eventTypes: ['user.created', 'user.deactivated', 'user.reactivated'] },
        CLI_ACTOR,
      );

      // The first instance's requests are never answered: it dies with them in flight.
      let hang = true;
      receiver.answer = () => (hang ? { status: 200, delayMs: 120_000 } : { status: 204 });
      const first = await startInstance(database.url);
      children.push(first);

      const ids: string[] = [];
      for (let u = 0; u < USERS; u++) {
        const {
          id: _id,
          orgId: _o,
          connectionId: _c,
          version: _v,
          createdAt: _ca,
          updatedAt: _ua,
          ...input
        } = aUser(org.id, { userName: `crash${u}@example.com` });
        const user = await s.users.create(scope, input, CLI_ACTOR);
        ids.push(user.id);
      }
      for (let t = 0; t < TOGGLES; t++) {
        for (const id of ids) {
          await s.users.update(scope, id, (current) => ({ ...current, active: !current.active }), {}, CLI_ACTOR);
        }
      }
      await receiver.waitFor(USERS, 20_000); // one in flight per user: the first instance is mid-delivery
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const seenBeforeKill = receiver.received.length;
      hang = false;

      const second = await startInstance(database.url);
      children.push(second);
      const expected = USERS * (1 + TOGGLES);
      const until = Date.now() + 60_000;
      const distinct = () => new Set(receiver.verified(secret!).map((m) => m.id)).size;
      while (distinct() < expected && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      second.kill('SIGTERM');

      const messages = receiver.verified(secret!);
      expect(seenBeforeKill).toBeGreaterThanOrEqual(USERS);
      expect(new Set(messages.map((m) => m.id)).size).toBe(expected);
      // Every user's events, in the order of their first arrival, are the order they were made.
      for (const id of ids) {
        const arrivals = messages.filter((m) => (m.data.user as { id: string }).id === id);
        const order = [...new Map(arrivals.map((m) => [m.id, m.type])).values()];
        expect(order).toEqual([
          'user.created',
          ...Array.from({ length: TOGGLES }, (_, t) => (t % 2 === 0 ? 'user.deactivated' : 'user.reactivated')),
        ]);
      }
      const log = await s.webhooks.deliveries(org.id, endpoint.id, { limit: 500 });
      expect(log.every((d) => d.state === 'delivered')).toBe(true);
      expect(log.some((d) => d.attempts > 1)).toBe(true);
    },
    120_000, // two service processes start, and the first one's claims lapse (5 s) before the second takes over
  );
});
