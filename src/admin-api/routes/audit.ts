/** The audit log: newest first, filtered by actor, action, target, person and time; CSV export. Admins and Owners. */
import { z } from 'zod';
import { toCsv } from '../../audit/audit-csv.js';
import type { AdminApiDeps } from '../deps.js';
import { PageQuery, decodeCursor, encodeCursor, page, route, type AdminRoute } from '../route-table.js';
import { AuditEvent } from '../schemas.js';

const Filters = z.object({
  actor: z.string().max(512).optional().describe("an actor's id or label"),
  action: z.string().max(100).optional(),
  target: z.string().max(512).optional().describe("the target's id"),
  user: z
    .string()
    .max(512)
    .optional()
    .describe('one person (userName or id): events about them, by them, or naming them in a membership change'),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
});

type Filter = z.infer<typeof Filters>;

const EXPORT_LIMIT = 100_000;
function queryOf(f: Filter) {
  return {
    ...(f.actor ? { actor: f.actor } : {}),
    ...(f.action ? { action: f.action } : {}),
    ...(f.target ? { targetId: f.target } : {}),
    ...(f.user ? { user: f.user } : {}),
    ...(f.since ? { since: new Date(f.since).toISOString() } : {}),
    ...(f.until ? { until: new Date(f.until).toISOString() } : {}),
  };
}

export function auditRoutes({ services }: AdminApiDeps): AdminRoute[] {
  const audit = services.auditTrail;
  return [
    route({
      method: 'get',
      path: '/audit',
      operationId: 'listAuditEvents',
      summary: 'List audit events, newest first',
      tag: 'audit',
      role: 'Admin',
      query: PageQuery.extend(Filters.shape),
      response: page(AuditEvent),
      handle: async ({ caller, query }) => {
        const before = decodeCursor(query.cursor, ['at', 'id']);
        const rows = await audit.list(caller.orgId, {
          ...queryOf(query),
          ...(before ? { before } : {}),
          limit: query.limit + 1,
        });
        const items = rows.slice(0, query.limit).map(({ orgId: _org, ...e }) => e);
        const last = items[items.length - 1];
        return {
          items,
          nextCursor: rows.length > query.limit && last ? encodeCursor({ at: last.occurredAt, id: last.id }) : null,
        };
      },
    }),
    route({
      method: 'get',
      path: '/audit/export',
      operationId: 'exportAuditEvents',
      summary: 'Export audit events as CSV',
      tag: 'audit',
      role: 'Admin',
      query: Filters,
      response: 'csv',
      handle: async ({ caller, query, res }) => {
        const rows = await audit.list(caller.orgId, { ...queryOf(query), limit: EXPORT_LIMIT });
        res
          .status(200)
          .type('text/csv; charset=utf-8')
          .setHeader('Content-Disposition', 'attachment; filename="audit-events.csv"')
          .send(toCsv(rows));
      },
    }),
  ];
}
