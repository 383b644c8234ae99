import { AppError } from './app-error.js';

/** The caller's expected version (If-Match) is not the current one. */
export class PreconditionFailedError extends AppError {
  constructor(
    what: string,
    readonly currentVersion: number,
  ) {
    super(`${what}.version_mismatch`, `The ${what} has changed (current version ${currentVersion})`, 412);
  }
}
