/**
 * `db copy --from sqlite:PATH --to postgres://...`: moves an installation from the embedded
 * SQLite to PostgreSQL (store/database-copy.ts): migrates the target, copies every table with
 * a progress bar (JSON lines with --json), verifies each table's rows and checksum, refuses a
 * target that holds data unless --force. The source is only read.
 */
import { parseDatabaseUrl } from '../../config/config.js';
import { CopyRefused, copyDatabase, type CopyProgress } from '../../store/database-copy.js';
import { CliFailure, type CliCommands } from '../context.js';
import type { CliIo } from '../io.js';
import { jsonOption, type JsonOption } from '../options.js';

interface CopyOptions extends JsonOption {
  from: string;
  to: string;
  force?: boolean;
}

const BAR = 24;

/** Progress as a redrawn bar on an interactive standard error, else a line per finished table. */
function progressPrinter(io: CliIo, json: boolean | undefined): (p: CopyProgress) => void {
  if (json) return (p) => io.stdout(`${JSON.stringify({ event: 'progress', ...p })}\n`);
  return (p) => {
    const done = p.copied >= p.total;
    if (io.interactive) {
      const filled = p.total === 0 ? BAR : Math.round((p.copied / p.total) * BAR);
      io.stderr(
        `\r${p.table.padEnd(22)} [${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${p.copied.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')}${done ? '\n' : ''}`,
      );
    } else if (done) {
      io.stderr(`${p.table}: ${p.total.toLocaleString('en-US')} rows\n`);
    }
  };
}

export const dbCommands: CliCommands = (program, { io }) => {
  const db = program.command('db').description('move the data between databases');
  db.command('copy')
    .description('copy an installation from the embedded SQLite to PostgreSQL, verified table by table')
    .requiredOption('--from <sqlite:PATH>', 'the SQLite database to copy (only read)')
    .requiredOption('--to <postgres://...>', 'the PostgreSQL database to fill (created and migrated if needed)')
    .option('--force', 'replace what the target already holds')
    .addOption(jsonOption())
    .action(async (opts: CopyOptions) => {
      const from = parseDatabaseUrl(opts.from, 1);
      const to = parseDatabaseUrl(opts.to, 1);
      if (typeof from === 'string' || from.client !== 'sqlite' || from.filename === ':memory:') {
        throw new CliFailure('--from must be a SQLite file: sqlite:PATH', 2);
      }
      if (typeof to === 'string' || to.client !== 'pg') throw new CliFailure('--to must be a postgres://... URL', 2);
      const started = performance.now();
      let reports;
      try {
        reports = await copyDatabase({
          from: from.filename,
          to: to.url,
          force: opts.force === true,
          onProgress: progressPrinter(io, opts.json),
        });
      } catch (error) {
        if (error instanceof CopyRefused) throw new CliFailure(error.message, 1);
        throw error;
      }
      const seconds = (performance.now() - started) / 1000;
      const rows = reports.reduce((n, r) => n + r.rows, 0);
      if (opts.json) {
        io.stdout(`${JSON.stringify({ event: 'done', seconds: Number(seconds.toFixed(1)), rows, tables: reports })}\n`);
      } else {
        io.stdout(
          `copied ${rows.toLocaleString('en-US')} rows in ${reports.length} tables in ${seconds.toFixed(1)} s; every table's rows and checksum match.\n` +
            'Start the service with DATABASE_URL set to the PostgreSQL URL; the SQLite file is unchanged.\n',
        );
      }
    });
};
