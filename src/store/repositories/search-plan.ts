/**
 * How one search runs: a filter an index answers ('lookup') runs at once on the pool; any
 * other search (a scan, including a list without a filter, whose total counts the whole
 * connection) takes its organization's turn, and on the embedded database runs on a reader
 * thread with its per-row deadline check.
 */
import type { Knex } from 'knex';
import { prepared } from '../prepared-statements.js';
import type { Scans } from '../scans.js';
import type { CompileOptions, CompiledFilter, FilterCost } from './filter-sql.js';
import type { Condition, RunQuery } from './listing.js';

export interface SearchPlan {
  readonly where: Condition | undefined;
  readonly run: RunQuery;
}

export interface FilterCompiler<F> {
  readonly cost: (filter: F) => FilterCost;
  readonly compile: (filter: F, orgId: string, options: CompileOptions) => CompiledFilter;
  /** The filter every row matches. */
  readonly everything: F;
}

export function planSearch<F>(
  db: Knex,
  scans: Scans,
  orgId: string,
  filter: F | undefined,
  compiler: FilterCompiler<F>,
): SearchPlan {
  const { cost, compile } = compiler;
  const scan = filter === undefined || cost(filter) === 'scan';
  const options = scan ? scans.optionsFor(db) : {};
  // A list without a filter still reads every row: give it the deadline check too.
  const effective = filter ?? (options.deadlineCheck ? compiler.everything : undefined);
  const compiled = effective === undefined ? undefined : compile(effective, orgId, options);
  const run: RunQuery = scan
    ? (query) => scans.rows(db, orgId, query, options)
    : async <T>(query: Knex.QueryBuilder) => (await prepared(db, query)) as T[];
  return { where: compiled?.apply, run };
}
