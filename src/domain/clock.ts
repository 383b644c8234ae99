/** The current time as every timestamp is written: ISO-8601 UTC, millisecond precision. */
export function nowIso(): string {
  return new Date().toISOString();
}
