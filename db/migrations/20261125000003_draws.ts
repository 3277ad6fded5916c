import { Knex } from 'knex';

/**
 * Draws (FUHE-DRAW-1): the parameters and the population fingerprint, every pick with its
 * reason, rank and u, and every expansion. Picks and expansions are append-only; a draw is never
 * deleted, only cancelled with a reason; a round has at most one active draw.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('draws', (t) => {
    t.increments('id').primary();
    t.integer('round_id').notNullable().references('id').inTable('rounds');
    // The id in public links: not guessable, not the sequence.
    t.string('public_id', 32).notNullable().unique();
    t.string('procedure', 32).notNullable();
    t.string('status', 16).notNullable().checkIn(['active', 'cancelled']);
    t.text('seed').notNullable();
    t.boolean('seed_generated').notNullable();
    t.string('method', 8).notNullable().checkIn(['srs', 'pps']);
    t.integer('quota_project').notNullable();
    t.integer('quota_department').notNullable();
    t.bigInteger('mandatory_min_budget_fen').nullable();
    t.text('mandatory_codes').notNullable();
    t.text('exclude_codes').notNullable();
    t.text('exclude_note').nullable();
    t.integer('population_project').notNullable();
    t.integer('population_department').notNullable();
    t.string('fingerprint', 64).notNullable();
    // Per stratum at the time of the draw: eligible, excluded, mandatory, taken, short, ...
    t.text('strata').notNullable();
    t.integer('created_by').notNullable().references('id').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.integer('cancelled_by').nullable().references('id').inTable('users');
    t.timestamp('cancelled_at', { useTz: true }).nullable();
    t.text('cancel_reason').nullable();
    t.index(['round_id']);
  });
  // One active draw per round, whatever races two requests (or two instances) run.
  await knex.raw("CREATE UNIQUE INDEX draws_one_active_per_round ON draws (round_id) WHERE status = 'active'");

  await knex.schema.createTable('draw_expansions', (t) => {
    t.increments('id').primary();
    t.integer('draw_id').notNullable().references('id').inTable('draws');
    t.integer('quota_project').notNullable();
    t.integer('quota_department').notNullable();
    t.integer('created_by').notNullable().references('id').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['draw_id']);
  });

  await knex.schema.createTable('draw_picks', (t) => {
    t.increments('id').primary();
    t.integer('draw_id').notNullable().references('id').inTable('draws');
    t.integer('expansion_id').nullable().references('id').inTable('draw_expansions');
    t.integer('submission_id').notNullable().references('id').inTable('submissions');
    t.string('code', 64).notNullable();
    t.string('kind', 16).notNullable();
    t.string('reason', 16).notNullable().checkIn(['mandatory', 'random', 'expansion']);
    t.integer('rank').notNullable();
    t.double('u').notNullable();
    t.unique(['draw_id', 'kind', 'rank']);
    t.unique(['draw_id', 'code']);
  });

  if (knex.client.dialect === 'postgresql') {
    await knex.raw(`
      CREATE FUNCTION fuhe_append_only() RETURNS trigger AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
      END;
      $$ LANGUAGE plpgsql`);
  }
  for (const table of ['draw_picks', 'draw_expansions']) {
    if (knex.client.dialect === 'postgresql') {
      await knex.raw(
        `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION fuhe_append_only()`,
      );
    } else {
      await knex.raw(
        `CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END`,
      );
      await knex.raw(
        `CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END`,
      );
    }
  }
  // A draw is never deleted; once made, only its cancellation may be written.
  if (knex.client.dialect === 'postgresql') {
    await knex.raw(`
      CREATE FUNCTION draws_immutable() RETURNS trigger AS $$
      BEGIN
        IF TG_OP = 'DELETE' OR OLD.status = 'cancelled' OR NEW.seed <> OLD.seed OR NEW.method <> OLD.method
           OR NEW.fingerprint <> OLD.fingerprint OR NEW.round_id <> OLD.round_id THEN
          RAISE EXCEPTION 'draws are immutable';
        END IF;
        RETURN NEW;
      END;
      $$ LANGUAGE plpgsql`);
    await knex.raw(
      'CREATE TRIGGER draws_immutable BEFORE UPDATE OR DELETE ON draws FOR EACH ROW EXECUTE FUNCTION draws_immutable()',
    );
  } else {
    await knex.raw(
      `CREATE TRIGGER draws_no_delete BEFORE DELETE ON draws BEGIN SELECT RAISE(ABORT, 'draws are immutable'); END`,
    );
    await knex.raw(`CREATE TRIGGER draws_immutable BEFORE UPDATE ON draws
      WHEN OLD.status = 'cancelled' OR NEW.seed IS NOT OLD.seed OR NEW.method IS NOT OLD.method
        OR NEW.fingerprint IS NOT OLD.fingerprint OR NEW.round_id IS NOT OLD.round_id
      BEGIN SELECT RAISE(ABORT, 'draws are immutable'); END`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['draw_picks', 'draw_expansions', 'draws']) await knex.schema.dropTableIfExists(table);
  if (knex.client.dialect === 'postgresql') {
    await knex.raw('DROP FUNCTION IF EXISTS draws_immutable()');
    await knex.raw('DROP FUNCTION IF EXISTS fuhe_append_only()');
  }
}
