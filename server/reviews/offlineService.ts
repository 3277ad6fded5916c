import { appendAudit, AuditContext } from '../audit/repository';
import { Database, writeTransaction } from '../data/database';
import { Sheet, sortProblems } from '../domain/population';
import { ReviewContent, reviewFigures } from '../domain/review';
import { Conflict, Invalid, NotFound, Refused } from '../errors';
import { UnreadableFile } from '../files/formats';
import { FileReader } from '../files/reader';
import { insertFinding, listCategories } from '../findings/repository';
import { findIndicators } from '../population/repository';
import { lockRound } from '../rounds/repository';
import { Actor, canWrite, EMPTY_REVIEW, forReview, requireRound, sampledItem, snapshotOf } from './items';
import { parseResults, RESULTS_SHEET, resultsWorkbook } from './offlineSheet';
import { findReview, insertReview, insertReviewVersion, ReviewWrite, updateReview } from './repository';
import { findSampleItems } from './sampleRepository';

/**
 * Offline results for third-party agencies (import-format.md §3): the items assigned go out as a
 * sheet and come back filled, stored all or nothing at the versions they were downloaded at.
 */
export function offlineService({ db, now, files }: { db: Database; now: () => Date; files: FileReader }) {
  return {
    /** The `复核结果` sheet of the items this actor may review (a lead: all of the sample). */
    async resultsSheet(actor: Actor, roundId: number): Promise<Buffer> {
      const round = await requireRound(db, roundId);
      const items = await findSampleItems(db, roundId, actor.role === 'lead' ? undefined : actor.id);
      const rows = [];
      for (const item of items) {
        const review = await findReview(db, item.submissionId);
        rows.push({
          ...item,
          version: review?.version ?? 0,
          comment: review?.comment ?? null,
          qualityScore: review?.qualityScore ?? null,
        });
      }
      return resultsWorkbook(rows, round.blindReview && actor.role !== 'lead');
    },

    /**
     * Results filled in offline (import-format.md §3), all or nothing: every row must be an item of
     * the sample assigned to the uploader (a lead may upload any), still open, at the version it
     * was downloaded at; every problem is listed by row and column.
     */
    async importResults(
      context: AuditContext,
      actor: Actor,
      roundId: number,
      file: { name: string; data: Buffer },
    ): Promise<number> {
      let sheet: Sheet;
      try {
        // Read on the file reader's thread, within its limits, never on the server's.
        sheet = await files.readSheet(file, RESULTS_SHEET, 100_000);
      } catch (err) {
        if (err instanceof UnreadableFile)
          throw new Invalid(
            `${file.name}：${err.message}`,
            [{ sheet: RESULTS_SHEET, row: null, column: null, message: err.message }],
            'invalid_file',
          );
        throw err;
      }
      const { rows, problems } = parseResults(sheet);
      const at = now();
      return writeTransaction(db, async (trx) => {
        await requireRound(trx, roundId, lockRound);
        const categories = await listCategories(trx);
        const seen = new Set<string>();
        const refusedCodes: string[] = [];
        const plan = [];
        for (const row of rows) {
          const problem = (column: string, message: string) =>
            problems.add({ sheet: sheet.name, row: row.row, column, message });
          if (seen.has(row.code)) {
            problem('编码', `编码"${row.code}"在表中出现了不止一次`);
            continue;
          }
          seen.add(row.code);
          let target;
          try {
            target = await sampledItem(trx, actor, roundId, row.code);
          } catch (err) {
            if (!(err instanceof Refused || err instanceof NotFound)) throw err;
            if (err instanceof Refused) refusedCodes.push(row.code);
            problem('编码', `编码"${row.code}"不在本批次样本中，或未分配给您`);
            continue;
            throw err;
          }
          if (!canWrite(actor, target.assignee)) {
            refusedCodes.push(row.code);
            problem('编码', `编码"${row.code}"未分配给您`);
            continue;
          }
          const current = await findReview(trx, target.submission.id);
          if (current && current.status !== 'draft' && current.status !== 'returned') {
            problem('编码', `"${row.code}"的复核已${current.status === 'submitted' ? '提交' : '确认'}，不能再导入`);
            continue;
          }
          if (row.version !== null && row.version !== (current?.version ?? 0)) {
            problem(
              '版本（勿改）',
              `"${row.code}"的复核在系统中已是第${current?.version ?? 0}版（表中为第${row.version}版），请重新下载后再填`,
            );
            continue;
          }
          const codes = row.categories.map((c) => categories.find((x) => x.code === c || x.title === c));
          row.categories.forEach((c, i) => {
            if (!codes[i]) problem('问题类别', `问题类别"${c}"不存在`);
          });
          plan.push({ row, target, current, categoryCodes: codes.filter(Boolean).map((c) => c!.code) });
        }
        const listed = sortProblems(problems.listed, [sheet.name]);
        // Rows for items that are not the uploader's are a refusal of access, audited as such.
        if (refusedCodes.length)
          throw new Refused(
            `离线复核结果中有未分配给本人的项目：${refusedCodes.join('、').slice(0, 500)}`,
            `文件中有${refusedCodes.length}个项目不在本批次样本中或未分配给您，未导入任何复核结果`,
            listed,
          );
        if (problems.count > 0)
          throw new Invalid(`文件有${problems.count}处错误，未导入任何复核结果`, listed, 'invalid_file');
        for (const { row, target, current, categoryCodes } of plan) {
          const indicators = forReview(await findIndicators(trx, target.submission.id));
          const base = current?.content ?? {
            ...EMPTY_REVIEW,
            indicators: indicators
              .filter((i) => !i.isExecution)
              .map((i) => ({ id: i.id, reviewActual: null, reviewScore: null, rule: null, note: null })),
          };
          const content: ReviewContent = {
            ...base,
            wholeScore: row.reviewScore,
            qualityScore: row.qualityScore ?? base.qualityScore,
            comment: row.comment ?? base.comment,
          };
          const figures = reviewFigures(target.submission, indicators, content);
          const write: ReviewWrite = {
            status: current?.status === 'returned' ? 'returned' : 'draft',
            reviewScore: figures.reviewScore,
            qualityScore: content.qualityScore,
            comment: content.comment,
            content,
            returnReason: current?.returnReason ?? null,
          };
          const version = current?.version ?? 0;
          let id: number;
          if (current) {
            if (!(await updateReview(trx, current.id, version, write, actor.id, at)))
              throw new Conflict('复核在导入时被他人修改，请重新下载');
            id = current.id;
          } else id = await insertReview(trx, roundId, target.submission.id, write, actor.id, at);
          await insertReviewVersion(
            trx,
            id,
            version + 1,
            'import',
            write.status,
            snapshotOf(write),
            file.name,
            actor.id,
            at,
          );
          for (const category of categoryCodes) {
            await insertFinding(
              trx,
              {
                roundId,
                submissionId: target.submission.id,
                category,
                description: row.findingDescription!,
                severity: 'minor',
                source: 'offline',
                evidenceIds: [],
                authorId: actor.id,
                authorRole: actor.role,
                authorOrganisation: actor.organisation ?? null,
              },
              at,
            );
          }
        }
        await appendAudit(
          trx,
          context,
          {
            action: 'review.import',
            objectType: 'round',
            objectId: roundId,
            detail: `${file.name}：${plan.length}个项目`,
            after: { codes: plan.map((p) => p.row.code) },
          },
          at,
        );
        return plan.length;
      });
    },
  };
}
