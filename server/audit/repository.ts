import { Queryable } from '../data/database';
import { countOf, toDate } from '../data/values';

/** The append-only audit log. This module only inserts and reads; the database refuses the rest. */

export interface Actor {
  id: number;
  username: string;
  role: string;
}

/** Who did it and from where, taken from the request (or the command line). */
export interface AuditContext {
  actor: Actor | null;
  /** For failed logins: the name that was tried. */
  attemptedUsername?: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export interface AuditEvent {
  action: string;
  objectType?: string;
  objectId?: string | number;
  before?: unknown;
  after?: unknown;
  detail?: string;
}

export interface AuditRecord {
  id: number;
  at: Date;
  actorId: number | null;
  actorUsername: string | null;
  /** The actor's display name as it is now (the entry itself keeps the username). */
  actorName: string | null;
  actorRole: string | null;
  action: string;
  objectType: string | null;
  objectId: string | null;
  before: unknown;
  after: unknown;
  detail: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export interface AuditFilter {
  action?: string;
  actor?: string;
  objectType?: string;
  objectId?: string;
  /** Inclusive bounds as instants. */
  from?: Date;
  to?: Date;
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
const parse = (text: unknown): unknown => (typeof text === 'string' ? JSON.parse(text) : null);

export async function appendAudit(
  db: Queryable,
  context: AuditContext,
  event: AuditEvent,
  at = new Date(),
): Promise<void> {
  await db('audit_log').insert({
    at,
    actor_id: context.actor?.id ?? null,
    actor_username: context.actor?.username ?? context.attemptedUsername?.slice(0, 64) ?? null,
    actor_role: context.actor?.role ?? null,
    action: event.action,
    object_type: event.objectType ?? null,
    object_id: event.objectId === undefined ? null : String(event.objectId),
    before: json(event.before),
    after: json(event.after),
    detail: event.detail ?? null,
    ip: context.ip?.slice(0, 64) ?? null,
    user_agent: context.userAgent?.slice(0, 300) ?? null,
    request_id: context.requestId ?? null,
  });
}

function applyFilter(query: ReturnType<Queryable>, filter: AuditFilter): void {
  if (filter.action) query.where('action', 'like', `${filter.action}%`);
  if (filter.actor) query.where('actor_username', filter.actor);
  if (filter.objectType) query.where('object_type', filter.objectType);
  if (filter.objectId) query.where('object_id', filter.objectId);
  if (filter.from) query.where('at', '>=', filter.from);
  if (filter.to) query.where('at', '<=', filter.to);
}

interface AuditRow {
  id: number | string;
  at: unknown;
  actor_id: number | null;
  actor_username: string | null;
  actor_name?: string | null;
  actor_role: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  before: string | null;
  after: string | null;
  detail: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
}

function toRecord(row: AuditRow): AuditRecord {
  return {
    id: Number(row.id),
    at: toDate(row.at),
    actorId: row.actor_id,
    actorUsername: row.actor_username,
    actorName: row.actor_name ?? null,
    actorRole: row.actor_role,
    action: row.action,
    objectType: row.object_type,
    objectId: row.object_id,
    before: parse(row.before),
    after: parse(row.after),
    detail: row.detail,
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
  };
}

export async function findAudit(
  db: Queryable,
  filter: AuditFilter,
  page: { offset: number; limit: number },
): Promise<{ total: number; records: AuditRecord[] }> {
  const countQuery = db('audit_log').count({ n: '*' });
  applyFilter(countQuery, filter);
  const rowsQuery = db('audit_log')
    .select(
      'audit_log.*',
      db('users').select('display_name').whereRaw('users.id = audit_log.actor_id').as('actor_name'),
    )
    .orderBy('id', 'desc')
    .offset(page.offset)
    .limit(page.limit);
  applyFilter(rowsQuery, filter);
  const [countRow, rows] = await Promise.all([countQuery.first(), rowsQuery]);
  return { total: countOf(countRow as { n?: unknown }), records: (rows as AuditRow[]).map(toRecord) };
}
