import { KIND_LABELS } from '../domain/population';
import { reviewFigures } from '../domain/review';
import { Evidence } from '../findings/evidence';
import { Finding } from '../findings/repository';
import { Submission } from '../population/repository';
import { Review, VersionListEntry } from './repository';

/** The review work's JSON shapes, as the API answers them (spec/api.md). */

/** A review; `blind` leaves out what the unit's own scores would reveal. */
export function reviewJson(review: Review, submission: Submission, blind: boolean) {
  // The stored score as a whole score: the same figures (grade, deviation) without the indicators.
  const figures = reviewFigures(submission, [], { ...review.content, wholeScore: review.reviewScore });
  return {
    code: submission.code,
    kind: submission.kind,
    kindLabel: KIND_LABELS[submission.kind],
    status: review.status,
    reviewScore: review.reviewScore === null ? null : review.reviewScore / 100,
    reviewGrade: figures.reviewGrade,
    qualityScore: review.qualityScore === null ? null : review.qualityScore / 100,
    qualityGrade: figures.qualityGrade,
    selfScore: blind ? null : submission.selfScore / 100,
    deviation: blind || figures.deviation === null ? null : figures.deviation / 100,
    deviationRate: blind || figures.deviationBp === null ? null : figures.deviationBp / 10000,
    comment: review.comment,
    indicators: review.content.indicators.map((i) => ({
      ...i,
      reviewScore: i.reviewScore === null ? null : i.reviewScore / 100,
    })),
    dimensions: review.content.dimensions,
    returnReason: review.returnReason,
    version: review.version,
    updatedBy: review.updatedByName,
    updatedAt: review.updatedAt.toISOString(),
  };
}

export const findingJson = (f: Finding) => ({
  id: f.id,
  version: f.version,
  evidence: f.evidenceIds,
  category: f.category,
  title: f.categoryTitle,
  description: f.description,
  severity: f.severity,
  source: f.source,
  author: f.authorName,
  authorRole: f.authorRole,
  organisation: f.authorOrganisation,
  withdrawn: f.withdrawnAt !== null,
  updatedAt: f.updatedAt?.toISOString() ?? null,
  earlier: f.earlier.map((v) => ({
    version: v.version,
    category: v.category,
    description: v.description,
    severity: v.severity,
    evidence: v.evidenceIds,
    replacedBy: v.replacedByName,
    replacedAt: v.replacedAt.toISOString(),
  })),
});

export const evidenceJson = (e: Evidence) => ({
  id: e.id,
  fileName: e.fileName,
  mediaType: e.mediaType,
  size: e.size,
  sha256: e.fileSha256,
  uploadedBy: e.uploadedByName,
  uploadedAt: e.uploadedAt.toISOString(),
  withdrawn: e.withdrawnAt !== null,
});

export const versionJson = (v: VersionListEntry) => ({
  version: v.version,
  action: v.action,
  status: v.status,
  by: v.changedByName,
  at: v.changedAt.toISOString(),
  reason: v.reason,
});
