/** Test OpenID Providers as child processes: a real one (oidc-provider) and a forger of ID tokens. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

export interface TestOpenIdProvider {
  readonly issuer: string;
  /** The account (and its claims) the next interaction signs in. */
  nextAccount(accountId: string, claims: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

export type ForgeryMode = 'good' | 'other-key' | 'wrong-aud' | 'wrong-iss' | 'expired' | 'alg-none' | 'wrong-nonce';

export interface TestOidcForger {
  readonly issuer: string;
  /** What the next token response's ID token is like. */
  forge(mode: ForgeryMode, sub: string, claims: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

async function startScript(script: string, args: string[]): Promise<{ issuer: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [path.join(__dirname, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const errors: string[] = [];
  child.stderr.on('data', (c: Buffer) => errors.push(c.toString()));
  const issuer = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', (line) => {
      resolve((JSON.parse(line) as { issuer: string }).issuer);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${errors.join('')}`)));
  });
  return {
    issuer,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 204) throw new Error(`${url}: ${res.status}`);
}

export async function startOpenIdProvider(
  clientId: string,
  clientSecret: string,
  redirectUri: string,
): Promise<TestOpenIdProvider> {
  const op = await startScript('oidc-op.mjs', [clientId, clientSecret, redirectUri]);
  return {
    ...op,
    nextAccount: (accountId, claims) => post(`${op.issuer}/test/next-account`, { accountId, claims }),
  };
}

export async function startOidcForger(clientId: string, redirectUri: string): Promise<TestOidcForger> {
  const op = await startScript('oidc-forger.mjs', [clientId, redirectUri]);
  return { ...op, forge: (mode, sub, claims) => post(`${op.issuer}/test/mode`, { mode, sub, claims }) };
}
