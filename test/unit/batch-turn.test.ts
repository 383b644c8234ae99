import { BatchTurn } from '../../src/store/batch-turn.js';

interface Statement {
  readonly requests: readonly string[];
  readonly finish: () => void;
}

/** A turn whose statements are recorded and finish only when the test says so. */
function recordedTurn(options: { statements?: 1 | 2; keyOf?: (r: string) => string } = {}): {
  turn: BatchTurn<string, string>;
  statements: Statement[];
} {
  const statements: Statement[] = [];
  const statement = (requests: readonly string[]): Promise<string[]> =>
    new Promise((resolve) => {
      statements.push({ requests, finish: () => resolve(requests.map((r) => `done ${r}`)) });
    });
  const turn = new BatchTurn<string, string>({
    alone: async (r) => (await statement([r]))[0]!,
    together: (rs) => statement(rs),
    fallback: (r) => Promise.resolve(`fallback ${r}`),
    maxBatch: 32,
    ...options,
  });
  return { turn, statements };
}

const nextLoopTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Makes requests arrive together once: one in flight, two waiting behind it, all answered. */
async function arriveTogether(turn: BatchTurn<string, string>, statements: Statement[]): Promise<void> {
  const answers = [turn.run('a'), turn.run('b'), turn.run('c')];
  statements.at(-1)!.finish();
  await nextLoopTurn();
  statements.at(-1)!.finish();
  await Promise.all(answers);
}

describe('BatchTurn', () => {
  it('sends a lone request at once, before the event loop turns', async () => {
    const { turn, statements } = recordedTurn();
    const answer = turn.run('only');
    expect(statements.map((s) => s.requests)).toEqual([['only']]);
    statements[0]!.finish();
    await expect(answer).resolves.toBe('done only');
  });

  it('serves the requests that arrive while a statement is in flight together in the next one', async () => {
    const { turn, statements } = recordedTurn();
    await arriveTogether(turn, statements);
    expect(statements.map((s) => s.requests)).toEqual([['a'], ['b', 'c']]);
  });

  it('once requests have arrived together, sends the requests of one event-loop turn in one statement', async () => {
    const { turn, statements } = recordedTurn();
    await arriveTogether(turn, statements);
    const answers = [turn.run('d'), turn.run('e'), turn.run('f')];
    expect(statements).toHaveLength(2); // none sent yet: waiting for the rest of this turn
    await nextLoopTurn();
    expect(statements.map((s) => s.requests)).toEqual([['a'], ['b', 'c'], ['d', 'e', 'f']]);
    statements[2]!.finish();
    await expect(Promise.all(answers)).resolves.toEqual(['done d', 'done e', 'done f']);
  });

  it('goes back to sending at once after eight waits that found no other request', async () => {
    const { turn, statements } = recordedTurn();
    await arriveTogether(turn, statements);
    for (let i = 0; i < 8; i++) {
      const answer = turn.run(`lone ${i}`);
      const before = statements.length;
      await nextLoopTurn();
      expect(statements).toHaveLength(before + 1);
      statements.at(-1)!.finish();
      await answer;
    }
    const sent = statements.length;
    const answer = turn.run('at once');
    expect(statements).toHaveLength(sent + 1);
    expect(statements.at(-1)!.requests).toEqual(['at once']);
    statements.at(-1)!.finish();
    await expect(answer).resolves.toBe('done at once');
  });

  it('with one statement in flight, keeps every later request waiting for it', async () => {
    const { turn, statements } = recordedTurn();
    const answers = [turn.run('a'), turn.run('b'), turn.run('c'), turn.run('d')];
    await nextLoopTurn();
    expect(statements.map((s) => s.requests)).toEqual([['a']]);
    statements[0]!.finish();
    await nextLoopTurn();
    expect(statements.map((s) => s.requests)).toEqual([['a'], ['b', 'c', 'd']]);
    statements[1]!.finish();
    await expect(Promise.all(answers)).resolves.toEqual(['done a', 'done b', 'done c', 'done d']);
  });

  it('with two statements allowed, sends a second once two requests wait, and no third', async () => {
    const { turn, statements } = recordedTurn({ statements: 2 });
    const first = turn.run('a');
    const second = [turn.run('b')];
    await nextLoopTurn();
    expect(statements.map((s) => s.requests)).toEqual([['a']]); // one waiting is not enough
    second.push(turn.run('c'));
    await nextLoopTurn();
    expect(statements.map((s) => s.requests)).toEqual([['a'], ['b', 'c']]);
    const third = [turn.run('d'), turn.run('e'), turn.run('f')];
    await nextLoopTurn();
    expect(statements).toHaveLength(2); // two in flight: the rest wait for one of them
    statements[1]!.finish();
    await expect(Promise.all(second)).resolves.toEqual(['done b', 'done c']);
    expect(statements.map((s) => s.requests).at(-1)).toEqual(['d', 'e', 'f']);
    statements[0]!.finish();
    statements[2]!.finish();
    await expect(Promise.all([first, ...third])).resolves.toEqual(['done a', 'done d', 'done e', 'done f']);
  });

  it('never sends a request beside one of its key that is in flight', async () => {
    const { turn, statements } = recordedTurn({ statements: 2, keyOf: (r) => r.slice(0, 1) });
    const first = turn.run('a1');
    const later = [turn.run('a2'), turn.run('b1')];
    await nextLoopTurn();
    expect(statements.map((s) => s.requests)).toEqual([['a1'], ['b1']]);
    statements[0]!.finish();
    await first;
    expect(statements.map((s) => s.requests)).toEqual([['a1'], ['b1'], ['a2']]);
    statements[1]!.finish();
    statements[2]!.finish();
    await expect(Promise.all(later)).resolves.toEqual(['done a2', 'done b1']);
  });
});
