/** `npm run fleet`: PgBouncer, three instances and HAProxy on loopback, for local trials. */
import { startFleet } from './fleet.js';

const databaseUrl = process.env.FLEET_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/identity_bridge_fleet';
const fleet = await startFleet({ databaseUrl, log: (line) => process.stderr.write(line) });
process.stdout.write(
  [
    `identity-bridge fleet on ${fleet.url} (HAProxy) → ${fleet.instanceUrls.join(', ')} → PgBouncer → ${databaseUrl}`,
    `CLI against it: DATABASE_URL=${databaseUrl} npx identity-bridge ...`,
    'Ctrl-C stops it.',
    '',
  ].join('\n'),
);
const stop = async (): Promise<void> => {
  await fleet.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
