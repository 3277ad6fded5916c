import { Knex } from 'knex';

/**
 * Foundation: accounts, API tokens, sessions, login throttling, rounds and the append-only audit
 * log. Runs unchanged on SQLite and PostgreSQL; the only engine-specific statements are the
 * triggers that make the audit log append-only.
 */

export const ROLES = ['admin', 'lead', 'reviewer', 'evaluator', 'official'] as const;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.increments('id').primary();
    t.string('username', 64).notNullable().unique();
    t.string('display_name', 100).notNullable();
    t.string('role', 16)
      .notNullable()
      .checkIn([...ROLES]);
    t.string('organisation', 200).nullable();
    t.string('password_hash', 255).notNullable();
    t.boolean('must_change_password').notNullable().defaultTo(false);
    t.timestamp('password_changed_at', { useTz: true }).notNullable();
    t.timestamp('disabled_at', { useTz: true }).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.integer('version').notNullable().defaultTo(1);
  });

  await knex.schema.createTable('sessions', (t) => {
    // SHA-256 of the cookie's random token: a stolen database does not yield live cookies.
    t.string('id', 64).primary();
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.string('ip', 64).nullable();
    t.string('user_agent', 300).nullable();
    t.index(['user_id']);
  });

  await knex.schema.createTable('api_tokens', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable().references('id').inTable('users');
    t.string('name', 100).notNullable();
    t.string('token_hash', 64).notNullable().unique();
    t.string('prefix', 16).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('last_used_at', { useTz: true }).nullable();
    t.timestamp('revoked_at', { useTz: true }).nullable();
    t.integer('revoked_by').nullable().references('id').inTable('users');
    t.index(['user_id']);
  });

  await knex.schema.createTable('login_failures', (t) => {
    t.increments('id').primary();
    t.string('account', 64).nullable();
    t.string('address', 64).notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
    t.index(['account', 'at']);
    t.index(['address', 'at']);
  });

  await knex.schema.createTable('rounds', (t) => {
    t.increments('id').primary();
    t.string('title', 200).notNullable();
    t.integer('fiscal_year').notNullable();
    t.string('bureau', 200).nullable();
    t.string('work_plan_ref', 100).nullable();
    // A calendar date as YYYY-MM-DD text: the same on both engines, no time zone to get wrong.
    t.string('deadline', 10).nullable();
    t.string('state', 16).notNullable().defaultTo('preparing');
    t.integer('created_by').notNullable().references('id').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.integer('version').notNullable().defaultTo(1);
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id').primary();
    t.timestamp('at', { useTz: true }).notNullable();
    t.integer('actor_id').nullable().references('id').inTable('users');
    t.string('actor_username', 64).nullable();
    t.string('actor_role', 16).nullable();
    t.string('action', 64).notNullable();
    t.string('object_type', 32).nullable();
    t.string('object_id', 64).nullable();
    t.text('before').nullable();
    t.text('after').nullable();
    t.text('detail').nullable();
    t.string('ip', 64).nullable();
    t.string('user_agent', 300).nullable();
    t.string('request_id', 64).nullable();
    t.index(['at']);
    t.index(['action']);
    t.index(['object_type', 'object_id']);
    t.index(['actor_id']);
  });

  if (knex.client.dialect === 'postgresql') {
    await knex.raw(`
      CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only';
      END;
      $$ LANGUAGE plpgsql`);
    await knex.raw(`CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`);
    await knex.raw(`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`);
  } else {
    await knex.raw(`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`);
    await knex.raw(`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`);
  }
}

export async function down(knex: Knex): Promise<void> {
  if (knex.client.dialect === 'postgresql') {
    await knex.raw('DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log');
    await knex.raw('DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log');
  }
  await knex.schema.dropTableIfExists('audit_log');
  if (knex.client.dialect === 'postgresql') await knex.raw('DROP FUNCTION IF EXISTS audit_log_append_only()');
  for (const table of ['rounds', 'login_failures', 'api_tokens', 'sessions', 'users']) {
    await knex.schema.dropTableIfExists(table);
  }
}
