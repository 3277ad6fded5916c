import path from 'node:path';
import express, { Express, Router } from 'express';
import { adminRoutes } from './admin/routes';
import { announcementApiRoutes, announcementPageRoutes } from './announcements/routes';
import { publicAnnouncementRoutes } from './announcements/publicRoutes';
import { authRoutes } from './auth/routes';
import { ROLE_LABELS } from './domain/roles';
import { healthRoutes } from './health/routes';
import { accessControl } from './http/access';
import { requestContext, requestLog } from './http/context';
import { errorHandler, notFoundHandler } from './http/errors';
import { navigation } from './http/navigation';
import { noStore, setUpWebSecurity } from './http/security';
import { requirePasswordChanged, sessionManager } from './http/session';
import { setUpViews } from './http/views';
import { createLogger, Logger } from './logger';
import { drawApiRoutes, drawPageRoutes } from './draws/routes';
import { publicDrawRoutes } from './draws/publicRoutes';
import { assignmentApiRoutes, assignmentPageRoutes } from './reviews/assignmentRoutes';
import { itemApiRoutes, itemPageRoutes } from './reviews/itemRoutes';
import { offlineApiRoutes, offlinePageRoutes } from './reviews/offlineRoutes';
import { categoryRoutes } from './categories/routes';
import { populationApiRoutes, populationPageRoutes } from './population/routes';
import { roundApiRoutes, roundPageRoutes } from './rounds/routes';
import { Services } from './services';
import { unitApiRoutes, unitPageRoutes } from './units/routes';
import { rectificationApiRoutes, rectificationPageRoutes } from './rectifications/routes';
import { resultApiRoutes, resultPageRoutes } from './results/routes';

export const STATIC_DIR = path.resolve(__dirname, '../static');

/** The application over the services it is given (`createServices`), as the server and the tests build them. */
export function createApp(services: Services, { logger = createLogger() }: { logger?: Logger } = {}): Express {
  const { db, config, now, refusals } = services;
  const sessions = sessionManager({ db, config, tokens: services.tokens, refusals, now });
  const access = accessControl({ refusals });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');
  // No ETags: signed-in pages and answers are never stored (no-store), and hashing every body
  // (the review page is tens of kilobytes) only cost time. Static files keep theirs.
  app.set('etag', false);

  app.use(requestContext);
  app.use(requestLog(logger));
  app.use(setUpWebSecurity());
  // chart.js for the announcement's charts, served from the installed package (no CDN).
  const chartJs = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
  app.get('/static/vendor/chart.umd.min.js', (_req, res) =>
    res.sendFile(chartJs, { maxAge: config.env === 'production' ? '1d' : 0 }),
  );
  app.use('/static', express.static(STATIC_DIR, { maxAge: config.env === 'production' ? '1d' : 0, index: false }));
  setUpViews(app, { cache: config.env !== 'development' });
  app.use(healthRoutes(services));
  // Public pages need no session: anyone may re-check a draw.
  app.use(publicDrawRoutes({ services }));
  app.use(publicAnnouncementRoutes({ services }));

  app.use(express.json({ limit: '1mb' }));
  app.use(express.urlencoded({ extended: false, limit: '1mb' }));
  app.use(sessions.authenticate);
  app.use(noStore);
  app.use(sessions.verifyCsrf);
  app.use(navigation);

  app.use(authRoutes({ services, sessions, access }));
  app.use(requirePasswordChanged);

  const api = Router();
  api.get('/me', access.requireSignedIn, (req, res) => {
    const user = req.user!;
    res.json({
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      role: user.role,
      roleLabel: ROLE_LABELS[user.role],
      organisation: user.organisation,
    });
  });
  api.use(roundApiRoutes({ services, access }));
  api.use(populationApiRoutes({ services, access }));
  api.use(drawApiRoutes({ services, access }));
  api.use(assignmentApiRoutes({ services, access }));
  api.use(unitApiRoutes({ services, access }));
  api.use(itemApiRoutes({ services, access }));
  api.use(offlineApiRoutes({ services, access }));
  api.use(announcementApiRoutes({ services, access }));
  api.use(rectificationApiRoutes({ services, access }));
  api.use(resultApiRoutes({ services, access }));
  app.use('/api', api);

  app.use(unitPageRoutes({ services, access }));
  app.use(roundPageRoutes({ services, access }));
  app.use(populationPageRoutes({ services, access }));
  app.use(drawPageRoutes({ services, access }));
  app.use(assignmentPageRoutes({ services, access }));
  app.use(itemPageRoutes({ services, access }));
  app.use(offlinePageRoutes({ services, access }));
  app.use(announcementPageRoutes({ services, access }));
  app.use(rectificationPageRoutes({ services, access }));
  app.use(resultPageRoutes({ services, access }));
  app.use(categoryRoutes({ services, access }));
  app.use(adminRoutes({ services, access }));

  app.use(notFoundHandler);
  app.use(errorHandler({ showStack: config.env === 'development', logger, refusals }));
  return app;
}
