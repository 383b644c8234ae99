import { AppError } from './app-error.js';

/** Authenticated, but not allowed to do this. */
export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed', code = 'auth.forbidden') {
    super(code, message, 403);
  }
}
