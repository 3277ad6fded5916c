import { trimmed } from '../http/input';
import { Router } from 'express';
import { appendAudit } from '../audit/repository';
import { Database } from '../data/database';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { insertCategory, listCategories, nextCategoryCode, setCategoryRetired } from '../findings/repository';

const str = trimmed;

/**
 * The finding categories (问题类别): P01–P18 come with the application; a bureau adds its own from
 * P19 on and retires any it no longer uses (retired ones stay on the findings that carry them).
 */
export function categoryRoutes({ db, access, now }: { db: Database; access: AccessControl; now: () => Date }): Router {
  const router = Router();
  const canManage = access.requirePermission('reviews.assign');

  router.get('/categories', canManage, async (req, res) => {
    res.render('reviews/categories', {
      title: '问题类别',
      categories: await listCategories(db, true),
      saved: req.query.saved === '1',
      error: str(req.query.error) || undefined,
    });
  });

  router.post('/categories', canManage, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const title = str(body.title);
    const recommendation = str(body.recommendation);
    if (title.length < 4 || recommendation.length < 4) return res.redirect(303, `/categories?error=${encodeURIComponent('请填写类别名称和默认建议（各至少4个字）')}`);
    const at = now();
    await db.transaction(async (trx) => {
      const code = await nextCategoryCode(trx);
      await insertCategory(trx, { code, title: title.slice(0, 200), recommendation: recommendation.slice(0, 2000) });
      await appendAudit(trx, auditContextOf(req), { action: 'category.create', objectType: 'category', objectId: code, after: { code, title, recommendation } }, at);
    });
    res.redirect(303, '/categories?saved=1');
  });

  router.post('/categories/:code/retire', canManage, async (req, res) => {
    const code = String(req.params.code);
    const restore = str((req.body as Record<string, unknown>).restore) === '1';
    const at = now();
    await db.transaction(async (trx) => {
      if (!(await setCategoryRetired(trx, code, restore ? null : at))) return;
      await appendAudit(trx, auditContextOf(req), { action: restore ? 'category.restore' : 'category.retire', objectType: 'category', objectId: code }, at);
    });
    res.redirect(303, '/categories?saved=1');
  });

  return router;
}
