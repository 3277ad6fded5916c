import { Router } from 'express';
import { Invalid, Refused } from '../errors';
import { MAX_UPLOAD_BYTES } from '../files/formats';
import { AccessControl } from '../http/access';
import { auditContextOf } from '../http/context';
import { sendAs } from '../http/download';
import { idParam } from '../http/params';
import { readMultipart } from '../http/upload';
import { Services } from '../services';
import { Flash } from '../sessions/repository';
import { actorOf } from './itemRoutes';

/** Offline results for agencies: the sheet of one's items to download, and the filled one to upload. */
export function offlinePageRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();
  const signedIn = access.requireSignedIn;

  router.get('/rounds/:id/results.xlsx', signedIn, async (req, res) => {
    const user = req.user!;
    if (!['lead', 'reviewer', 'evaluator'].includes(user.role)) throw new Refused('只有复核人员下载离线复核表');
    const data = await services.offline.resultsSheet(actorOf(req), idParam(req));
    sendAs(res, `复核结果-${idParam(req)}-${user.username}.xlsx`);
    res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    res.send(data);
  });

  router.post('/rounds/:id/results', signedIn, async (req, res) => {
    const roundId = idParam(req);
    const form = await readMultipart(req, { fileFields: ['file'], maxFileBytes: MAX_UPLOAD_BYTES });
    try {
      if (!form.files.file) throw new Invalid('请选择要上传的复核结果文件');
      const count = await services.offline.importResults(auditContextOf(req), actorOf(req), roundId, form.files.file);
      await req.flash({ notice: `已导入 ${count} 个项目的复核结果` });
    } catch (err) {
      if (!(err instanceof Invalid || err instanceof Refused)) throw err;
      await req.flash({ error: err.message, details: err.details as Flash['details'] });
    }
    res.redirect(303, `/work?round=${roundId}`);
  });

  return router;
}

export function offlineApiRoutes({ services, access }: { services: Services; access: AccessControl }): Router {
  const router = Router();

  router.post('/rounds/:id/reviews/import', access.requireSignedIn, async (req, res) => {
    const form = await readMultipart(req, { fileFields: ['file'], maxFileBytes: MAX_UPLOAD_BYTES });
    if (!form.files.file) throw new Invalid('缺少文件：请用 multipart/form-data 的 file 字段上传');
    const imported = await services.offline.importResults(
      auditContextOf(req),
      actorOf(req),
      idParam(req),
      form.files.file,
    );
    res.json({ imported });
  });

  return router;
}
