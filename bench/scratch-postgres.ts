/**
 * A PostgreSQL of its own (Debian's binaries, a temporary data folder, a free port): for
 * fault drills that restart it, and for a test run on a machine where PostgreSQL is
 * installed but not running. Runs as the postgres user when started as root.
 */
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A loopback port nothing listens on now. */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** The newest PostgreSQL server binaries Debian installed, if any. */
export function postgresBinaries(): string | undefined {
  const versions = fs.existsSync('/usr/lib/postgresql') ? fs.readdirSync('/usr/lib/postgresql').sort() : [];
  const bin = versions.length ? path.join('/usr/lib/postgresql', versions[versions.length - 1]!, 'bin') : undefined;
  return bin && fs.existsSync(path.join(bin, 'initdb')) ? bin : undefined;
}

export interface ScratchPostgres {
  readonly url: string;
  /** A fast restart while the caller's traffic goes on: open connections are cut, committed data stays. */
  restart(): Promise<void>;
  stop(): void;
}

export async function startScratchPostgres(): Promise<ScratchPostgres> {
  const bin = postgresBinaries();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-pg-'));
  const root = process.getuid?.() === 0;
  if (root) execFileSync('chown', ['postgres:postgres', dir]);
  const as = (cmd: string, args: string[]): Buffer =>
    root
      ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'ignore' })
      : execFileSync(cmd, args, { stdio: 'ignore' });
  const data = path.join(dir, 'data');
  as(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200`;
  const pgctl = (...args: string[]): Buffer => as(path.join(bin, 'pg_ctl'), ['-D', data, '-w', '-t', '30', ...args]);
  pgctl('-o', options, '-l', path.join(dir, 'log'), 'start');
  return {
    url: `postgres://postgres@127.0.0.1:${port}/identity_bridge`,
    /** A fast restart: open connections are cut, committed data stays. */
    async restart() {
      const args = ['-D', data, '-w', '-t', '30', '-m', 'fast', '-o', options, '-l', path.join(dir, 'log'), 'restart'];
      const cmd = path.join(bin, 'pg_ctl');
      await new Promise<void>((resolve, reject) => {
        const child = root
          ? spawn('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'ignore' })
          : spawn(cmd, args, { stdio: 'ignore' });
        child.once('error', reject);
        child.once('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`pg_ctl restart exited with ${code}`)),
        );
      });
    },
    stop() {
      try {
        pgctl('-m', 'immediate', 'stop');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
