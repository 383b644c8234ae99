import { AppError } from './app-error.js';

/** A uniqueness rule or a version check refused the write. */
export class ConflictError extends AppError {
  constructor(code: string, message: string, details?: Readonly<Record<string, unknown>>) {
    super(code, message, 409, true, details);
  }
}
