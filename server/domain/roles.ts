/** The roles of domain.md and what each may do. The server checks these; the UI only mirrors them. */

export const ROLES = ['admin', 'lead', 'reviewer', 'evaluator', 'official', 'unit'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  admin: '系统管理员',
  lead: '复核组组长',
  reviewer: '复核人员',
  evaluator: '第三方评价机构',
  official: '分管领导',
  unit: '预算单位联系人',
};

export type Permission =
  | 'users.manage'
  | 'audit.read'
  | 'rounds.create'
  | 'rounds.edit'
  | 'rounds.read'
  | 'population.import'
  | 'population.read'
  | 'draws.create'
  | 'reviews.assign'
  | 'reviews.work'
  | 'announcements.compile'
  | 'announcements.read'
  | 'announcements.publish'
  | 'units.own'
  | 'rectifications.read'
  | 'results.read';

const PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: [
    'users.manage',
    'audit.read',
    'rounds.create',
    'rounds.edit',
    'rounds.read',
    'population.read',
    'announcements.read',
    'results.read',
  ],
  lead: [
    'rounds.create',
    'rounds.edit',
    'rounds.read',
    'population.import',
    'population.read',
    'draws.create',
    'reviews.assign',
    'announcements.compile',
    'announcements.read',
    'rectifications.read',
    'results.read',
  ],
  reviewer: ['rounds.read', 'population.read', 'reviews.work'],
  // A third-party evaluator sees only the items assigned to them, never the whole population.
  evaluator: ['rounds.read', 'reviews.work'],
  // The official (分管领导) approves and publishes the announcement.
  official: [
    'rounds.read',
    'population.read',
    'announcements.read',
    'announcements.publish',
    'rectifications.read',
    'results.read',
  ],
  // A budget unit's contact sees its own sampled items (by unit or 主管部门), nothing of the rounds as a whole.
  unit: ['units.own'],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function can(role: Role, permission: Permission): boolean {
  return PERMISSIONS[role].includes(permission);
}

/** Third-party evaluators must name the agency they work for (财预〔2021〕6号). */
export function requiresOrganisation(role: Role): boolean {
  return role === 'evaluator';
}

/** Who reviews items: reviewers and evaluators, each only the items assigned to them. */
export function isAssignedOnly(role: Role): boolean {
  return role === 'reviewer' || role === 'evaluator';
}
