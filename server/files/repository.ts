import { Queryable } from '../data/database';

/**
 * Uploaded files and the files fuhe keeps (population files, evidence, a draw's canonical
 * population), content-addressed by SHA-256: stored once, however often they are referred to.
 */

export interface StoredFileInput {
  sha256: string;
  size: number;
  mediaType: string;
  content: Buffer;
}

/** Content-addressed: storing the same bytes twice keeps one copy. */
export async function storeFile(db: Queryable, file: StoredFileInput, at: Date): Promise<void> {
  const existing = await db('stored_files').where('sha256', file.sha256).first('sha256');
  if (existing) return;
  await db('stored_files').insert({
    sha256: file.sha256,
    size: file.size,
    media_type: file.mediaType,
    content: file.content,
    created_at: at,
  });
}

export async function readStoredFile(
  db: Queryable,
  sha256: string,
): Promise<{ content: Buffer; mediaType: string } | undefined> {
  const row = (await db('stored_files').where('sha256', sha256).first('content', 'media_type')) as
    { content: Buffer; media_type: string } | undefined;
  return row && { content: Buffer.from(row.content), mediaType: row.media_type };
}
