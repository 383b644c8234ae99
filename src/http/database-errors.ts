/** Recognises "the database is unreachable" among driver and pool errors (a 503, not a 500). */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '25006', // read_only_sql_transaction: a replica, or a primary being demoted or promoted
  '57P04', // database_dropped
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  'SQLITE_BUSY',
]);

/**
 * The database stopped the statement at its deadline (PostgreSQL's statement_timeout, or a
 * cancel; an embedded reader thread's deadline): answered 503, retryable.
 */
export function isStatementCancelled(error: unknown): boolean {
  const e = error as { code?: unknown } | null;
  return e?.code === '57014' || e?.code === 'SQLITE_INTERRUPT';
}

export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  if (!e) return false;
  if (
    typeof e.code === 'string' &&
    (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08') || e.code.startsWith('SQLITE_BUSY'))
  )
    return true;
  if (e.name === 'KnexTimeoutError') return true;
  return (
    typeof e.message === 'string' && /Connection terminated|Client has encountered a connection error/.test(e.message)
  );
}

/**
 * PostgreSQL's "data exception" class (22xxx: a value too long, malformed or out of range
 * for its column). Inputs are validated before writing; this is the safety net that keeps
 * anything missed a 400 rather than a 500.
 */
export function isInvalidDataError(error: unknown): boolean {
  const e = error as { code?: unknown } | null;
  return typeof e?.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code);
}
