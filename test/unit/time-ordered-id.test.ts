import { auditEvent } from '../../src/audit/audit-log.js';
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { timeOrderedUuid } from '../../src/domain/time-ordered-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const millisOf = (id: string): number => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('time-ordered ids', () => {
  afterEach(() => jest.restoreAllMocks());

  it('are version 7 UUIDs that sort in the order they were made, many in one millisecond too', () => {
    const ids = Array.from({ length: 3_000 }, () => timeOrderedUuid());
    for (const id of ids) expect(id).toMatch(V7);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('begin with the millisecond they were made', () => {
    const before = Date.now();
    const id = timeOrderedUuid();
    expect(millisOf(id)).toBeGreaterThanOrEqual(before);
    expect(millisOf(id)).toBeLessThanOrEqual(Date.now());
  });

  it('keep their order past 4,096 ids in one millisecond by moving the clock part on', () => {
    const stopped = Date.now() + 60_000;
    jest.spyOn(Date, 'now').mockReturnValue(stopped);
    const ids = Array.from({ length: 10_000 }, () => timeOrderedUuid());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(millisOf(ids[0]!)).toBe(stopped);
    expect(millisOf(ids.at(-1)!)).toBe(stopped + 2);
  });

  it('name audit events, so the audit log appends to its primary key', () => {
    const first = auditEvent('org', CLI_ACTOR, { action: 'user.updated' }).id;
    const second = auditEvent('org', CLI_ACTOR, { action: 'user.updated' }).id;
    expect(first).toMatch(V7);
    expect(second > first).toBe(true);
  });
});
