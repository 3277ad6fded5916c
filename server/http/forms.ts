import { Response } from 'express';
import { Conflict, Invalid } from '../errors';
import { statusOf } from './errors';

/**
 * A form the service refused (409 or 422), shown again: the status set, and the message and each
 * field's problem for the page, which renders what was typed beside them.
 */
export function formAgain(res: Response, err: Invalid | Conflict): { error: string; errors: unknown[] } {
  res.status(statusOf(err));
  return { error: err.message, errors: Array.isArray(err.details) ? err.details : [] };
}
