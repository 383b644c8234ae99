/**
 * What every CLI command is given: where to print, the configuration, and the services,
 * opened for one command and closed afterwards. On SQLite pending migrations are applied
 * (as `npm start` does); on PostgreSQL a pending migration stops the command with the fix
 * (`identity-bridge migrate`).
 */
import type { Command } from 'commander';
import type { Config } from '../config/config.js';
import { servicesFor, type Services } from '../services.js';
import { openStore } from '../store/open-store.js';
import type { CliIo } from './io.js';

export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface CliContext {
  readonly io: CliIo;
  /** The configuration, read from the environment when a command first needs it. */
  config(): Config;
  /** Runs `work` with the services on the configured database, then closes them. */
  withServices<T>(work: (services: Services) => Promise<T>): Promise<T>;
  /** The same, for an `--org ORG` (id or slug) resolved to its id. */
  inOrg<T>(org: string, work: (services: Services, orgId: string) => Promise<T>): Promise<T>;
}

/** A command group: adds its commands to the program. */
export type CliCommands = (program: Command, cli: CliContext) => void;

async function withServices<T>(config: Config, work: (services: Services) => Promise<T>): Promise<T> {
  const store = await openStore(config.database, { migrate: config.database.client === 'sqlite' });
  try {
    if (config.database.client === 'pg') {
      const pending = await store.pendingMigrations();
      if (pending.length > 0) {
        throw new CliFailure(
          `The database schema is not up to date (${pending.length} pending migration(s)): run \`identity-bridge migrate\``,
          1,
        );
      }
    }
    const services = await servicesFor(config, store);
    try {
      return await work(services);
    } finally {
      await services.close();
    }
  } finally {
    await store.close();
  }
}

export function cliContext(io: CliIo, config: () => Config): CliContext {
  const run = <T>(work: (services: Services) => Promise<T>): Promise<T> => withServices(config(), work);
  return {
    io,
    config,
    withServices: run,
    inOrg: (org, work) => run(async (s) => work(s, (await s.organizations.resolve(org)).id)),
  };
}
