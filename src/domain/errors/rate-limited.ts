import { AppError } from './app-error.js';

/** Too many requests for a shared budget (a SCIM token's, a client IP's); retry after the window. */
export class RateLimitedError extends AppError {
  constructor(
    readonly retryAfterSeconds: number,
    message = `Too many requests: retry in ${retryAfterSeconds} s`,
  ) {
    super('request.rate_limited', message, 429, true);
  }
}
