import { Database } from '../data/database';
import { appendAudit, AuditContext, AuditEvent, AuditFilter, findAudit } from './repository';

/** The audit log for routes: what happened (sign-in, sign-out), and reading it back. */
export function auditService({ db, now }: { db: Database; now: () => Date }) {
  return {
    record: (context: AuditContext, event: AuditEvent) => appendAudit(db, context, event, now()),
    list: (filter: AuditFilter, page: { offset: number; limit: number }) => findAudit(db, filter, page),
  };
}
