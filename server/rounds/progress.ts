import { Queryable } from '../data/database';
import { toInt } from '../data/values';
import { ReviewStatus } from '../domain/review';

/** Where each round's work stands, for the dashboard: its sample's reviews and its announcement. */
export interface RoundProgress {
  /** Items in the round's active draw. */
  sampled: number;
  /** Reviews of those items by status; items without a review are `none`. */
  reviews: Record<ReviewStatus | 'none', number>;
  /** The announcement being drafted or awaiting approval, if any. */
  announcement: 'draft' | 'submitted' | null;
}

export async function findRoundProgress(db: Queryable): Promise<Map<number, RoundProgress>> {
  const rows = (await db('draw_picks')
    .join('draws', 'draws.id', 'draw_picks.draw_id')
    .leftJoin('reviews', 'reviews.submission_id', 'draw_picks.submission_id')
    .where('draws.status', 'active')
    .groupBy('draws.round_id', 'reviews.status')
    .select('draws.round_id', 'reviews.status')
    .count({ n: '*' })) as Array<{ round_id: number; status: ReviewStatus | null; n: unknown }>;
  const open = (await db('announcements')
    .whereIn('status', ['draft', 'submitted'])
    .select('round_id', 'status')) as Array<{ round_id: number; status: 'draft' | 'submitted' }>;
  const progress = new Map<number, RoundProgress>();
  const of = (roundId: number) => {
    let p = progress.get(roundId);
    if (!p) {
      p = { sampled: 0, reviews: { none: 0, draft: 0, submitted: 0, returned: 0, confirmed: 0 }, announcement: null };
      progress.set(roundId, p);
    }
    return p;
  };
  for (const row of rows) {
    const p = of(row.round_id);
    p.sampled += toInt(row.n);
    p.reviews[row.status ?? 'none'] += toInt(row.n);
  }
  for (const row of open) of(row.round_id).announcement = row.status;
  return progress;
}
