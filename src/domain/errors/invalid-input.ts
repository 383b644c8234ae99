import { AppError } from './app-error.js';

/** What the caller sent is malformed or breaks a rule; the message says which. */
export class InvalidInputError extends AppError {
  constructor(code: string, message: string, details?: Readonly<Record<string, unknown>>) {
    super(code, message, 400, true, details);
  }
}
