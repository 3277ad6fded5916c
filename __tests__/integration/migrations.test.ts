import { migrationSource } from '../../db/migrations';
import { migrateToLatest } from '../../server/data/database';
import { login, startTestApp, TestApp } from '../helpers/testApp';

/**
 * The migration that adds the unit role rebuilds the users table on SQLite (a CHECK constraint
 * cannot be altered there): undone and done again on a database in use, every user and every
 * row that refers to one stays, and the foreign keys still hold.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const insertUnitUser = (username: string) =>
  t.db('users').insert({
    username,
    display_name: username,
    role: 'unit',
    password_hash: 'x',
    must_change_password: false,
    password_changed_at: new Date().toISOString(),
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
  });

it('the unit role migration keeps users, their sessions and rounds, and the foreign keys', async () => {
  const lead = await t.createUser('lead1', 'lead');
  await t.services.rounds.create(
    { actor: { id: lead.id, username: 'lead1', role: 'lead' }, ip: null, userAgent: null, requestId: null },
    { title: '迁移前的批次', fiscalYear: 2023, bureau: null, workPlanRef: null, deadline: null },
  );
  const agent = t.agent();
  expect((await login(agent, 'lead1')).status).toBe(303);
  const before = {
    users: await t.db('users').orderBy('id').select('id', 'username', 'role'),
    sessions: (await t.db('sessions').where({ user_id: lead.id })).length,
  };

  // Undo the migrations from the unit role on: the role check is the foundation's again.
  const applied = async () =>
    ((await t.db('knex_migrations').orderBy('id').select('name')) as Array<{ name: string }>).map((r) => r.name);
  while ((await applied()).at(-1)! >= '20261207000001_unit_role') await t.db.migrate.down({ migrationSource });
  await expect(insertUnitUser('unit-before')).rejects.toThrow();
  expect(await t.db('users').orderBy('id').select('id', 'username', 'role')).toEqual(before.users);

  expect((await migrateToLatest(t.db)).slice(0, 2)).toEqual(['20261207000001_unit_role', '20261207000002_units']);
  expect(await applied()).toContain('20261207000003_rectifications');
  await insertUnitUser('unit-after');
  expect(await t.db('users').orderBy('id').select('id', 'username', 'role')).toEqual([
    ...before.users,
    expect.objectContaining({ username: 'unit-after', role: 'unit' }),
  ]);
  expect(await t.db('sessions').where({ user_id: lead.id })).toHaveLength(before.sessions);
  expect((await t.db('rounds').where({ created_by: lead.id })).map((r) => r.title)).toEqual(['迁移前的批次']);
  // Still enforced: a session for no user, a duplicate username, a role that is none.
  await expect(
    t.db('sessions').insert({
      id: 'x'.repeat(64),
      user_id: 999999,
      created_at: new Date().toISOString(),
      last_seen_at: new Date().toISOString(),
      expires_at: new Date().toISOString(),
    }),
  ).rejects.toThrow();
  await expect(insertUnitUser('lead1')).rejects.toThrow();
  await expect(t.db('users').where({ username: 'unit-after' }).update({ role: 'guest' })).rejects.toThrow();
  // The session made before the rebuild still signs in.
  expect((await agent.get('/')).status).toBe(200);
});
