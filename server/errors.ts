/**
 * The errors services throw, in the bureau's words and without HTTP: the one error handler
 * (http/errors.ts) turns them into statuses, pages and JSON, and writes the audit entry of every
 * refusal. `details` lists the fields or rows at fault; `code` names a case clients tell apart.
 */
export abstract class DomainError extends Error {
  constructor(
    message: string,
    readonly details?: unknown,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The object does not exist (or the user may not know that it does). */
export class NotFound extends DomainError {}

/** The object's state or version forbids the change: a stale edit, a round already drawn. */
export class Conflict extends DomainError {}

/** The input is wrong: `details` names every field or row. */
export class Invalid extends DomainError {}

/** The user may not do this to this object. Audited as `access.denied` with `reason`. */
export class Refused extends DomainError {
  constructor(
    /** What the audit log records: what was refused and why. */
    readonly reason: string,
    message = '您没有权限执行此操作',
    details?: unknown,
  ) {
    super(message, details);
  }
}

/** The credentials given are wrong (a failed sign-in). */
export class NotSignedIn extends DomainError {}

/** The account is disabled: it may not sign in or use its tokens. */
export class AccountDisabled extends DomainError {}

/** Too many attempts: try again later. */
export class TooMany extends DomainError {}

/** A refusal or an invalid input, which a form shows beside what was typed. */
export const isFormError = (err: unknown): err is Invalid | Conflict =>
  err instanceof Invalid || err instanceof Conflict;
