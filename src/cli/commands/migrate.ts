/** `migrate [latest|rollback|status]`: the database schema, without a statement deadline (an index build takes what it takes). */
import { CliFailure, type CliCommands } from '../context.js';
import { printResult } from '../io.js';
import { jsonOption, type JsonOption } from '../options.js';
import {
  ensurePostgresDatabase,
  migrateLatest,
  migrateRollback,
  migrationStatus,
  openDatabase,
} from '../../store/database.js';
import { withoutStatementTimeout } from '../../store/open-store.js';

export const migrateCommands: CliCommands = (program, { io, config }) => {
  program
    .command('migrate')
    .description('apply, roll back or list database migrations')
    .argument('[action]', 'latest | rollback | status', 'latest')
    .addOption(jsonOption())
    .action(async (action: string, opts: JsonOption) => {
      if (!['latest', 'rollback', 'status'].includes(action)) {
        throw new CliFailure(`unknown migrate action "${action}" (expected latest, rollback or status)`, 2);
      }
      const cfg = config();
      if (cfg.database.client === 'pg') await ensurePostgresDatabase(cfg.database.url);
      const db = openDatabase(withoutStatementTimeout(cfg.database));
      try {
        if (action === 'status') {
          const status = await migrationStatus(db);
          printResult(io, opts.json, status, () =>
            [...status.applied.map((m) => `applied  ${m}`), ...status.pending.map((m) => `pending  ${m}`)].join('\n'),
          );
        } else if (action === 'rollback') {
          const rolledBack = await migrateRollback(db);
          printResult(io, opts.json, { rolledBack }, () =>
            rolledBack.length ? rolledBack.map((m) => `rolled back ${m}`).join('\n') : 'nothing to roll back',
          );
        } else {
          const applied = await migrateLatest(db);
          printResult(io, opts.json, { applied }, () =>
            applied.length ? applied.map((m) => `applied ${m}`).join('\n') : 'already up to date',
          );
        }
      } finally {
        await db.destroy();
      }
    });
};
