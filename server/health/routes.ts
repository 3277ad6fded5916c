import { Router } from 'express';
import { Services } from '../services';

/** `/healthz`: whether this instance and its database answer. */
export function healthRoutes(services: Services): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    try {
      res.json({ status: 'ok', db: await services.health() });
    } catch {
      res.status(503).json({ status: 'unavailable', db: services.config.databaseUrl ? 'postgres' : 'sqlite' });
    }
  });
  return router;
}
