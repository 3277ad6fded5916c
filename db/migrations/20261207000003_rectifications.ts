import { Knex } from 'knex';

/**
 * Rectification (整改): when an announcement is first published, one task per standing finding on
 * a sampled item, for the item's unit, due on the announcement's 整改 deadline (a correction adds
 * tasks for findings that have none). The unit writes its measures and result and submits; the
 * lead accepts (销号) or returns with a reason. The task holds the current state with its version;
 * every step is a row of `rectification_steps`, never changed.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rectifications', (t) => {
    t.increments('id').primary();
    t.integer('round_id').notNullable().references('id').inTable('rounds');
    t.integer('submission_id').notNullable().references('id').inTable('submissions');
    // One task per finding, whatever corrections follow.
    t.integer('finding_id').notNullable().unique().references('id').inTable('findings');
    t.string('due_date', 10).notNullable();
    t.string('status', 16).notNullable().defaultTo('open');
    t.text('measures').nullable();
    t.text('result').nullable();
    // JSON array of the evidence ids the unit cites (files it uploaded to the item).
    t.text('evidence_ids').nullable();
    t.text('return_reason').nullable();
    // The last answer was recorded by the lead on the unit's behalf (a unit without an account).
    t.boolean('recorded_by_lead').notNullable().defaultTo(false);
    t.integer('version').notNullable().defaultTo(1);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.integer('updated_by').nullable().references('id').inTable('users');
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['round_id']);
    t.index(['submission_id']);
  });

  await knex.schema.createTable('rectification_steps', (t) => {
    t.increments('id').primary();
    t.integer('rectification_id').notNullable().references('id').inTable('rectifications');
    t.integer('version').notNullable();
    // create, save, submit, accept, return
    t.string('action', 16).notNullable();
    t.string('status', 16).notNullable();
    t.text('measures').nullable();
    t.text('result').nullable();
    t.text('evidence_ids').nullable();
    t.text('reason').nullable();
    t.boolean('recorded_by_lead').notNullable().defaultTo(false);
    t.integer('by').nullable().references('id').inTable('users');
    t.timestamp('at', { useTz: true }).notNullable();
    t.unique(['rectification_id', 'version']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('rectification_steps');
  await knex.schema.dropTableIfExists('rectifications');
}
