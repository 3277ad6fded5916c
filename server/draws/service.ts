import crypto from 'node:crypto';
import { appendAudit, AuditContext } from '../audit/repository';
import { Database, Queryable, writeTransaction } from '../data/database';
import { fenToWan } from '../domain/money';
import { Kind, KIND_LABELS, KINDS } from '../domain/population';
import { canonicalFile, drawSample, DrawResult, PopulationRecord, PROCEDURE } from '../domain/sampling';
import { WARNINGS } from '../domain/warnings';
import { Conflict, DomainError, Invalid, NotFound } from '../errors';
import { requiredReason } from '../domain/text';
import { findPopulationRecords, findSubmissionIds, findWarnedCodes } from '../population/repository';
import { findActiveImport } from '../population/importRepository';
import { readStoredFile, storeFile } from '../files/repository';
import { DRAW_CANCELLED, endRoundAssignments } from '../reviews/sampleRepository';
import { findRound, lockRound, Round } from '../rounds/repository';
import {
  cancelDraw,
  Draw,
  findActiveDraw,
  findDraw,
  findDrawByPublicId,
  findPicks,
  insertDraw,
  insertExpansion,
  insertPicks,
  listDraws,
  NewPick,
  setRoundState,
  StoredPick,
  updateDrawStrata,
} from './repository';
import { DrawRequest, FieldError } from './validation';

/** What the audit log keeps of a draw. */
function auditView(draw: Draw, picks?: number) {
  return {
    procedure: draw.procedure,
    publicId: draw.publicId,
    seed: draw.seed,
    method: draw.method,
    quota: draw.quota,
    mandatoryMinBudgetWan: draw.mandatoryMinBudgetFen === null ? null : fenToWan(draw.mandatoryMinBudgetFen),
    mandatoryCodes: draw.mandatoryCodes,
    excludeCodes: draw.excludeCodes.length,
    fingerprint: draw.fingerprint,
    status: draw.status,
    ...(picks !== undefined && { picks }),
  };
}

const isUniqueViolation = (err: unknown) => /unique|duplicate key/i.test(String((err as Error)?.message));

/** Stores a canonical population file under its SHA-256, which must be the draw's fingerprint. */
async function storeCanonicalFile(q: Queryable, content: Buffer, fingerprint: string, at: Date): Promise<void> {
  const sha256 = crypto.createHash('sha256').update(content).digest('hex');
  if (sha256 !== fingerprint)
    throw new Error(`the canonical population file (${sha256}) does not match the fingerprint ${fingerprint}`);
  await storeFile(
    q,
    { sha256, size: content.length, mediaType: 'text/tab-separated-values; charset=utf-8', content },
    at,
  );
}

export function drawService({ db, now }: { db: Database; now: () => Date }) {
  async function requireRound(roundId: number): Promise<Round> {
    const round = Number.isSafeInteger(roundId) ? await findRound(db, roundId) : undefined;
    if (!round) throw new NotFound('复核批次不存在');
    return round;
  }

  async function requireDraw(drawId: number): Promise<Draw> {
    const draw = Number.isSafeInteger(drawId) ? await findDraw(db, drawId) : undefined;
    if (!draw) throw new NotFound('抽样记录不存在');
    return draw;
  }

  /** Checks a request against the population; every problem at once. */
  async function resolve(q: Queryable, round: Round, request: DrawRequest, population: readonly PopulationRecord[]) {
    const errors: FieldError[] = [];
    if (population.length === 0) throw new Conflict('本批次还没有导入自评记录，无法抽样');
    const sizes: Record<Kind, number> = { project: 0, department: 0 };
    for (const r of population) sizes[r.kind] += 1;
    // Only needed to check pasted codes or an earlier sample against this population.
    const needsCodes =
      request.mandatoryCodes.length > 0 || request.excludeCodes.length > 0 || request.excludeRoundId !== null;
    const codes = new Set(needsCodes ? population.map((r) => r.code) : []);
    for (const kind of KINDS) {
      const quota = request.quota[kind];
      const field = `quota.${kind}`;
      if (sizes[kind] === 0 && quota !== 0)
        errors.push({ field, message: `总体中没有${KIND_LABELS[kind]}，抽取数量应为0` });
      else if (sizes[kind] > 0 && quota < 1) errors.push({ field, message: `${KIND_LABELS[kind]}抽取数量不能小于1` });
      else if (quota > sizes[kind])
        errors.push({ field, message: `${KIND_LABELS[kind]}抽取数量${quota}超过总体数量${sizes[kind]}` });
    }
    const unknownMandatory = request.mandatoryCodes.filter((c) => !codes.has(c));
    if (unknownMandatory.length)
      errors.push({
        field: 'mandatory.codes',
        message: `必抽编码在总体中不存在：${unknownMandatory.slice(0, 20).join('、')}${unknownMandatory.length > 20 ? ` 等${unknownMandatory.length}个` : ''}`,
      });
    const unknownExcluded = request.excludeCodes.filter((c) => !codes.has(c));
    if (unknownExcluded.length)
      errors.push({
        field: 'exclude',
        message: `排除编码在总体中不存在：${unknownExcluded.slice(0, 20).join('、')}${unknownExcluded.length > 20 ? ` 等${unknownExcluded.length}个` : ''}`,
      });
    let excludeCodes = request.excludeCodes;
    let excludeNote: string | null = null;
    if (request.excludeRoundId !== null) {
      const earlier = request.excludeRoundId === round.id ? undefined : await findRound(q, request.excludeRoundId);
      const earlierDraw = earlier && (await findActiveDraw(q, earlier.id));
      if (!earlier || !earlierDraw) {
        errors.push({ field: 'excludeRoundId', message: '要排除样本的批次不存在或尚未抽样' });
      } else {
        // Codes of last year's sample that are not in this population simply do not apply.
        const fromSample = (await findPicks(q, earlierDraw.id)).map((p) => p.code).filter((c) => codes.has(c));
        excludeCodes = [...new Set([...excludeCodes, ...fromSample])];
        excludeNote = `排除"${earlier.title}"的样本（${fromSample.length}个编码在本批次总体中）`;
      }
    }
    // 上年整改未销号的单位必抽: the codes of the records marked at import join the mandatory ones.
    let mandatoryCodes = request.mandatoryCodes;
    let mandatoryNote: string | null = null;
    if (request.mandatoryUnrectified) {
      const flagged = await findWarnedCodes(q, round.id, WARNINGS.unrectified.bit);
      mandatoryCodes = [...new Set([...mandatoryCodes, ...flagged])];
      mandatoryNote = `以前年度整改未销号的单位必抽（${flagged.length}个编码）`;
    }
    if (errors.length) throw new Invalid('抽样参数不正确，未抽样', errors);
    return { excludeCodes, excludeNote, mandatoryCodes, mandatoryNote, sizes };
  }

  /** The round's population as the draw reads it, or none before an import. */
  async function recordsOf(q: Queryable, roundId: number): Promise<readonly PopulationRecord[]> {
    return (await findActiveImport(q, roundId)) ? findPopulationRecords(q, roundId) : [];
  }

  /** The picks with the ids of their records, looked up by code. */
  async function picksOf(q: Queryable, roundId: number, picks: DrawResult['picks']): Promise<NewPick[]> {
    const ids = await findSubmissionIds(
      q,
      roundId,
      picks.map((p) => p.code),
    );
    return picks.map((p) => ({
      submissionId: ids.get(p.code)!,
      code: p.code,
      kind: p.kind,
      reason: p.reason,
      rank: p.rank,
      u: p.u,
    }));
  }

  return {
    /** How many records each stratum has, and would have eligible and mandatory under the rules. */
    async preview(roundId: number, request: DrawRequest) {
      const round = await requireRound(roundId);
      const population = await recordsOf(db, roundId);
      const { excludeCodes, mandatoryCodes } = await resolve(db, round, request, population);
      const result = drawSample(population, {
        seed: 'preview',
        method: request.method,
        quota: { project: 0, department: 0 },
        mandatoryMinBudgetFen: request.mandatoryMinBudgetFen,
        mandatoryCodes,
        excludeCodes,
      });
      return result.strata;
    },

    async create(context: AuditContext, roundId: number, request: DrawRequest): Promise<Draw> {
      await requireRound(roundId);
      const seedGenerated = request.seed === undefined;
      const seed = request.seed ?? crypto.randomBytes(16).toString('hex');
      const at = now();
      try {
        return await writeTransaction(db, async (trx) => {
          const round = await lockRound(trx, roundId);
          if (!round) throw new NotFound('复核批次不存在');
          if (await findActiveDraw(trx, roundId))
            throw new Conflict('本批次已有有效的抽样；如需重新抽样，请先作废当前抽样并说明理由');
          if (!(await findActiveImport(trx, roundId))) throw new Conflict('本批次还没有导入自评记录，无法抽样');
          const population = await recordsOf(trx, roundId);
          const { excludeCodes, excludeNote, mandatoryCodes, mandatoryNote, sizes } = await resolve(
            trx,
            round,
            request,
            population,
          );
          const result = drawSample(population, {
            seed,
            method: request.method,
            quota: request.quota,
            mandatoryMinBudgetFen: request.mandatoryMinBudgetFen,
            mandatoryCodes,
            excludeCodes,
          });
          const drawId = await insertDraw(trx, {
            roundId,
            publicId: crypto.randomBytes(12).toString('base64url'),
            procedure: PROCEDURE,
            seed,
            seedGenerated,
            method: request.method,
            initialQuota: request.quota,
            mandatoryMinBudgetFen: request.mandatoryMinBudgetFen,
            mandatoryCodes,
            excludeCodes,
            excludeNote,
            mandatoryNote,
            population: sizes,
            fingerprint: result.fingerprint,
            strata: result.strata,
            createdBy: context.actor!.id,
            createdAt: at,
          });
          await insertPicks(trx, drawId, null, await picksOf(trx, roundId, result.picks));
          // The canonical population file, kept by its SHA-256 (the fingerprint): the public page serves it as stored.
          await storeCanonicalFile(trx, canonicalFile(population), result.fingerprint, at);
          // The population is frozen from the first draw on.
          if (round.state === 'preparing') await setRoundState(trx, roundId, 'drawn', at);
          const draw = (await findDraw(trx, drawId))!;
          await appendAudit(
            trx,
            context,
            {
              action: 'draw.create',
              objectType: 'round',
              objectId: roundId,
              after: auditView(draw, result.picks.length),
            },
            at,
          );
          return draw;
        });
      } catch (err) {
        // Two requests (or two instances) drawing at once: the unique index lets one win.
        if (!(err instanceof DomainError) && isUniqueViolation(err))
          throw new Conflict('本批次已有有效的抽样；如需重新抽样，请先作废当前抽样并说明理由');
        throw err;
      }
    },

    /** Step 7: a larger quota continues the order; earlier picks and ranks never change. */
    async expand(context: AuditContext, drawId: number, quota: Record<Kind, number>): Promise<Draw> {
      const at = now();
      return writeTransaction(db, async (trx) => {
        const before = await findDraw(trx, drawId);
        if (!before) throw new NotFound('抽样记录不存在');
        await lockRound(trx, before.roundId);
        if (before.status !== 'active') throw new Conflict('该抽样已作废，不能扩大');
        const errors: FieldError[] = [];
        for (const kind of KINDS) {
          if (!Number.isInteger(quota[kind])) errors.push({ field: `quota.${kind}`, message: '抽取数量须为整数' });
          else if (quota[kind] < before.quota[kind])
            errors.push({
              field: `quota.${kind}`,
              message: `${KIND_LABELS[kind]}扩大后的数量${quota[kind]}小于当前数量${before.quota[kind]}`,
            });
          else if (quota[kind] > before.population[kind])
            errors.push({
              field: `quota.${kind}`,
              message: `${KIND_LABELS[kind]}抽取数量${quota[kind]}超过总体数量${before.population[kind]}`,
            });
        }
        if (!errors.length && KINDS.every((k) => quota[k] === before.quota[k]))
          errors.push({ field: 'quota', message: '扩大后的数量与当前相同，至少一类要增加' });
        if (errors.length) throw new Invalid('扩大抽样的数量不正确，未扩大', errors);

        const population = await recordsOf(trx, before.roundId);
        const result = drawSample(
          population,
          {
            seed: before.seed,
            method: before.method,
            quota,
            mandatoryMinBudgetFen: before.mandatoryMinBudgetFen,
            mandatoryCodes: before.mandatoryCodes,
            excludeCodes: before.excludeCodes,
          },
          before.quota,
        );
        if (result.fingerprint !== before.fingerprint) throw new Conflict('总体与抽样时不一致，不能扩大抽样');
        const stored = await findPicks(trx, drawId);
        const key = (p: { kind: string; rank: number; code: string }) => `${p.kind}:${p.rank}:${p.code}`;
        const earlier = new Set(stored.map(key));
        const fresh = result.picks.filter((p) => !earlier.has(key(p)));
        // FUHE-DRAW-1 step 7 guarantees this; checking it costs nothing and would catch a broken change.
        if (result.picks.length - fresh.length !== stored.length) throw new Error('expansion changed earlier picks');
        const expansionId = await insertExpansion(trx, drawId, quota, context.actor!.id, at);
        await insertPicks(trx, drawId, expansionId, await picksOf(trx, before.roundId, fresh));
        await updateDrawStrata(trx, drawId, result.strata);
        const after = (await findDraw(trx, drawId))!;
        await appendAudit(
          trx,
          context,
          {
            action: 'draw.expand',
            objectType: 'round',
            objectId: before.roundId,
            before: auditView(before, stored.length),
            after: auditView(after, result.picks.length),
          },
          at,
        );
        return after;
      });
    },

    async cancel(context: AuditContext, drawId: number, reason: string): Promise<Draw> {
      const text = requiredReason(reason, '请写明作废理由（至少4个字）', { label: '作废理由', min: 4 });
      const at = now();
      return writeTransaction(db, async (trx) => {
        const before = await findDraw(trx, drawId);
        if (!before) throw new NotFound('抽样记录不存在');
        await lockRound(trx, before.roundId);
        if (!(await cancelDraw(trx, drawId, context.actor!.id, at, text))) throw new Conflict('该抽样已经作废');
        // Its items leave everyone's work with it; a new draw starts with no assignments.
        const ended = await endRoundAssignments(trx, before.roundId, context.actor!.id, at, DRAW_CANCELLED);
        const after = (await findDraw(trx, drawId))!;
        await appendAudit(
          trx,
          context,
          {
            action: 'draw.cancel',
            objectType: 'round',
            objectId: before.roundId,
            before: auditView(before),
            after: { ...auditView(after), reason: text, endedAssignments: ended },
          },
          at,
        );
        return after;
      });
    },

    get: requireDraw,
    active: (roundId: number) => findActiveDraw(db, roundId),
    list: (roundId: number) => listDraws(db, roundId),
    picks: (drawId: number): Promise<StoredPick[]> => findPicks(db, drawId),

    async byPublicId(publicId: string): Promise<Draw> {
      const draw = /^[A-Za-z0-9_-]{8,32}$/.test(publicId) ? await findDrawByPublicId(db, publicId) : undefined;
      if (!draw) throw new NotFound('抽样记录不存在');
      return draw;
    },

    /**
     * The canonical population file of a draw: exactly what its fingerprint is the SHA-256 of, as
     * stored when it was drawn (a draw made before files were stored gets it built and kept once).
     */
    async canonicalFile(draw: Draw): Promise<Buffer> {
      const stored = await readStoredFile(db, draw.fingerprint);
      if (stored) return stored.content;
      const content = canonicalFile(await recordsOf(db, draw.roundId));
      await storeCanonicalFile(db, content, draw.fingerprint, now());
      return content;
    },
  };
}
