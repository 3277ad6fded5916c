import { Config } from './config';
import { Database } from './data/database';
import { announcementService } from './announcements/service';
import { authService } from './auth/service';
import { drawService } from './draws/service';
import { reviewService } from './reviews/service';
import { populationService } from './population/service';
import { PopulationRecordsCache } from './population/recordsCache';
import { roundService } from './rounds/service';
import { tokenService } from './tokens/service';
import { userService } from './users/service';

export interface ServiceDeps {
  db: Database;
  config: Config;
  now: () => Date;
}

export function createServices({ db, config, now }: ServiceDeps) {
  const populationRecords = new PopulationRecordsCache();
  return {
    users: userService({ db, scryptCost: config.scryptCost, now }),
    auth: authService({ db, config, now }),
    tokens: tokenService({ db, now }),
    rounds: roundService({ db, now }),
    population: populationService({ db, now, populationRecords }),
    draws: drawService({ db, now, populationRecords }),
    reviews: reviewService({ db, now }),
    announcements: announcementService({ db, now, publicUrl: config.publicUrl }),
  };
}

export type Services = ReturnType<typeof createServices>;
