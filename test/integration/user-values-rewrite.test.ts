/**
 * A user's update rewrites its multi-valued attributes (emails, phone numbers, ...) only when
 * they changed: a deactivation or a title change leaves their rows as they were, a new email
 * replaces them. On both dialects, through the update transaction.
 */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import type { DirectoryUser, MultiValue, UserInput } from '../../src/domain/directory.js';
import type { Services } from '../../src/services.js';
import type { Store } from '../../src/store/store.js';
import { aUser } from '../support/factories.js';
import { createTestStore } from '../support/test-database.js';
import { testServices } from '../support/test-services.js';

const email = (value: string, primary: boolean): MultiValue => ({
  type: 'work',
  value,
  display: null,
  primary,
  subAttributes: null,
});

function inputOf(user: DirectoryUser): UserInput {
  const { id, orgId, connectionId, version, createdAt, updatedAt, ...input } = user;
  return input;
}

describe('multi-valued attributes on update', () => {
  let services: Services;
  let store: Store;
  let close: () => Promise<void>;
  let scope: { orgId: string; connectionId: string };

  beforeAll(async () => {
    const t = await createTestStore();
    store = t.store;
    close = t.close;
    services = testServices(store);
    const org = await services.organizations.create('Values', CLI_ACTOR);
    const connection = await services.connections.create(org.id, { kind: 'entra', name: 'Entra' }, CLI_ACTOR);
    scope = { orgId: org.id, connectionId: connection.id };
  });

  afterAll(async () => {
    await close();
  });

  async function valueRows(userId: string): Promise<Array<{ id: number; value: string }>> {
    const rows = await store.db('directory_user_values').where({ user_id: userId }).orderBy('id').select('id', 'value');
    return rows.map((r: { id: number | string; value: string }) => ({ id: Number(r.id), value: r.value }));
  }

  it('keeps the rows of unchanged values through a deactivation and a title change, and replaces changed ones', async () => {
    const emails = [email('kim@example.com', true), email('kim.home@example.com', false)];
    const created = await services.users.create(
      scope,
      inputOf(aUser(scope.orgId, { userName: 'kim@example.com', multiValued: { emails } })),
      CLI_ACTOR,
    );
    const before = await valueRows(created.id);
    expect(before.map((r) => r.value)).toEqual(['kim@example.com', 'kim.home@example.com']);

    const retitled = await services.users.update(
      scope,
      created.id,
      (current) => ({ ...inputOf(current), title: 'Engineer' }),
      {},
      CLI_ACTOR,
    );
    const deactivated = await services.users.update(
      scope,
      created.id,
      (current) => ({ ...inputOf(current), active: false }),
      {},
      CLI_ACTOR,
    );
    expect(retitled.title).toBe('Engineer');
    expect(deactivated.active).toBe(false);
    expect(deactivated.multiValued.emails).toEqual(emails);
    expect(await valueRows(created.id)).toEqual(before);

    const changed = await services.users.update(
      scope,
      created.id,
      (current) => ({ ...inputOf(current), multiValued: { emails: [email('kim@corp.example.com', true)] } }),
      {},
      CLI_ACTOR,
    );
    expect(changed.multiValued.emails).toEqual([email('kim@corp.example.com', true)]);
    const after = await valueRows(created.id);
    expect(after.map((r) => r.value)).toEqual(['kim@corp.example.com']);
    expect(after[0]!.id).toBeGreaterThan(Math.max(...before.map((r) => r.id)));
    expect((await services.users.get(scope, created.id)).multiValued.emails).toEqual([
      email('kim@corp.example.com', true),
    ]);
  });
});
