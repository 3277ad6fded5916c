import { formatCalendarDateZh, todayCst, workingDays } from '../domain/dates';
import { Response, Router } from 'express';
import { NotFound } from '../errors';
import { Services } from '../services';

import { announcementJson, dateLine, documentView, figuresView, sendDocx } from './present';

/** The published announcements, for anyone: no login. */

export function publicAnnouncementRoutes({ services }: { services: Services }): Router {
  const router = Router();

  async function find(slug: string, version?: string) {
    const n = version === undefined ? undefined : Number(version);
    if (n !== undefined && !Number.isSafeInteger(n)) throw new NotFound('没有这份公示');
    const found = await services.announcements.published(slug, n);
    if (!found) throw new NotFound('没有这份公示');
    return found;
  }

  async function respond(res: Response, name: string, version?: string) {
    const [slug, ext] = name.endsWith('.json')
      ? [name.slice(0, -5), 'json']
      : name.endsWith('.docx')
        ? [name.slice(0, -5), 'docx']
        : [name, 'html'];
    const { view, versions, latest } = await find(slug, version);
    const a = view.announcement;
    if (ext === 'json')
      return res.json({
        ...announcementJson(view, `/p/${slug}${version ? `/v/${version}` : ''}`),
        versions: versions.map((v) => ({
          version: v.version,
          publishedAt: v.publishedAt?.toISOString(),
          correctionNote: v.correctionNote,
          url: `/p/${slug}/v/${v.version}`,
        })),
      });
    if (ext === 'docx') return sendDocx(res, view, `${a.title}（第${a.version}版）.docx`);
    // Whether the 公示期 is still open, by today's date in Beijing.
    const publicity = view.figures.publicity;
    const period = publicity?.publishedOn ? workingDays(publicity.publishedOn, publicity.days) : null;
    res.render('announcements/public', {
      ...documentView(view),
      layout: 'public',
      publicity: period && {
        from: formatCalendarDateZh(period.first),
        to: formatCalendarDateZh(period.last),
        days: publicity!.days,
        open: todayCst(services.now()) <= period.last,
        contact: publicity!.contact,
      },
      // The page is the 公示 itself; the draw's public page is the one for checking (公开核验).
      publicSection: '公示',
      ...figuresView(view.figures),
      announcement: a,
      bureau: view.round.bureau ?? '财政局',
      dateLine: dateLine(a.publishedAt),
      isLatest: a.version === latest,
      latestHref: `/p/${slug}`,
      base: `/p/${slug}${version ? `/v/${version}` : ''}`,
      versions: versions.map((v) => ({
        version: v.version,
        publishedAt: v.publishedAt,
        correctionNote: v.correctionNote,
        href: `/p/${slug}/v/${v.version}`,
        current: v.version === a.version,
      })),
      // The page links within this site; the absolute address (FUHE_PUBLIC_URL) is for the printed text.
      drawUrl: new URL(view.figures.draw.publicUrl).pathname,
    });
  }

  router.get('/p/:name', async (req, res, next) => {
    if (req.params.name === 'verify-draw.js' || req.params.name === 'draws') return next();
    return respond(res, String(req.params.name));
  });
  router.get('/p/:slug/v/:version', (req, res) => {
    const version = String(req.params.version);
    const [n, ext] = version.endsWith('.json')
      ? [version.slice(0, -5), '.json']
      : version.endsWith('.docx')
        ? [version.slice(0, -5), '.docx']
        : [version, ''];
    return respond(res, `${String(req.params.slug)}${ext}`, n);
  });
  return router;
}
