import path from 'node:path';
import { sendAs } from '../http/download';
import { Router } from 'express';
import { Kind, KIND_LABELS, KINDS } from '../domain/population';
import { formatU, REASONS, seedKey } from '../domain/sampling';
import { Services } from '../services';

import { drawJson, drawView, expectedOutput } from './present';

/** Public pages: no login. Everything needed to re-draw, and nothing else about the round. */

export function publicDrawRoutes({ services }: { services: Services }): Router {
  const router = Router();

  router.get('/p/draws/:publicId.json', async (req, res) => {
    const draw = await services.draws.byPublicId(String(req.params.publicId));
    res.json(drawJson(draw, await services.draws.picks(draw.id)));
  });

  router.get('/p/draws/:publicId', async (req, res) => {
    const draw = await services.draws.byPublicId(String(req.params.publicId));
    const round = await services.rounds.get(draw.roundId);
    const picks = await services.draws.picks(draw.id);
    // Each pick's name, unit and department beside its code (the announcement names them too).
    const records = new Map((await services.population.byIds(picks.map((p) => p.submissionId))).map((s) => [s.id, s]));
    // The round's other draws: a sample drawn more than once says so, and each draw links to the rest.
    const others = (await services.draws.list(draw.roundId))
      .filter((d) => d.id !== draw.id)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((d) => ({
        createdAt: d.createdAt,
        status: d.status,
        seed: d.seed,
        cancelledAt: d.cancelledAt,
        cancelReason: d.cancelReason,
        href: `/p/draws/${d.publicId}`,
      }));
    res.render('draws/public', {
      title: `抽样公示：${round.title}`,
      layout: 'public',
      others,
      drawCount: others.length + 1,
      drawCheck: true,
      // What the in-browser check compares with: the draw as published, and its rules.
      check: {
        publicId: draw.publicId,
        seed: draw.seed,
        K: seedKey(draw.seed),
        method: draw.method,
        fingerprint: draw.fingerprint,
        population: draw.population,
        quota: draw.quota,
        initialQuota: draw.expansions.length ? draw.initialQuota : draw.quota,
        mandatoryMinBudgetFen: draw.mandatoryMinBudgetFen === null ? null : String(draw.mandatoryMinBudgetFen),
        mandatoryCodes: draw.mandatoryCodes,
        excluded: draw.excludeCodes.length > 0,
        picks: picks.map((p) => ({ kind: p.kind, rank: p.rank, code: p.code, reason: p.reason, u: p.u })),
      },
      round: { title: round.title, bureau: round.bureau, workPlanRef: round.workPlanRef, fiscalYear: round.fiscalYear },
      draw: drawView(draw),
      strata: KINDS.map((kind: Kind) => ({
        label: KIND_LABELS[kind],
        items: picks
          .filter((p) => p.kind === kind)
          .map((p) => {
            const record = records.get(p.submissionId);
            return {
              ...p,
              name: record?.name,
              unit: record?.unit,
              department: record?.department,
              reasonLabel: REASONS[p.reason],
              uText: p.u.toFixed(6),
              uFull: formatU(p.u),
            };
          }),
      })),
    });
  });

  // The file never changes (its SHA-256 is the draw's fingerprint): served as stored, with that as its ETag.
  router.get('/p/draws/:publicId/population.tsv', async (req, res) => {
    const draw = await services.draws.byPublicId(String(req.params.publicId));
    res.set({ ETag: `"${draw.fingerprint}"`, 'Cache-Control': 'public, max-age=86400' });
    if (req.fresh) return void res.status(304).end();
    sendAs(res, 'population.tsv');
    res.type('text/tab-separated-values; charset=utf-8');
    res.send(await services.draws.canonicalFile(draw));
  });

  router.get('/p/draws/:publicId/exclude.txt', async (req, res) => {
    const draw = await services.draws.byPublicId(String(req.params.publicId));
    sendAs(res, 'exclude.txt');
    res.type('text/plain; charset=utf-8');
    res.send(draw.excludeCodes.map((c) => `${c}\n`).join(''));
  });

  // The seed as a file, for `--seed-file`: no shell's quoting rules touch it (PowerShell, cmd.exe).
  router.get('/p/draws/:publicId/seed.txt', async (req, res) => {
    const draw = await services.draws.byPublicId(String(req.params.publicId));
    sendAs(res, 'seed.txt');
    res.type('text/plain; charset=utf-8');
    res.send(`${draw.seed}\n`);
  });

  router.get('/p/draws/:publicId/expected.txt', async (req, res) => {
    const draw = await services.draws.byPublicId(String(req.params.publicId));
    res.type('text/plain; charset=utf-8');
    res.send(expectedOutput(draw, await services.draws.picks(draw.id)));
  });

  // The same script and seedrandom's browser build, as the page's own scripts (not as downloads).
  router.get('/static/vendor/verify-draw.js', (_req, res) => {
    res.type('application/javascript; charset=utf-8');
    res.sendFile(require.resolve('../../scripts/verify-draw.js'));
  });
  router.get('/static/vendor/seedrandom.min.js', (_req, res) => {
    res.type('application/javascript; charset=utf-8');
    res.sendFile(path.join(path.dirname(require.resolve('seedrandom')), 'seedrandom.min.js'));
  });

  router.get('/p/verify-draw.js', (_req, res) => {
    sendAs(res, 'verify-draw.js');
    res.type('application/javascript; charset=utf-8');
    res.sendFile(require.resolve('../../scripts/verify-draw.js'));
  });

  return router;
}
