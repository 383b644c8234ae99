/**
 * `npm run fleet`: PgBouncer, three instances and HAProxy on loopback, for local trials.
 * `npm run fleet -- --ha`: the same in front of a highly available PostgreSQL (etcd, three
 * PostgreSQL 15 nodes under Patroni with synchronous replication, HAProxy to the leader).
 */
import { startFleet } from './fleet.js';
import { FAILOVER_SETTINGS, startPatroniCluster, type PatroniCluster } from './patroni-cluster.js';

const ha = process.argv.includes('--ha');
const log = (line: string): void => void process.stderr.write(line);
let cluster: PatroniCluster | undefined;
if (ha) cluster = await startPatroniCluster({ database: 'identity_bridge_fleet', log });
const databaseUrl =
  cluster?.url ?? process.env.FLEET_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/identity_bridge_fleet';
const fleet = await startFleet({ databaseUrl, log });
process.stdout.write(
  [
    `identity-bridge fleet on ${fleet.url} (HAProxy) → ${fleet.instanceUrls.join(', ')} → PgBouncer → ${databaseUrl}`,
    ...(cluster
      ? [
          `PostgreSQL: 3 nodes under Patroni (synchronous replication; ttl ${FAILOVER_SETTINGS.ttl} s, loop_wait ${FAILOVER_SETTINGS.loop_wait} s), leader now ${(await cluster.leader()).name}, reached through HAProxy at ${databaseUrl}`,
        ]
      : []),
    `CLI against it: DATABASE_URL=${databaseUrl} npx identity-bridge ...`,
    'Ctrl-C stops it.',
    '',
  ].join('\n'),
);
const stop = async (): Promise<void> => {
  await fleet.stop();
  await cluster?.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
