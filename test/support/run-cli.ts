/** Runs the CLI in-process with its own environment, capturing what it prints. */
import { runCli } from '../../src/cli/program.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  json<T = Record<string, unknown>>(): T;
}

export async function cli(env: Record<string, string>, ...argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { LOG_LEVEL: 'silent', ...env },
  });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}
