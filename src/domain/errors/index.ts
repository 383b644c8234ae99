export { AppError } from './app-error.js';
export { ConflictError } from './conflict.js';
export { ForbiddenError } from './forbidden.js';
export { InvalidInputError } from './invalid-input.js';
export { NotFoundError } from './not-found.js';
export { PreconditionFailedError } from './precondition-failed.js';
export { UnauthenticatedError } from './unauthenticated.js';
export { UnavailableError } from './unavailable.js';
export { RateLimitedError } from './rate-limited.js';
export { DirectorySourceError } from './directory-source.js';
export { OutcomeUnknownError } from './outcome-unknown.js';

import { RateLimitedError } from './rate-limited.js';
import { UnavailableError } from './unavailable.js';

/** The Retry-After an error asks for, if any (503 while the database is away, 429 past a rate limit). */
export function retryAfterSecondsOf(error: unknown): number | undefined {
  return error instanceof UnavailableError || error instanceof RateLimitedError ? error.retryAfterSeconds : undefined;
}
