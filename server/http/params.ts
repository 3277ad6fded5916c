import { Request } from 'express';
import { NotFound } from '../errors';

/**
 * A numeric id from the path (`:id` by default): plain decimal digits without a leading zero,
 * within the safe integers. Anything else (`0x1`, `1.0`, `-1`, ` 1`) names nothing: 404.
 */
export function idParam(req: Request, name = 'id'): number {
  const text = req.params[name];
  const id = typeof text === 'string' && /^[1-9]\d{0,15}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(id)) throw new NotFound('未找到该页面或对象');
  return id;
}
