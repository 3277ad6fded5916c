import { Config } from './config';
import { Database, engineOf } from './data/database';
import { auditService } from './audit/service';
import { announcementService } from './announcements/service';
import { approvalService } from './announcements/approvalService';
import { refusalRecorder } from './audit/refusals';
import { authService } from './auth/service';
import { categoryService } from './findings/categoryService';
import { guessThrottle } from './auth/throttle';
import { drawService } from './draws/service';
import { Logger } from './logger';
import { FileReader } from './files/reader';
import { ZIP_LIMITS } from './files/formats';
import { assignmentService } from './reviews/assignmentService';
import { findingService } from './findings/findingService';
import { offlineService } from './reviews/offlineService';
import { reviewService } from './reviews/reviewService';
import { populationService, refreshLateness } from './population/service';
import { roundService } from './rounds/service';
import { tokenService } from './tokens/service';
import { unitService } from './units/service';
import { rectificationService } from './rectifications/service';
import { rectificationReportService } from './rectifications/report';
import { resultService } from './results/service';
import { userService } from './users/service';

export interface ServiceDeps {
  db: Database;
  config: Config;
  now: () => Date;
  logger?: Logger;
}

/** Every service, built once: `main.ts`, the tests and the scripts pass these to `createApp`. */
export function createServices({ db, config, now, logger }: ServiceDeps) {
  const refusals = refusalRecorder({
    db,
    now,
    logger,
    windowMs: config.refusals.windowSeconds * 1000,
    limitPerWindow: config.refusals.limitPerAddress,
  });
  const guesses = guessThrottle({ db, config, now, refusals });
  const files = new FileReader({
    heapMb: config.uploads.readerHeapMb,
    timeoutMs: config.uploads.readerTimeoutSeconds * 1000,
    zip: { ...ZIP_LIMITS, totalBytes: config.uploads.maxInflatedMb * 1024 * 1024 },
  });
  // Where the public re-draws the sample; a demo or test machine may publish with a local address.
  const site = {
    publicUrl: config.publicUrl,
    publicUrlProblem: config.allowLocalPublicUrl ? null : config.publicUrlProblem,
  };
  return {
    db,
    config,
    now,
    refusals,
    files,
    audit: auditService({ db, now }),
    /** Whether the database answers, for /healthz. */
    health: async (): Promise<'sqlite' | 'postgres'> => {
      await db.raw('select 1');
      return engineOf(db);
    },
    users: userService({ db, scryptCost: config.scryptCost, now, guesses }),
    auth: authService({ db, config, now, guesses }),
    tokens: tokenService({ db, now }),
    rounds: roundService({ db, now, onDeadlineChange: refreshLateness }),
    population: populationService({ db, now, files }),
    draws: drawService({ db, now }),
    assignments: assignmentService({ db, now }),
    reviews: reviewService({ db, now }),
    findings: findingService({ db, now }),
    offline: offlineService({ db, now, files }),
    categories: categoryService({ db, now }),
    units: unitService({ db, now }),
    rectifications: rectificationService({ db, now }),
    rectificationReports: rectificationReportService({ db, now }),
    results: resultService({ db, now }),
    announcements: announcementService({ db, now, site }),
    approval: approvalService({ db, now, site }),
  };
}

export type Services = ReturnType<typeof createServices>;
