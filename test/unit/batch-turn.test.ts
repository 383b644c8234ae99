import { BatchTurn } from '../../src/store/batch-turn.js';

interface Statement {
  readonly requests: readonly string[];
  readonly finish: () => void;
}

/** A turn whose statements are recorded and finish only when the test says so. */
function recordedTurn(): { turn: BatchTurn<string, string>; statements: Statement[] } {
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
});
