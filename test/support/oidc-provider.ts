/** Starts the test OpenID Provider (test/support/oidc-op.mjs) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

export interface TestOpenIdProvider {
  readonly issuer: string;
  /** The account (and its claims) the next interaction signs in. */
  nextAccount(accountId: string, claims: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

export async function startOpenIdProvider(
  clientId: string,
  clientSecret: string,
  redirectUri: string,
): Promise<TestOpenIdProvider> {
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(__dirname, 'oidc-op.mjs'), clientId, clientSecret, redirectUri],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const errors: string[] = [];
  child.stderr!.on('data', (c: Buffer) => errors.push(c.toString()));
  const issuer = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve((JSON.parse(line) as { issuer: string }).issuer));
    child.once('exit', (code) => reject(new Error(`OpenID Provider exited with ${code}: ${errors.join('')}`)));
  });
  return {
    issuer,
    async nextAccount(accountId, claims) {
      const res = await fetch(`${issuer}/test/next-account`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ accountId, claims }),
      });
      if (res.status !== 204) throw new Error(`next-account: ${res.status}`);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
