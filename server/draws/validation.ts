import { parseAmountCell } from '../domain/cells';
import { Kind } from '../domain/population';
import { Method, normaliseSeed } from '../domain/sampling';

export interface DrawRequest {
  /** Undefined: generate 128 random bits. */
  seed: string | undefined;
  method: Method;
  quota: Record<Kind, number>;
  mandatoryMinBudgetFen: bigint | null;
  mandatoryCodes: string[];
  /** 上年整改未销号的单位必抽: the records marked `unrectified` at import are mandatory too. */
  mandatoryUnrectified?: boolean;
  excludeCodes: string[];
  /** Exclude the sample of this earlier round. */
  excludeRoundId: number | null;
}

export type FieldError = { field: string; message: string };

/** Codes pasted one per line, or separated by commas, semicolons or spaces. */
export function splitCodes(value: unknown): string[] {
  const parts = Array.isArray(value)
    ? value.map(String)
    : typeof value === 'string'
      ? value.split(/[\s,，;；、]+/)
      : [];
  return [...new Set(parts.map((c) => c.trim()).filter(Boolean))];
}

function quotaOf(value: unknown, field: string, errors: FieldError[]): number {
  const text = String(value ?? '').trim();
  const n = Number(text);
  if (text === '' || !Number.isInteger(n)) {
    errors.push({ field, message: '抽取数量须为整数' });
    return 0;
  }
  return n;
}

/**
 * A draw request from the form or the API: `{seed?, generateSeed?, method, quota: {project,
 * department}, mandatory?: {minBudgetWan?, codes?}, exclude?: [code], excludeRoundId?}`. The
 * form sends the same names flattened (quotaProject, minBudgetWan, ...) and a generateSeed box.
 */
export function parseDrawRequest(
  body: Record<string, unknown>,
  source: 'form' | 'api',
): { value?: DrawRequest; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const quota = (body.quota ?? {}) as Record<string, unknown>;
  const mandatory = (body.mandatory ?? {}) as Record<string, unknown>;
  const seedText = typeof body.seed === 'string' ? normaliseSeed(body.seed) : '';
  // The form asks with a checkbox; over the API a missing seed means "generate one".
  const generate = source === 'form' ? body.generateSeed === 'on' || body.generateSeed === '1' : seedText === '';
  if (!generate && seedText === '') errors.push({ field: 'seed', message: '请输入随机种子，或选择由系统生成' });
  if (seedText.length > 500) errors.push({ field: 'seed', message: '随机种子不能超过500个字' });
  const method = body.method;
  if (method !== 'srs' && method !== 'pps')
    errors.push({ field: 'method', message: '抽样方法须为简单随机抽样（srs）或按金额概率比例抽样（pps）' });
  const project = quotaOf(quota.project ?? body.quotaProject, 'quota.project', errors);
  const department = quotaOf(quota.department ?? body.quotaDepartment, 'quota.department', errors);
  const minBudget = mandatory.minBudgetWan ?? body.minBudgetWan;
  let minBudgetFen: bigint | null = null;
  if (minBudget !== undefined && minBudget !== null && String(minBudget).trim() !== '') {
    const parsed = parseAmountCell(typeof minBudget === 'number' ? minBudget : String(minBudget), '金额门槛');
    if (parsed.ok) minBudgetFen = parsed.value;
    else errors.push({ field: 'mandatory.minBudgetWan', message: `必抽金额门槛不正确：${parsed.message}` });
  }
  const excludeRound = body.excludeRoundId;
  const excludeRoundId =
    excludeRound === undefined || excludeRound === null || excludeRound === '' ? null : Number(excludeRound);
  if (excludeRoundId !== null && !Number.isSafeInteger(excludeRoundId))
    errors.push({ field: 'excludeRoundId', message: '要排除样本的批次不正确' });
  if (errors.length > 0) return { errors };
  return {
    value: {
      seed: generate && seedText === '' ? undefined : seedText,
      method: method as Method,
      quota: { project, department },
      mandatoryMinBudgetFen: minBudgetFen,
      mandatoryCodes: splitCodes(mandatory.codes ?? body.mandatoryCodes),
      mandatoryUnrectified:
        mandatory.unrectified === true || body.mandatoryUnrectified === 'on' || body.mandatoryUnrectified === true,
      excludeCodes: splitCodes(body.exclude ?? body.excludeCodes),
      excludeRoundId,
    },
    errors,
  };
}
