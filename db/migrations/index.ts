import { Knex } from 'knex';
import * as foundation from './20261125000001_foundation';
import * as population from './20261125000002_population';
import * as draws from './20261125000003_draws';
import * as reviews from './20261125000004_reviews';
import * as findings from './20261125000005_findings';
import * as evidence from './20261125000006_evidence';
import * as conflictsQuality from './20261125000007_conflicts_quality';
import * as announcements from './20261125000008_announcements';
import * as sessionFlash from './20261205000001_session_flash';
import * as assignmentEndReason from './20261205000002_assignment_end_reason';
import * as populationListIndexes from './20261205000003_population_list_indexes';
import * as conflictClearances from './20261205000004_conflict_clearances';
import * as findingVersions from './20261206000001_finding_versions';
import * as roundPublicity from './20261206000002_round_publicity';
import * as roundOnsiteChecks from './20261206000003_round_onsite_checks';
import * as roundMinEstimateSample from './20261206000004_round_min_estimate_sample';
import * as unitRole from './20261207000001_unit_role';
import * as units from './20261207000002_units';
import * as rectifications from './20261207000003_rectifications';
import * as roundBudgetActions from './20261207000004_round_budget_actions';
import * as drawMandatoryNote from './20261207000005_draw_mandatory_note';
import * as rectificationReports from './20261207000006_rectification_reports';

/**
 * The migrations, in order. Listed here rather than found on disk so that they load the same
 * under tsx, ts-jest and any bundler. Append one entry per new migration; never edit one that
 * has landed.
 */
const migrations: Array<{ name: string; module: Knex.Migration }> = [
  { name: '20261125000001_foundation', module: foundation },
  { name: '20261125000002_population', module: population },
  { name: '20261125000003_draws', module: draws },
  { name: '20261125000004_reviews', module: reviews },
  { name: '20261125000005_findings', module: findings },
  { name: '20261125000006_evidence', module: evidence },
  { name: '20261125000007_conflicts_quality', module: conflictsQuality },
  { name: '20261125000008_announcements', module: announcements },
  { name: '20261205000001_session_flash', module: sessionFlash },
  { name: '20261205000002_assignment_end_reason', module: assignmentEndReason },
  { name: '20261205000003_population_list_indexes', module: populationListIndexes },
  { name: '20261205000004_conflict_clearances', module: conflictClearances },
  { name: '20261206000001_finding_versions', module: findingVersions },
  { name: '20261206000002_round_publicity', module: roundPublicity },
  { name: '20261206000003_round_onsite_checks', module: roundOnsiteChecks },
  { name: '20261206000004_round_min_estimate_sample', module: roundMinEstimateSample },
  { name: '20261207000001_unit_role', module: unitRole },
  { name: '20261207000002_units', module: units },
  { name: '20261207000003_rectifications', module: rectifications },
  { name: '20261207000004_round_budget_actions', module: roundBudgetActions },
  { name: '20261207000005_draw_mandatory_note', module: drawMandatoryNote },
  { name: '20261207000006_rectification_reports', module: rectificationReports },
];

export const migrationSource: Knex.MigrationSource<{ name: string; module: Knex.Migration }> = {
  getMigrations: async () => migrations,
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration.module,
};
