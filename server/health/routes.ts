import { Router } from 'express';
import { Database, engineOf } from '../data/database';

/** For load balancers and monitoring: answers only when the database answers. */
export function healthRoutes(db: Database): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    try {
      await db.raw('select 1');
      res.json({ status: 'ok', db: engineOf(db) });
    } catch {
      res.status(503).json({ status: 'unavailable', db: engineOf(db) });
    }
  });
  return router;
}
