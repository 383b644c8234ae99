import { AppError } from './app-error.js';

/** The named thing does not exist in the caller's organization (or at all: the two are indistinguishable). */
export class NotFoundError extends AppError {
  constructor(what: string, id: string, code = `${what}.not_found`) {
    super(code, `${what} ${JSON.stringify(id)} not found`, 404);
  }
}
