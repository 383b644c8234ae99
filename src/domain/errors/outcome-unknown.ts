import { AppError } from './app-error.js';

/**
 * The connection to the database was lost while a change was being committed: the database
 * may have applied it or not, and no one can tell from here. Answered 502 (never 503, which
 * promises that nothing was applied), so a client reads the resource, or retries, before it
 * believes either.
 */
export class OutcomeUnknownError extends AppError {
  constructor(readonly reason: unknown) {
    super(
      'service.outcome_unknown',
      'The connection to the database was lost while this change was being committed: it may or may not have been applied. Read the resource, or retry, to find out',
      502,
      true,
    );
  }
}
