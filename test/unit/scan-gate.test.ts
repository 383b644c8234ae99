import { UnavailableError } from '../../src/domain/errors/index.js';
import { ScanGate } from '../../src/store/scan-gate.js';

/** A job that records when it starts and finishes when told. */
function job(log: string[], name: string): { run: () => Promise<string>; finish: () => void } {
  let finish = (): void => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    run: async () => {
      log.push(`start ${name}`);
      await done;
      return name;
    },
    finish: () => finish(),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('fair turns for scans', () => {
  it('runs one scan per organization at a time and starts waiting organizations in turn', async () => {
    const gate = new ScanGate({ perOrg: 1, total: 2, maxWaitMs: 10_000, maxQueuedPerOrg: 10 });
    const log: string[] = [];
    const a1 = job(log, 'a1');
    const a2 = job(log, 'a2');
    const a3 = job(log, 'a3');
    const b1 = job(log, 'b1');
    const c1 = job(log, 'c1');
    const runs = [gate.run('a', a1.run), gate.run('a', a2.run), gate.run('a', a3.run), gate.run('b', b1.run)];
    await tick();
    expect(log).toEqual(['start a1', 'start b1']);
    runs.push(gate.run('c', c1.run));
    a1.finish();
    await tick();
    // a2 has waited longest, but only one scan of org a runs at a time: a's turn, then c's.
    expect(log).toEqual(['start a1', 'start b1', 'start a2']);
    b1.finish();
    await tick();
    expect(log).toEqual(['start a1', 'start b1', 'start a2', 'start c1']);
    for (const j of [a2, c1, a3]) {
      j.finish();
      await tick();
    }
    expect(await Promise.all(runs)).toEqual(['a1', 'a2', 'a3', 'b1', 'c1']);
  });

  it('refuses with 503 and Retry-After past the queue of one organization, or after waiting too long', async () => {
    const gate = new ScanGate({ perOrg: 1, total: 1, maxWaitMs: 50, maxQueuedPerOrg: 1 });
    const log: string[] = [];
    const running = job(log, 'running');
    const first = gate.run('a', running.run);
    const waiting = gate.run('a', async () => 'never');
    const refused = await gate.run('a', async () => 'x').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UnavailableError);
    expect(refused).toMatchObject({ status: 503, retryAfterSeconds: 2 });
    await expect(waiting).rejects.toBeInstanceOf(UnavailableError);
    running.finish();
    expect(await first).toBe('running');
    expect(await gate.run('a', async () => 'again')).toBe('again');
  });
});
