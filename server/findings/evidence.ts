import { Queryable } from '../data/database';
import { insertedId, toBool, toDate, toInt } from '../data/values';

export interface Evidence {
  id: number;
  fileSha256: string;
  fileName: string;
  mediaType: string;
  size: number;
  description: string | null;
  uploadedBy: number;
  uploadedByName: string;
  uploadedAt: Date;
  /** Uploaded by the item's unit (a 材料补充), not by the review team. */
  suppliedByUnit: boolean;
  withdrawnAt: Date | null;
  withdrawReason: string | null;
}

export async function findEvidence(db: Queryable, submissionId: number): Promise<Evidence[]> {
  const rows = (await db('evidence')
    .join('users', 'users.id', 'evidence.uploaded_by')
    .where('evidence.submission_id', submissionId)
    .orderBy('evidence.id')
    .select('evidence.*', 'users.display_name as uploaded_by_name')) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    id: r.id as number,
    fileSha256: r.file_sha256 as string,
    fileName: r.file_name as string,
    mediaType: r.media_type as string,
    size: toInt(r.size),
    description: r.description as string | null,
    uploadedBy: r.uploaded_by as number,
    uploadedByName: r.uploaded_by_name as string,
    uploadedAt: toDate(r.uploaded_at),
    suppliedByUnit: toBool(r.supplied_by_unit),
    withdrawnAt: r.withdrawn_at ? toDate(r.withdrawn_at) : null,
    withdrawReason: r.withdraw_reason as string | null,
  }));
}

export async function insertEvidence(
  db: Queryable,
  e: {
    roundId: number;
    submissionId: number;
    sha256: string;
    fileName: string;
    mediaType: string;
    size: number;
    description: string | null;
    by: number;
    suppliedByUnit: boolean;
  },
  at: Date,
): Promise<number> {
  return insertedId(
    await db('evidence')
      .insert({
        round_id: e.roundId,
        submission_id: e.submissionId,
        file_sha256: e.sha256,
        file_name: e.fileName,
        media_type: e.mediaType,
        size: e.size,
        description: e.description,
        uploaded_by: e.by,
        uploaded_at: at,
        supplied_by_unit: e.suppliedByUnit,
      })
      .returning('id'),
  );
}

export async function withdrawEvidence(
  db: Queryable,
  id: number,
  submissionId: number,
  by: number,
  at: Date,
  reason: string,
): Promise<boolean> {
  return (
    Number(
      await db('evidence')
        .where({ id, submission_id: submissionId })
        .whereNull('withdrawn_at')
        .update({ withdrawn_by: by, withdrawn_at: at, withdraw_reason: reason }),
    ) === 1
  );
}
