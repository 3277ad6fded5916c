import { Knex } from 'knex';

/**
 * Evidence (佐证材料) attached to sampled items: the bytes live in `stored_files`, addressed by
 * SHA-256, so a database backup is a full backup and every instance sees the same files. An
 * attachment is withdrawn with a reason, never deleted. Findings may cite attachments.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('evidence', (t) => {
    t.increments('id').primary();
    t.integer('round_id').notNullable().references('id').inTable('rounds');
    t.integer('submission_id').notNullable().references('id').inTable('submissions');
    t.string('file_sha256', 64).notNullable().references('sha256').inTable('stored_files');
    t.string('file_name', 255).notNullable();
    t.string('media_type', 100).notNullable();
    t.bigInteger('size').notNullable();
    t.string('description', 500).nullable();
    t.integer('uploaded_by').notNullable().references('id').inTable('users');
    t.timestamp('uploaded_at', { useTz: true }).notNullable();
    t.integer('withdrawn_by').nullable().references('id').inTable('users');
    t.timestamp('withdrawn_at', { useTz: true }).nullable();
    t.text('withdraw_reason').nullable();
    t.index(['submission_id']);
  });
  await knex.schema.alterTable('findings', (t) => {
    // JSON array of evidence ids the finding cites.
    t.text('evidence_ids').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('findings', (t) => t.dropColumn('evidence_ids'));
  await knex.schema.dropTableIfExists('evidence');
}
