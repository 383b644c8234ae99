import { AppError } from './app-error.js';

/**
 * The directory a sync pulls from refused or failed (credentials, delegation, privileges,
 * quota, outages). The message says what to fix, in the admin's words; `retryable` says
 * whether a later run may succeed unchanged.
 */
export class DirectorySourceError extends AppError {
  constructor(
    code: string,
    message: string,
    readonly retryable = false,
  ) {
    super(code, message, 502, true);
  }
}
