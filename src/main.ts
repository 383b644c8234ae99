/** `npm start`: read the configuration, start the server, and shut it down cleanly on SIGTERM/SIGINT. */
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './config/config.js';
import { FIRST_START_STEPS, startServer } from './server.js';
import { createLogger } from './telemetry/logger.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  // dist/src/main.js → the project folder, which holds the console's files.
  const consoleRoot = fileURLToPath(new URL('../../', import.meta.url));
  const running = await startServer(config, logger, { consoleRoot });
  if (running.setupLink) {
    process.stdout.write(
      [
        '',
        `identity-bridge is serving on ${config.publicUrl}, and the database has no organization yet.`,
        'Open this one-time link to name your organization and connect its identity provider',
        `(it works once, until ${running.setupLink.expiresAt}; \`npx identity-bridge setup-link --org ORG\` makes another):`,
        '',
        `  ${running.setupLink.url}`,
        '',
        'Or with the CLI (with the same DATABASE_URL in the environment):',
        ...FIRST_START_STEPS.map((step) => `  ${step}`),
        `Then paste ${config.publicUrl}/scim/v2 and the token into the identity provider's SCIM settings.`,
        '',
      ].join('\n'),
    );
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    running.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`identity-bridge failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
