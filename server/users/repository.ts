import { Queryable } from '../data/database';
import { countOf, insertedId, toBool, toDate, toDateOrNull } from '../data/values';
import { Role } from '../domain/roles';

export interface User {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  organisation: string | null;
  mustChangePassword: boolean;
  passwordChangedAt: Date;
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export interface UserWithHash extends User {
  passwordHash: string;
}

interface UserRow {
  id: number;
  username: string;
  display_name: string;
  role: Role;
  organisation: string | null;
  password_hash: string;
  must_change_password: unknown;
  password_changed_at: unknown;
  disabled_at: unknown;
  created_at: unknown;
  updated_at: unknown;
  version: number;
}

function toPublicUser(row: Omit<UserRow, 'password_hash'>): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    organisation: row.organisation,
    mustChangePassword: toBool(row.must_change_password),
    passwordChangedAt: toDate(row.password_changed_at),
    disabledAt: toDateOrNull(row.disabled_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    version: row.version,
  };
}

function toUser(row: UserRow): UserWithHash {
  return { ...toPublicUser(row), passwordHash: row.password_hash };
}

const PUBLIC_COLUMNS = [
  'id',
  'username',
  'display_name',
  'role',
  'organisation',
  'must_change_password',
  'password_changed_at',
  'disabled_at',
  'created_at',
  'updated_at',
  'version',
];

/** A user's columns but the hash, as `user_<column>`: for reading a user in the same query as what refers to it. */
export const JOINED_USER_COLUMNS = PUBLIC_COLUMNS.map((column) => `users.${column} as user_${column}`);

/** The user of a row selected with JOINED_USER_COLUMNS. */
export function joinedUser(row: Record<string, unknown>): User {
  return toPublicUser(
    Object.fromEntries(PUBLIC_COLUMNS.map((name) => [name, row[`user_${name}`]])) as Omit<UserRow, 'password_hash'>,
  );
}

/** The user without the hash: what services hand on and what the audit log may record. */
export function publicUser(user: UserWithHash | User): User {
  const { passwordHash: _omit, ...rest } = user as UserWithHash;
  return rest;
}

export async function findUserByUsername(db: Queryable, username: string): Promise<UserWithHash | undefined> {
  const row = (await db('users').where({ username }).first()) as UserRow | undefined;
  return row && toUser(row);
}

export async function findUserById(db: Queryable, id: number): Promise<UserWithHash | undefined> {
  const row = (await db('users').where({ id }).first()) as UserRow | undefined;
  return row && toUser(row);
}

export async function listUsers(db: Queryable): Promise<User[]> {
  const rows = (await db('users').orderBy([{ column: 'role' }, { column: 'username' }])) as UserRow[];
  return rows.map((row) => publicUser(toUser(row)));
}

export async function countUsers(db: Queryable): Promise<number> {
  return countOf((await db('users').count({ n: '*' }).first()) as { n: unknown });
}

export interface NewUser {
  username: string;
  displayName: string;
  role: Role;
  organisation: string | null;
  passwordHash: string;
  mustChangePassword: boolean;
}

export async function insertUser(db: Queryable, user: NewUser, now: Date): Promise<number> {
  return insertedId(
    await db('users')
      .insert({
        username: user.username,
        display_name: user.displayName,
        role: user.role,
        organisation: user.organisation,
        password_hash: user.passwordHash,
        must_change_password: user.mustChangePassword,
        password_changed_at: now,
        created_at: now,
        updated_at: now,
        version: 1,
      })
      .returning('id'),
  );
}

export async function setPassword(
  db: Queryable,
  id: number,
  passwordHash: string,
  mustChangePassword: boolean,
  now: Date,
): Promise<void> {
  await db('users')
    .where({ id })
    .update({
      password_hash: passwordHash,
      must_change_password: mustChangePassword,
      password_changed_at: now,
      updated_at: now,
      version: db.raw('version + 1'),
    });
}

export async function setDisabled(db: Queryable, id: number, disabledAt: Date | null, now: Date): Promise<void> {
  await db('users')
    .where({ id })
    .update({ disabled_at: disabledAt, updated_at: now, version: db.raw('version + 1') });
}
