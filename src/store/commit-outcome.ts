/**
 * What a client is told when the connection breaks under a change. A statement that fails
 * before it commits changed nothing, and the answer is a refusal (503, retry). But when the
 * connection is lost while the commit itself is in flight (the COMMIT of a transaction, or a
 * change that is one statement), the database may have committed it: a leader killed while
 * its synchronous standby already holds the commit, a backend terminated while it waited for
 * that standby. Such a change is neither acknowledged nor refused: its outcome is unknown
 * (OutcomeUnknownError, 502), and saying 503 there would tell an IdP that a user it will
 * find later was never created.
 */
import { OutcomeUnknownError } from '../domain/errors/index.js';

/** Lost connections and terminated backends: a statement in flight may have been applied. */
const LOST = new Set(['ECONNRESET', 'ETIMEDOUT', '57P01', '57P02']);
/** Connection-class codes raised before a statement runs (establishing or refusing a connection). */
const NOT_STARTED = new Set(['08001', '08004']);

const NOT_SENT = Symbol('not sent');

/** Marks an error raised before the statement was sent (while getting a connection): it changed nothing. */
export function notSent(error: unknown): unknown {
  if (error !== null && typeof error === 'object') (error as Record<symbol, boolean>)[NOT_SENT] = true;
  return error;
}

/**
 * Whether `error` says the connection broke with a statement in flight. A refusal that
 * comes before anything ran (no connection at all, a pool that had none to give, PgBouncer
 * failing to log in or giving up waiting for a server) is not one.
 */
export function isLostInFlight(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object' || (e as Record<symbol, unknown>)[NOT_SENT] === true) return false;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : '';
  if (code === '08P01' && /login|query_wait_timeout|no more connections|cannot connect/i.test(message)) return false;
  if (code && (LOST.has(code) || (code.startsWith('08') && !NOT_STARTED.has(code)))) return true;
  return /Connection terminated/.test(message);
}

/** The change's committing statement: a connection lost while it was in flight leaves the outcome unknown. */
export async function committing<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw isLostInFlight(error) ? new OutcomeUnknownError(error) : error;
  }
}
