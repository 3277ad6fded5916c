import { appendAudit, AuditContext } from '../audit/repository';
import { Database, writeTransaction } from '../data/database';
import { FieldError, readText, TEXT_LIMITS } from '../domain/text';
import { Invalid, NotFound } from '../errors';
import { insertCategory, listCategories, nextCategoryCode, setCategoryRetired } from './repository';

/**
 * The finding categories (问题类别): P01–P18 come with the application; a bureau adds its own from
 * P19 on and retires any it no longer uses (retired ones stay on the findings that carry them).
 */
export function categoryService({ db, now }: { db: Database; now: () => Date }) {
  return {
    list: () => listCategories(db, true),

    /** A new category `{title, recommendation}`, each 4 characters or more; returns its code. */
    async create(context: AuditContext, input: Record<string, unknown>): Promise<string> {
      const errors: FieldError[] = [];
      const title = readText(input.title, 'title', '类别名称', TEXT_LIMITS.name, errors) ?? '';
      const recommendation =
        readText(input.recommendation, 'recommendation', '默认建议', TEXT_LIMITS.note, errors) ?? '';
      if ([...title].length < 4) errors.push({ field: 'title', message: '请填写类别名称（至少4个字）' });
      if ([...recommendation].length < 4)
        errors.push({ field: 'recommendation', message: '请填写默认建议（至少4个字）' });
      if (errors.length) throw new Invalid('问题类别不完整，未增加', errors);
      const at = now();
      return writeTransaction(db, async (trx) => {
        const code = await nextCategoryCode(trx);
        await insertCategory(trx, { code, title, recommendation });
        await appendAudit(
          trx,
          context,
          { action: 'category.create', objectType: 'category', objectId: code, after: { code, title, recommendation } },
          at,
        );
        return code;
      });
    },

    /** Retires a category, or restores a retired one. */
    async setRetired(context: AuditContext, code: string, retired: boolean): Promise<void> {
      const at = now();
      await writeTransaction(db, async (trx) => {
        if (!(await setCategoryRetired(trx, code, retired ? at : null))) throw new NotFound('问题类别不存在');
        await appendAudit(
          trx,
          context,
          { action: retired ? 'category.retire' : 'category.restore', objectType: 'category', objectId: code },
          at,
        );
      });
    },
  };
}
