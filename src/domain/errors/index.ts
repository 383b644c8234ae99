export { AppError } from './app-error.js';
export { ConflictError } from './conflict.js';
export { ForbiddenError } from './forbidden.js';
export { InvalidInputError } from './invalid-input.js';
export { NotFoundError } from './not-found.js';
export { PreconditionFailedError } from './precondition-failed.js';
export { UnauthenticatedError } from './unauthenticated.js';
export { UnavailableError } from './unavailable.js';
