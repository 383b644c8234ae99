/** Options and argument parsers the command groups share. */
import { Option, type Command } from 'commander';

export interface JsonOption {
  json?: boolean;
}

export interface OrgOptions extends JsonOption {
  org: string;
}

export function jsonOption(): Option {
  return new Option('--json', 'print machine-readable JSON');
}

/** `--org ORG` (required) and `--json`. */
export function withOrg(cmd: Command): Command {
  return cmd.requiredOption('--org <org>', 'organization id or slug').addOption(jsonOption());
}

export const expiresInOption = (): Option =>
  new Option('--expires-in <duration>', 'expire after 30m, 12h, 90d, 52w, … (default: never)');

/** A repeatable option's values, in order. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A repeatable option of comma-separated values. */
export function list(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

/** A positive whole number, or the fallback. */
export function positive(value: string, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}
