/** sortBy (RFC 7644 §3.4.2.3) through the same allowlist as filters; a multi-valued attribute sorts by its primary (else first) value. */
import type { Knex } from 'knex';
import type { OrderTerm } from '../../store/repositories/listing.js';
import { ScimError } from '../scim-error.js';
import type { FilterTarget } from './filter-to-sql.js';

export function sortTerm(db: Knex, target: FilterTarget, sortBy: string, order: 'ascending' | 'descending'): OrderTerm {
  const direction = order === 'descending' ? 'desc' : 'asc';
  const resolved = target.resolve(sortBy);
  const attr = resolved?.kind === 'parent' ? resolved.resolveSub('value') : resolved;
  if (attr?.kind === 'column') {
    return { expression: `${target.alias}.${attr.folded ?? attr.column}`, direction };
  }
  if (attr?.kind === 'value' && attr.sub === 'value') {
    return {
      expression: db.raw(
        '(SELECT s.value_lower FROM directory_user_values s WHERE s.user_id = ?? AND s.attribute = ? ORDER BY s.' +
          db.raw('??', ['primary']).toQuery() +
          ' DESC, s.position LIMIT 1)',
        [`${target.alias}.id`, attr.attribute],
      ),
      direction,
    };
  }
  throw new ScimError(400, 'invalidValue', `Cannot sort by ${sortBy}`);
}
