import { Knex } from 'knex';

/**
 * The announcement (公示) of a round: drafts the lead compiles and edits, the version submitted for
 * approval, and the published versions. A published version never changes (a trigger refuses it);
 * a correction is a new version that says what changed. Every saved state of a draft is kept in
 * announcement_revisions, which is append-only.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('announcements', (t) => {
    t.increments('id').primary();
    t.integer('round_id').notNullable().references('id').inTable('rounds');
    // The version it is or will be when published: 1, then 2 for the first correction, …
    t.integer('version').notNullable();
    t.string('status', 16).notNullable().checkIn(['draft', 'submitted', 'published', 'superseded']);
    t.text('title').notNullable();
    // The lead's edits by section key, the rectification deadline and the figures they were made against.
    t.text('document').notNullable();
    // The figures as last compiled; frozen at publication together with the text.
    t.text('figures').notNullable();
    t.text('published_sections').nullable();
    t.text('correction_note').nullable();
    t.string('slug', 64).nullable();
    // Optimistic concurrency for edits: a stale revision gets 409.
    t.integer('revision').notNullable();
    t.integer('created_by').notNullable().references('id').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.integer('updated_by').notNullable().references('id').inTable('users');
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.integer('submitted_by').nullable().references('id').inTable('users');
    t.timestamp('submitted_at', { useTz: true }).nullable();
    t.integer('published_by').nullable().references('id').inTable('users');
    t.timestamp('published_at', { useTz: true }).nullable();
    t.index(['round_id', 'status']);
    t.index(['slug']);
  });
  // One draft or submitted version per round, and each published version number once.
  await knex.raw(
    "CREATE UNIQUE INDEX announcements_one_open ON announcements (round_id) WHERE status IN ('draft', 'submitted')",
  );
  await knex.raw(
    "CREATE UNIQUE INDEX announcements_published_version ON announcements (round_id, version) WHERE status = 'published'",
  );

  await knex.schema.createTable('announcement_revisions', (t) => {
    t.increments('id').primary();
    t.integer('announcement_id').notNullable().references('id').inTable('announcements');
    t.integer('revision').notNullable();
    t.string('action', 16).notNullable();
    t.text('title').notNullable();
    t.text('document').notNullable();
    t.text('reason').nullable();
    t.integer('changed_by').notNullable().references('id').inTable('users');
    t.timestamp('changed_at', { useTz: true }).notNullable();
    t.unique(['announcement_id', 'revision']);
  });

  if (knex.client.dialect === 'postgresql') {
    await knex.raw(
      'CREATE TRIGGER announcement_revisions_append_only BEFORE UPDATE OR DELETE ON announcement_revisions FOR EACH ROW EXECUTE FUNCTION fuhe_append_only()',
    );
    await knex.raw(`
      CREATE FUNCTION announcements_published_immutable() RETURNS trigger AS $$
      BEGIN
        IF TG_OP = 'DELETE' OR OLD.status = 'published' THEN
          RAISE EXCEPTION 'a published announcement is immutable';
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await knex.raw(
      'CREATE TRIGGER announcements_immutable BEFORE UPDATE OR DELETE ON announcements FOR EACH ROW EXECUTE FUNCTION announcements_published_immutable()',
    );
  } else {
    await knex.raw(
      `CREATE TRIGGER announcement_revisions_no_update BEFORE UPDATE ON announcement_revisions BEGIN SELECT RAISE(ABORT, 'announcement_revisions is append-only'); END`,
    );
    await knex.raw(
      `CREATE TRIGGER announcement_revisions_no_delete BEFORE DELETE ON announcement_revisions BEGIN SELECT RAISE(ABORT, 'announcement_revisions is append-only'); END`,
    );
    await knex.raw(
      `CREATE TRIGGER announcements_no_delete BEFORE DELETE ON announcements BEGIN SELECT RAISE(ABORT, 'announcements are never deleted'); END`,
    );
    await knex.raw(`CREATE TRIGGER announcements_immutable BEFORE UPDATE ON announcements WHEN OLD.status = 'published'
      BEGIN SELECT RAISE(ABORT, 'a published announcement is immutable'); END`);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('announcement_revisions');
  await knex.schema.dropTableIfExists('announcements');
  if (knex.client.dialect === 'postgresql')
    await knex.raw('DROP FUNCTION IF EXISTS announcements_published_immutable()');
}
