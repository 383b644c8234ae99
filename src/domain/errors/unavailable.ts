import { AppError } from './app-error.js';

/** A dependency (the database) cannot be reached; the caller should retry later. */
export class UnavailableError extends AppError {
  constructor(
    message = 'Service temporarily unavailable',
    readonly retryAfterSeconds = 5,
  ) {
    super('service.unavailable', message, 503, true);
  }
}
