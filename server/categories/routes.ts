import { Router } from 'express';
import { Invalid } from '../errors';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { objectBody, trimmed } from '../http/input';
import { Services } from '../services';

/** The finding categories page: the list, a form to add one, and retiring or restoring each. */
export function categoryRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const canManage = access.requirePermission('reviews.assign');

  router.get('/categories', canManage, async (req, res) => {
    res.render('reviews/categories', {
      title: '问题类别',
      categories: await services.categories.list(),
      saved: req.query.saved === '1',
    });
  });

  router.post('/categories', canManage, async (req, res) => {
    const form = objectBody(req.body);
    try {
      await services.categories.create(auditContextOf(req), form);
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      // The form again with what was typed, and each problem beside its field.
      res.status(422);
      return res.render('reviews/categories', {
        title: '问题类别',
        categories: await services.categories.list(),
        error: err.message,
        errors: err.details,
        form,
      });
    }
    res.redirect(303, '/categories?saved=1');
  });

  router.post('/categories/:code/retire', canManage, async (req, res) => {
    await services.categories.setRetired(
      auditContextOf(req),
      String(req.params.code),
      trimmed(objectBody(req.body).restore) !== '1',
    );
    res.redirect(303, '/categories?saved=1');
  });

  return router;
}
