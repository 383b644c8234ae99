import { AppError } from './app-error.js';

/** No credentials, or credentials that are unknown, revoked or expired. Never says which. */
export class UnauthenticatedError extends AppError {
  constructor(message = 'Missing or invalid credentials', code = 'auth.unauthenticated') {
    super(code, message, 401);
  }
}
