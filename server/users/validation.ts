import { withoutBidiControls } from '../domain/text';
import { isRole, requiresOrganisation, Role } from '../domain/roles';
import { Coverage } from '../domain/units';

export interface UserInput {
  username: string;
  displayName: string;
  role: Role;
  organisation: string | null;
  password: string | null;
  /** A unit contact's units and departments; none for every other role. */
  coverage?: Coverage | null;
}

export interface FieldError {
  field: string;
  message: string;
}

const text = (value: unknown): string =>
  typeof value === 'string' ? withoutBidiControls(value.normalize('NFC')).trim() : '';

/** Parses the add-user form or JSON body once, at the edge. */
export function parseUserInput(body: Record<string, unknown>): { value?: UserInput; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const username = text(body.username).toLowerCase();
  if (!/^[a-z0-9][a-z0-9._-]{1,63}$/.test(username)) {
    errors.push({ field: 'username', message: '用户名须为2–64位字母、数字、点、下划线或连字符，以字母或数字开头' });
  }
  const role = text(body.role);
  if (!isRole(role)) errors.push({ field: 'role', message: '请选择角色' });
  const displayName = text(body.displayName) || username;
  if ([...displayName].length > 100) errors.push({ field: 'displayName', message: '姓名不能超过100个字符' });
  const organisation = text(body.organisation) || null;
  if (organisation && [...organisation].length > 200)
    errors.push({ field: 'organisation', message: '单位名称不能超过200个字符' });
  if (isRole(role) && requiresOrganisation(role) && !organisation) {
    errors.push({ field: 'organisation', message: '第三方评价机构人员须填写所属机构' });
  }
  const password = typeof body.password === 'string' && body.password !== '' ? body.password : null;
  const coverage = {
    units: names(body.units, 'units', '预算单位', errors),
    departments: names(body.departments, 'departments', '主管部门', errors),
  };
  const covering = coverage.units.length + coverage.departments.length > 0;
  if (role === 'unit' && !covering)
    errors.push({ field: 'units', message: '预算单位联系人须填写所联系的预算单位或主管部门' });
  if (isRole(role) && role !== 'unit' && covering)
    errors.push({ field: 'units', message: '只有预算单位联系人需要填写预算单位或主管部门' });
  if (errors.length > 0 || !isRole(role)) return { errors };
  return {
    value: { username, displayName, role, organisation, password, coverage: role === 'unit' ? coverage : null },
    errors,
  };
}

/** A unit contact's units and departments from a form: at least one name. */
export function parseCoverage(body: Record<string, unknown>): { value?: Coverage; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const coverage = {
    units: names(body.units, 'units', '预算单位', errors),
    departments: names(body.departments, 'departments', '主管部门', errors),
  };
  if (!errors.length && coverage.units.length + coverage.departments.length === 0)
    errors.push({ field: 'units', message: '预算单位联系人须填写所联系的预算单位或主管部门' });
  return errors.length ? { errors } : { value: coverage, errors };
}

/** Names one per line (or separated by 、，,；;) from a form, or a list from the command line. */
function names(value: unknown, field: string, label: string, errors: FieldError[]): string[] {
  const parts = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\r\n、，,；;]+/) : [];
  const list = [...new Set(parts.map(text).filter(Boolean))];
  for (const name of list)
    if ([...name].length > 200) errors.push({ field, message: `${label}名称不能超过200个字符：${name.slice(0, 20)}…` });
  if (list.length > 50) errors.push({ field, message: `${label}最多50个` });
  return list;
}
