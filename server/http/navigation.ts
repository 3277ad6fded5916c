import { RequestHandler } from 'express';
import { can, Permission, ROLE_LABELS } from '../domain/roles';

/** The navigation a role may use; the server enforces the same permissions on every route. */
const ITEMS: Array<{ href: string; label: string; permission?: Permission; key: string }> = [
  { key: 'dashboard', href: '/', label: '工作台' },
  { key: 'work', href: '/work', label: '我的复核任务', permission: 'reviews.work' },
  { key: 'unit', href: '/unit', label: '我的单位', permission: 'units.own' },
  { key: 'results', href: '/results', label: '结果应用', permission: 'results.read' },
  { key: 'rounds-new', href: '/rounds/new', label: '新建复核批次', permission: 'rounds.create' },
  { key: 'categories', href: '/categories', label: '问题类别', permission: 'reviews.assign' },
  { key: 'users', href: '/admin/users', label: '用户管理', permission: 'users.manage' },
  { key: 'audit', href: '/admin/audit', label: '审计日志', permission: 'audit.read' },
];

export const navigation: RequestHandler = (req, res, next) => {
  const user = req.user;
  if (user) {
    // A unit's contact lands on 我的单位 ('/'), so it has no separate 工作台.
    res.locals.nav = ITEMS.filter(
      (item) =>
        (!item.permission || can(user.role, item.permission)) && !(item.key === 'dashboard' && user.role === 'unit'),
    );
    res.locals.userRoleLabel = ROLE_LABELS[user.role];
  }
  next();
};
