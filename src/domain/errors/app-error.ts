/**
 * The base of every error the service throws on purpose. `code` is stable (clients and
 * tests match on it), `status` is the HTTP status an adapter renders, and `expose` says
 * whether the message may be shown to the caller (otherwise a generic text is shown and
 * the message is only logged).
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly expose: boolean = status < 500,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
