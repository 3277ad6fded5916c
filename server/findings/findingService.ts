import crypto from 'node:crypto';
import { appendAudit, AuditContext } from '../audit/repository';
import { Database, Queryable, writeTransaction } from '../data/database';
import { ACCEPTED_LABELS, detectFileType, nameMatches } from '../domain/fileTypes';
import { Severity, SEVERITIES, SUGGESTED_BY_WARNING } from '../domain/findings';
import { characterCount, FieldError, readText, requiredReason, TEXT_LIMITS } from '../domain/text';
import { Conflict, Invalid, NotFound, Refused } from '../errors';
import { readStoredFile, storeFile } from '../files/repository';
import { Actor, canWrite, findingEditRefusal, lockedItem, requireOpenItem, sampledItem } from '../reviews/items';
import { findReview } from '../reviews/repository';
import { hasWritableTask } from '../rectifications/repository';
import { findEvidence, insertEvidence, withdrawEvidence } from './evidence';
import {
  findFinding,
  FindingText,
  insertFinding,
  listCategories,
  StoredFinding,
  updateFinding,
  withdrawFinding,
} from './repository';

/**
 * What a finding says, from a form or the API: a category in use, a description of at least four
 * characters, a severity, and evidence of this item only. Problems go into `errors`.
 */
async function readFindingText(
  trx: Queryable,
  submissionId: number,
  input: Record<string, unknown>,
  errors: FieldError[],
): Promise<FindingText> {
  const categories = await listCategories(trx);
  const category = typeof input.category === 'string' ? input.category.trim() : '';
  const found = categories.find((c) => c.code === category || c.title === category);
  if (!found) errors.push({ field: 'category', message: `问题类别"${category}"不存在或已停用` });
  const description = readText(input.description, 'description', '问题描述', TEXT_LIMITS.comment, errors) ?? '';
  if (characterCount(description) < 4) errors.push({ field: 'description', message: '请描述问题（至少4个字）' });
  const severity = input.severity === undefined || input.severity === '' ? 'minor' : String(input.severity);
  if (!Object.hasOwn(SEVERITIES, severity))
    errors.push({ field: 'severity', message: '严重程度须为 minor、major 或 serious（一般、较重、严重）' });
  const available = new Set((await findEvidence(trx, submissionId)).filter((e) => !e.withdrawnAt).map((e) => e.id));
  const cited = (
    Array.isArray(input.evidence)
      ? input.evidence
      : input.evidence === undefined || input.evidence === ''
        ? []
        : [input.evidence]
  ).map(Number);
  const unknownEvidence = cited.filter((id) => !available.has(id));
  if (unknownEvidence.length)
    errors.push({ field: 'evidence', message: `引用的佐证材料不属于该项目：${unknownEvidence.join('、')}` });
  return { category: found?.code ?? category, description, severity: severity as Severity, evidenceIds: cited };
}

/** A finding that moved on since it was read: the current text, to show beside what was typed. */
export class StaleFinding extends Conflict {
  constructor(readonly current: StoredFinding) {
    super(
      `该问题已被修改（当前为第${current.version}版），请核对后重新保存`,
      {
        current: {
          version: current.version,
          category: current.category,
          description: current.description,
          severity: current.severity,
          evidence: current.evidenceIds,
        },
      },
      'stale_version',
    );
  }
}

/**
 * The problems found on a sampled item (问题) and the evidence behind them (佐证材料): recorded by
 * the item's reviewer or the lead, withdrawn with a reason and never deleted, closed once the
 * lead has confirmed the review.
 */
export function findingService({ db, now }: { db: Database; now: () => Date }) {
  return {
    /** A finding on a sampled item, by its reviewer or the lead: `{category, description, severity?, source?}`. */
    async addFinding(
      context: AuditContext,
      actor: Actor,
      roundId: number,
      code: string,
      input: Record<string, unknown>,
    ): Promise<number> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        const { submission, assignee } = await lockedItem(trx, actor, roundId, code);
        if (!canWrite(actor, assignee)) throw new Refused(`无权在项目 ${code} 上记录问题`);
        await requireOpenItem(trx, submission.id, code);
        const errors: FieldError[] = [];
        const text = await readFindingText(trx, submission.id, input, errors);
        const source =
          input.source === undefined || input.source === '' || input.source === 'manual'
            ? 'manual'
            : String(input.source);
        if (
          source !== 'manual' &&
          !(source.startsWith('warning:') && Object.hasOwn(SUGGESTED_BY_WARNING, source.slice(8)))
        ) {
          errors.push({ field: 'source', message: '来源须为 manual 或 warning:<警示代码>' });
        }
        if (errors.length) throw new Invalid('问题记录不正确，未保存', errors);
        const id = await insertFinding(
          trx,
          {
            roundId,
            submissionId: submission.id,
            ...text,
            source,
            authorId: actor.id,
            authorRole: actor.role,
            authorOrganisation: actor.organisation ?? null,
          },
          at,
        );
        await appendAudit(
          trx,
          context,
          {
            action: 'finding.create',
            objectType: 'finding',
            objectId: id,
            after: {
              round: roundId,
              code,
              category: text.category,
              description: text.description,
              severity: text.severity,
              source,
            },
          },
          at,
        );
        return id;
      });
    },

    /**
     * Evidence for an item, by its reviewer, the lead, or the item's unit (marked as supplied by
     * the unit). What the file is comes from its bytes, and its name must agree; the bytes are
     * stored once, by SHA-256.
     */
    async addEvidence(
      context: AuditContext,
      actor: Actor,
      roundId: number,
      code: string,
      file: { name: string; data: Buffer },
      descriptionInput: unknown,
    ): Promise<number> {
      const errors: FieldError[] = [];
      const description =
        readText(descriptionInput, 'description', '材料说明', TEXT_LIMITS.description, errors) ?? null;
      if (errors.length) throw new Invalid(errors[0].message, errors);
      const type = detectFileType(file.data);
      if (!type)
        throw new Invalid(`不支持的文件类型：佐证材料可以是 ${ACCEPTED_LABELS}`, [
          { field: 'file', message: `"${file.name}"不是支持的文件类型` },
        ]);
      if (!nameMatches(file.name, type))
        throw new Invalid(`文件内容是${type.label}，与文件名"${file.name}"不符`, [
          { field: 'file', message: `文件内容是${type.label}，扩展名应为 .${type.extensions[0]}` },
        ]);
      const at = now();
      const sha256 = crypto.createHash('sha256').update(file.data).digest('hex');
      return writeTransaction(db, async (trx) => {
        const { submission, assignee } = await lockedItem(trx, actor, roundId, code);
        // lockedItem let a unit's contact through only for its own units' items.
        const byUnit = actor.role === 'unit';
        if (!byUnit && !canWrite(actor, assignee)) throw new Refused(`无权为项目 ${code} 上传佐证材料`);
        // After confirmation the unit still supplies the evidence of its rectification (整改).
        if (!(byUnit && (await hasWritableTask(trx, submission.id)))) await requireOpenItem(trx, submission.id, code);
        await storeFile(trx, { sha256, size: file.data.length, mediaType: type.mediaType, content: file.data }, at);
        const id = await insertEvidence(
          trx,
          {
            roundId,
            submissionId: submission.id,
            sha256,
            fileName: file.name,
            mediaType: type.mediaType,
            size: file.data.length,
            description,
            by: actor.id,
            suppliedByUnit: byUnit,
          },
          at,
        );
        await appendAudit(
          trx,
          context,
          {
            action: 'evidence.upload',
            objectType: 'evidence',
            objectId: id,
            after: {
              round: roundId,
              code,
              fileName: file.name,
              sha256,
              size: file.data.length,
              mediaType: type.mediaType,
              ...(byUnit && { suppliedByUnit: true }),
            },
          },
          at,
        );
        return id;
      });
    },

    async withdrawEvidence(
      context: AuditContext,
      actor: Actor,
      roundId: number,
      code: string,
      evidenceId: number,
      reason: unknown,
    ): Promise<void> {
      const at = now();
      await writeTransaction(db, async (trx) => {
        const { submission, assignee } = await lockedItem(trx, actor, roundId, code);
        // A unit's contact takes back only a file of its own, a wrong upload.
        const own = actor.role === 'unit';
        if (!own && !canWrite(actor, assignee)) throw new Refused(`无权撤回项目 ${code} 的佐证材料`);
        if (!(own && (await hasWritableTask(trx, submission.id)))) await requireOpenItem(trx, submission.id, code);
        if (own && (await findEvidence(trx, submission.id)).find((e) => e.id === evidenceId)?.uploadedBy !== actor.id)
          throw new Refused('单位只能撤回本单位上传的材料');
        const text = requiredReason(reason, '撤回须写明理由');
        if (!(await withdrawEvidence(trx, evidenceId, submission.id, actor.id, at, text)))
          throw new NotFound('佐证材料不存在或已撤回');
        await appendAudit(
          trx,
          context,
          { action: 'evidence.withdraw', objectType: 'evidence', objectId: evidenceId, after: { reason: text } },
          at,
        );
      });
    },

    /**
     * The bytes of an item's evidence file, for anyone who may read the item; a unit's contact
     * reads only what its unit supplied (the review team's files are theirs).
     */
    async evidenceFile(actor: Actor, roundId: number, code: string, evidenceId: number) {
      const { submission } = await sampledItem(db, actor, roundId, code);
      const evidence = (await findEvidence(db, submission.id)).find((e) => e.id === evidenceId);
      if (!evidence) throw new NotFound('佐证材料不存在');
      if (actor.role === 'unit' && !evidence.suppliedByUnit) throw new Refused('该材料不是单位提供的，不能下载');
      const file = await readStoredFile(db, evidence.fileSha256);
      if (!file) throw new NotFound('佐证材料不存在');
      return { name: evidence.fileName, mediaType: evidence.mediaType, content: file.content };
    },

    /**
     * A finding's new text, by its author, at the version they read. A reviewer or evaluator edits
     * until they submit the review (take the submission back to edit again); the lead until the
     * review is confirmed. Every earlier text is kept.
     */
    async editFinding(
      context: AuditContext,
      actor: Actor,
      roundId: number,
      code: string,
      findingId: number,
      input: Record<string, unknown>,
      version: number,
    ): Promise<StoredFinding> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        const { submission, assignee } = await lockedItem(trx, actor, roundId, code);
        if (!canWrite(actor, assignee)) throw new Refused(`无权修改项目 ${code} 的问题`);
        await requireOpenItem(trx, submission.id, code);
        const finding = await findFinding(trx, findingId);
        if (!finding || finding.submissionId !== submission.id) throw new NotFound('问题记录不存在');
        const refusal = findingEditRefusal(actor, finding, (await findReview(trx, submission.id))?.status);
        if (refusal) throw refusal;
        if (!Number.isInteger(version) || version < 1)
          throw new Invalid('缺少版本号', [{ field: 'version', message: '请提供读取该问题时的版本号' }]);
        if (version !== finding.version) throw new StaleFinding(finding);
        const errors: FieldError[] = [];
        const text = await readFindingText(trx, submission.id, input, errors);
        if (errors.length) throw new Invalid('问题记录不正确，未保存', errors);
        if (!(await updateFinding(trx, finding, text, actor.id, at))) throw new StaleFinding(finding);
        const before = {
          category: finding.category,
          description: finding.description,
          severity: finding.severity,
          evidence: finding.evidenceIds,
        };
        await appendAudit(
          trx,
          context,
          {
            action: 'finding.update',
            objectType: 'finding',
            objectId: finding.id,
            before: { version: finding.version, ...before },
            after: {
              version: finding.version + 1,
              category: text.category,
              description: text.description,
              severity: text.severity,
              evidence: text.evidenceIds,
            },
          },
          at,
        );
        return (await findFinding(trx, finding.id))!;
      });
    },

    /** Findings are withdrawn with a reason, never deleted. */
    async withdrawFinding(
      context: AuditContext,
      actor: Actor,
      roundId: number,
      code: string,
      findingId: number,
      reason: unknown,
    ): Promise<void> {
      const at = now();
      await writeTransaction(db, async (trx) => {
        const { submission, assignee } = await lockedItem(trx, actor, roundId, code);
        if (!canWrite(actor, assignee)) throw new Refused(`无权撤回项目 ${code} 的问题`);
        await requireOpenItem(trx, submission.id, code);
        const finding = await findFinding(trx, findingId);
        if (!finding || finding.submissionId !== submission.id) throw new NotFound('问题记录不存在');
        const text = requiredReason(reason, '撤回须写明理由');
        if (!(await withdrawFinding(trx, findingId, actor.id, at, text))) throw new Conflict('该问题已撤回');
        await appendAudit(
          trx,
          context,
          { action: 'finding.withdraw', objectType: 'finding', objectId: findingId, after: { reason: text } },
          at,
        );
      });
    },
  };
}
