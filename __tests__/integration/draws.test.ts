import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { csrfOf, lastAudit, login, SETUP_CONTEXT, startTestApp, TestApp } from '../helpers/testApp';

const FIXTURES = path.resolve(__dirname, '../fixtures');
const VERIFY = path.resolve(__dirname, '../../scripts/verify-draw.js');

let t: TestApp;
let lead: string;
let reviewer: string;
let evaluator: string;

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('lead1', 'lead');
  await t.createUser('rev1', 'reviewer');
  await t.createUser('eval1', 'evaluator');
  lead = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'lead1', 't')).token;
  reviewer = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'rev1', 't')).token;
  evaluator = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'eval1', 't')).token;
});
afterAll(() => t.close());

const as = (token = lead) => ({ Authorization: `Bearer ${token}` });

/** The reference population of spec/sampling.md as a CSV, in its own (irrelevant) file order. */
const REFERENCE_CSV = [
  '类型,编码,主管部门,预算单位,项目名称,预算数（万元）,自评得分',
  '项目支出,P-003,县民政局,县民政局,甲,1200,95',
  '项目支出,P-001,县民政局,县民政局,乙,54,98',
  '部门整体支出,D-001,县民政局,县民政局,,4525.8,99',
  '项目支出,P-002,县民政局,县民政局,丙,0,88',
  '部门整体支出,D-002,县教育局,县教育局,,91,91',
].join('\n');

async function roundWith(file: Buffer, name: string): Promise<number> {
  const created = await t
    .agent()
    .post('/api/rounds')
    .set(as())
    .send({ title: '2023年度绩效自评结果抽查复核', fiscalYear: 2023, deadline: '2024-03-31' });
  const id = created.body.id as number;
  if (file.length)
    expect((await t.agent().post(`/api/rounds/${id}/population`).set(as()).attach('file', file, name)).status).toBe(
      201,
    );
  return id;
}

const draw = (roundId: number, body: object, token = lead) =>
  t.agent().post(`/api/rounds/${roundId}/draws`).set(as(token)).send(body);
const pickCodes = (res: { body: { items: Array<{ code: string }> } }) => res.body.items.map((i) => i.code);

describe('a draw through the app is FUHE-DRAW-1 exactly', () => {
  it('reproduces the reference vector of spec/sampling.md (srs and pps)', async () => {
    const srsRound = await roundWith(Buffer.from(REFERENCE_CSV), 'ref.csv');
    const srs = await draw(srsRound, {
      seed: '  福彩3D-2024347-5-1-8 ',
      method: 'srs',
      quota: { project: 2, department: 1 },
    });
    expect(srs.status).toBe(201);
    expect(srs.body).toMatchObject({
      procedure: 'FUHE-DRAW-1',
      seed: '福彩3D-2024347-5-1-8',
      seedGenerated: false,
      fingerprint: '90ad0199d403e8a084fd10616570cd69b208ae2dbd22e28d25f09974cc3cbd72',
      population: { project: 3, department: 2 },
    });
    expect(srs.body.items).toEqual([
      { code: 'P-003', kind: 'project', reason: 'random', rank: 1, u: 0.28550911708075355 },
      { code: 'P-002', kind: 'project', reason: 'random', rank: 2, u: 0.7004669893177615 },
      { code: 'D-002', kind: 'department', reason: 'random', rank: 1, u: 0.028217414172646005 },
    ]);
    const ppsRound = await roundWith(Buffer.from(REFERENCE_CSV), 'ref.csv');
    const pps = await draw(ppsRound, {
      seed: '福彩3D-2024347-5-1-8',
      method: 'pps',
      quota: { project: 2, department: 1 },
    });
    expect(pickCodes(pps)).toEqual(['P-001', 'P-003', 'D-001']);
    // The round is drawn and its population frozen.
    expect((await t.agent().get(`/api/rounds/${ppsRound}`).set(as())).body.state).toBe('drawn');
    const again = await t
      .agent()
      .post(`/api/rounds/${ppsRound}/population`)
      .set(as())
      .attach('file', Buffer.from(REFERENCE_CSV), 'ref.csv');
    expect(again.status).toBe(409);
    expect((await lastAudit(t.db, 'draw.create')).after).toContain('90ad0199');
  });

  it('generates a 128-bit seed when none is given', async () => {
    const id = await roundWith(fs.readFileSync(path.join(FIXTURES, 'round-2023.xlsx')), 'round-2023.xlsx');
    const res = await draw(id, { method: 'srs', quota: { project: 20, department: 2 } });
    expect(res.status).toBe(201);
    expect(res.body.seed).toMatch(/^[0-9a-f]{32}$/);
    expect(res.body.seedGenerated).toBe(true);
    expect(res.body.items).toHaveLength(22);
  });
});

describe('bad requests store nothing', () => {
  let id: number;
  beforeEach(async () => {
    id = await roundWith(fs.readFileSync(path.join(FIXTURES, 'round-2023.xlsx')), 'round-2023.xlsx');
  });
  const count = async () => Number((await t.db('draws').where('round_id', id).count({ n: '*' }).first())!.n);

  it.each([
    [{ seed: 's', method: 'srs', quota: { project: 0, department: 2 } }, '项目支出抽取数量不能小于1'],
    [{ seed: 's', method: 'srs', quota: { project: 34, department: 2 } }, '项目支出抽取数量34超过总体数量33'],
    [{ seed: 's', method: 'srs', quota: { project: 2.5, department: 2 } }, '抽取数量须为整数'],
    [{ seed: 's', method: 'random', quota: { project: 2, department: 2 } }, '抽样方法须为简单随机抽样（srs）'],
    [
      { seed: 's', method: 'srs', quota: { project: 2, department: 2 }, mandatory: { minBudgetWan: '-5' } },
      '必抽金额门槛不正确：金额门槛不能为负数"-5"',
    ],
    [
      { seed: 's', method: 'srs', quota: { project: 2, department: 2 }, mandatory: { minBudgetWan: '5万' } },
      '必抽金额门槛不正确：不是数字"5万"',
    ],
    [
      { seed: 's', method: 'srs', quota: { project: 2, department: 2 }, exclude: ['2023-P001', 'NOPE-1'] },
      '排除编码在总体中不存在：NOPE-1',
    ],
    [
      { seed: 's', method: 'srs', quota: { project: 2, department: 2 }, mandatory: { codes: ['X'] } },
      '必抽编码在总体中不存在：X',
    ],
  ])('%j → 422', async (body, message) => {
    const res = await draw(id, body);
    expect(res.status).toBe(422);
    expect(res.body.error.details.map((d: { message: string }) => d.message).join('\n')).toContain(message);
    expect(await count()).toBe(0);
  });

  it('an empty seed from the form (without "generate") is refused in the page', async () => {
    const agent = t.agent();
    await login(agent, 'lead1');
    const token = await csrfOf(agent, `/rounds/${id}/draw`);
    const res = await agent
      .post(`/rounds/${id}/draws`)
      .type('form')
      .send({ _csrf: token, seed: '  ', method: 'srs', quotaProject: '3', quotaDepartment: '1' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('请输入随机种子，或选择由系统生成');
    expect(await count()).toBe(0);
  });

  it('drawing on an empty population is 409', async () => {
    const empty = await roundWith(Buffer.alloc(0), '');
    const res = await draw(empty, { seed: 's', method: 'srs', quota: { project: 1, department: 1 } });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe('本批次还没有导入自评记录，无法抽样');
  });

  it('drawing twice is 409; after a cancellation with a reason a new draw is allowed, and both stay visible', async () => {
    const first = await draw(id, { seed: 'first', method: 'srs', quota: { project: 5, department: 1 } });
    expect(first.status).toBe(201);
    const second = await draw(id, { seed: 'second', method: 'srs', quota: { project: 5, department: 1 } });
    expect(second.status).toBe(409);
    const noReason = await t.agent().post(`/api/draws/${first.body.id}/cancel`).set(as()).send({ reason: '' });
    expect(noReason.status).toBe(422);
    const cancelled = await t
      .agent()
      .post(`/api/draws/${first.body.id}/cancel`)
      .set(as())
      .send({ reason: '种子来源未提前公告，重新抽样' });
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelReason: '种子来源未提前公告，重新抽样' });
    const third = await draw(id, { seed: 'third', method: 'pps', quota: { project: 5, department: 1 } });
    expect(third.status).toBe(201);
    const all = await t.agent().get(`/api/rounds/${id}/draws`).set(as());
    expect(all.body.items.map((d: { seed: string; status: string }) => `${d.seed}:${d.status}`)).toEqual([
      'third:active',
      'first:cancelled',
    ]);
    expect((await t.agent().get(`/api/rounds/${id}/draw`).set(as())).body.seed).toBe('third');
    expect((await lastAudit(t.db, 'draw.cancel')).after).toContain('种子来源未提前公告');
    // Each public page links to the other: the sample was drawn twice, and says so.
    const thirdPage = (await t.agent().get(third.body.publicUrl)).text;
    expect(thirdPage).toContain('本批次共抽样2次');
    expect(thirdPage).toContain(`<a href="${first.body.publicUrl}">查看</a>`);
    expect(thirdPage).toContain('种子来源未提前公告，重新抽样');
    expect((await t.agent().get(first.body.publicUrl)).text).toContain(`<a href="${third.body.publicUrl}">查看</a>`);
    // Picks cannot be changed, even by SQL.
    await expect(t.db('draw_picks').where('draw_id', first.body.id).update({ rank: 99 })).rejects.toThrow(
      /append-only/,
    );
  });

  it('expansion continues the order and refuses a smaller quota', async () => {
    expect((await draw(id, { seed: 'third', method: 'pps', quota: { project: 5, department: 1 } })).status).toBe(201);
    const current = (await t.agent().get(`/api/rounds/${id}/draw`).set(as())).body;
    const smaller = await t
      .agent()
      .post(`/api/draws/${current.id}/expand`)
      .set(as())
      .send({ quota: { project: 4, department: 1 } });
    expect(smaller.status).toBe(422);
    expect(smaller.body.error.details[0].message).toBe('项目支出扩大后的数量4小于当前数量5');
    const expanded = await t
      .agent()
      .post(`/api/draws/${current.id}/expand`)
      .set(as())
      .send({ quota: { project: 9, department: 2 } });
    expect(expanded.status).toBe(200);
    expect(expanded.body.items.filter((i: { kind: string }) => i.kind === 'project').slice(0, 5)).toEqual(
      current.items.filter((i: { kind: string }) => i.kind === 'project'),
    );
    expect(expanded.body.items.filter((i: { reason: string }) => i.reason === 'expansion')).toHaveLength(5);
    expect(expanded.body.quota).toEqual({ project: 9, department: 2 });
  });
});

describe('who may draw and see the sample', () => {
  it('a reviewer may not draw (403, audited); an evaluator may not see the sample of the round', async () => {
    const id = await roundWith(Buffer.from(REFERENCE_CSV), 'ref.csv');
    expect((await draw(id, { seed: 's', method: 'srs', quota: { project: 1, department: 1 } }, reviewer)).status).toBe(
      403,
    );
    expect((await lastAudit(t.db, 'access.denied')).detail).toContain('draws.create');
    await draw(id, { seed: 's', method: 'srs', quota: { project: 1, department: 1 } });
    expect((await t.agent().get(`/api/rounds/${id}/draw`).set(as(reviewer))).status).toBe(200);
    expect((await t.agent().get(`/api/rounds/${id}/draw`).set(as(evaluator))).status).toBe(403);
  });
});

describe('verification by outsiders', () => {
  it('the public page needs no login; its population file hashes to the fingerprint; verify-draw reproduces the draw byte for byte', async () => {
    const id = await roundWith(fs.readFileSync(path.join(FIXTURES, 'round-2023.xlsx')), 'round-2023.xlsx');
    const made = await draw(id, {
      seed: '双色球2024001期 03 07 12 19 25 31+09',
      method: 'pps',
      quota: { project: 10, department: 2 },
      mandatory: { minBudgetWan: '9000', codes: ['2023-D003'] },
      exclude: ['2023-P001', '2023-P002'],
    });
    expect(made.status).toBe(201);
    await t
      .agent()
      .post(`/api/draws/${made.body.id}/expand`)
      .set(as())
      .send({ quota: { project: 14, department: 3 } });

    const anonymous = t.agent();
    const page = await anonymous.get(made.body.publicUrl);
    expect(page.status).toBe(200);
    expect(page.text).toContain('双色球2024001期 03 07 12 19 25 31+09');
    expect(page.text).toContain(made.body.fingerprint);
    // Each pick with its name and department beside its code.
    const d003 = (await t.agent().get(`/api/rounds/${id}/population/records/2023-D003`).set(as())).body;
    expect(page.text).toContain(`<td class="nowrap">2023-D003</td><td>${d003.name}`);
    expect(page.text).toContain(`<td>${d003.department}</td>`);
    const population = await anonymous.get(`${made.body.publicUrl}/population.tsv`).buffer(true);
    const tsv = Buffer.from(population.text, 'utf8');
    expect(crypto.createHash('sha256').update(tsv).digest('hex')).toBe(made.body.fingerprint);
    // Served as stored at the draw, with its fingerprint as ETag: a browser that has it gets 304.
    expect(population.headers.etag).toBe(`"${made.body.fingerprint}"`);
    expect(Number((await t.db('stored_files').where('sha256', made.body.fingerprint).first('size')).size)).toBe(
      tsv.length,
    );
    const again = await anonymous
      .get(`${made.body.publicUrl}/population.tsv`)
      .set('If-None-Match', population.headers.etag);
    expect(again.status).toBe(304);
    const expected = (await anonymous.get(`${made.body.publicUrl}/expected.txt`)).text;
    const exclude = (await anonymous.get(`${made.body.publicUrl}/exclude.txt`).buffer(true)).text;

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-verify-'));
    try {
      fs.writeFileSync(path.join(dir, 'population.tsv'), tsv);
      fs.writeFileSync(path.join(dir, 'exclude.txt'), exclude);
      // The draw's rules, as the page's command gives them; the seed on the command line or from a file.
      const verify = (...seed: string[]) =>
        execFileSync(
          process.execPath,
          [
            VERIFY,
            '--population',
            'population.tsv',
            ...seed,
            '--method',
            'pps',
            '--quota',
            '14,3',
            '--initial-quota',
            '10,2',
            '--mandatory-min-budget-fen',
            '9000000000',
            '--mandatory',
            '2023-D003',
            '--exclude-file',
            'exclude.txt',
          ],
          { cwd: dir, encoding: 'utf8' },
        );
      expect(verify('--seed', made.body.seed)).toBe(expected);
      // The seed as the page offers it in a file, for Windows shells: the same draw.
      fs.writeFileSync(
        path.join(dir, 'seed.txt'),
        (await anonymous.get(`${made.body.publicUrl}/seed.txt`).buffer(true)).text,
      );
      expect(verify('--seed-file', 'seed.txt')).toBe(expected);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // The in-browser check: the page carries the published picks and rules, and loads the same script and seedrandom.
    const check = JSON.parse(
      /data-draw="([^"]+)"/
        .exec(page.text)![1]
        .replace(/&quot;/g, '"')
        .replace(/&#x3D;/g, '=')
        .replace(/&amp;/g, '&'),
    );
    expect(check).toMatchObject({
      method: 'pps',
      fingerprint: made.body.fingerprint,
      initialQuota: { project: 10, department: 2 },
      excluded: true,
    });
    expect(check.picks).toHaveLength(17);
    for (const script of [
      '/static/vendor/verify-draw.js',
      '/static/vendor/seedrandom.min.js',
      '/static/js/check-draw.js',
    ]) {
      expect(page.text).toContain(`<script src="${script}" defer></script>`);
      const res = await anonymous.get(script);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toContain('javascript');
    }
    expect(expected).toContain(`fingerprint: ${made.body.fingerprint}`);
    expect(expected.split('\n').filter((l) => /^(project|department)\t/.test(l))).toHaveLength(17);
    expect((await anonymous.get('/p/draws/not-a-real-draw')).status).toBe(404);
    expect((await anonymous.get(`${made.body.publicUrl}.json`)).body.items).toHaveLength(17);
  });

  it('the script gives the reference vector of spec/sampling.md', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-verify-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'p.tsv'),
        'P-003\t项目支出\t1200000000\t9500\nP-001\t项目支出\t54000000\t9800\nD-001\t部门整体支出\t4525800000\t9900\nP-002\t项目支出\t0\t8800\nD-002\t部门整体支出\t91000000\t9100\n',
      );
      const output = execFileSync(
        process.execPath,
        [VERIFY, '--population', 'p.tsv', '--seed', '福彩3D-2024347-5-1-8', '--method', 'pps', '--quota', '2,1'],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(output).toContain('fingerprint: 90ad0199d403e8a084fd10616570cd69b208ae2dbd22e28d25f09974cc3cbd72');
      expect(output).toContain('K: fe27c9b5d8804b6cbf79929ad8dce0a5ae3e0766d7f4745e375aaa1f620e09a7');
      expect(
        output
          .split('\n')
          .filter((l) => /^(project|department)\t/.test(l))
          .map((l) => l.split('\t')[2]),
      ).toEqual(['P-001', 'P-003', 'D-001']);
      // The seed from a file (as Windows Notepad saves it, with a BOM and a line break): the same draw.
      fs.writeFileSync(path.join(dir, 'seed.txt'), '\uFEFF福彩3D-2024347-5-1-8\r\n');
      const fromFile = execFileSync(
        process.execPath,
        [VERIFY, '--population', 'p.tsv', '--seed-file', 'seed.txt', '--method', 'pps', '--quota', '2,1'],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(fromFile).toBe(output);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the pages', () => {
  it('draw form with preview and planner, sample page, export', async () => {
    const id = await roundWith(fs.readFileSync(path.join(FIXTURES, 'round-2023.xlsx')), 'round-2023.xlsx');
    const agent = t.agent();
    await login(agent, 'lead1');
    const token = await csrfOf(agent, `/rounds/${id}/draw`);
    const typed = {
      _csrf: token,
      seed: '福彩3D 2024年第60期',
      method: 'srs',
      quotaProject: '20',
      quotaDepartment: '2',
      minBudgetWan: '5000',
      tolerableRate: '5',
      confidence: '95',
      accepted: '0',
    };
    // The preview is a POST of the whole form: it shows each stratum, keeps every field, draws nothing.
    const form = await agent
      .post(`/rounds/${id}/draw`)
      .type('form')
      .send({ ...typed, step: 'preview' });
    expect(form.status).toBe(200);
    expect(form.text).toMatch(
      /<td>项目支出<\/td><td class="num">33<\/td><td class="num">0<\/td><td class="num">33<\/td><td class="num">6<\/td>/,
    );
    expect(form.text).toContain('value="福彩3D 2024年第60期"');
    expect(form.text).toContain('须抽 <strong>59</strong> 个');
    expect((await agent.get(`/api/rounds/${id}/draws`)).body.items).toEqual([]);
    // A GET never previews, whatever its query says.
    const get = await agent.get(`/rounds/${id}/draw?preview=1&step=preview&quotaProject=20&quotaDepartment=2`);
    expect(get.text).not.toContain('预览（不保存）');
    // The planner, per stratum and never above its size, fills the quotas and keeps the seed.
    const planned = await agent
      .post(`/rounds/${id}/draw`)
      .type('form')
      .send({ ...typed, step: 'useplan' });
    expect(planned.text).toContain('data-plan-kind="project" data-plan-suggested="32"');
    expect(planned.text).toMatch(/data-plan-kind="department" data-plan-suggested="(\d+)"/);
    const department = Number(/data-plan-kind="department" data-plan-suggested="(\d+)"/.exec(planned.text)![1]);
    expect(planned.text).toContain(`id="f-qp" name="quotaProject" type="number" min="0" step="1" value="32"`);
    expect(planned.text).toContain(
      `id="f-qd" name="quotaDepartment" type="number" min="0" step="1" value="${department}"`,
    );
    expect(planned.text).toContain('value="福彩3D 2024年第60期"');
    expect(planned.text).toContain('已将建议数量填入抽样数量');
    const nonsense = await agent
      .post(`/rounds/${id}/draw`)
      .type('form')
      .send({ ...typed, step: 'plan', tolerableRate: '0' });
    expect(nonsense.status).toBe(200);
    expect(nonsense.text).toContain('可容忍偏差率须大于0%');
    expect(nonsense.text).toContain('value="福彩3D 2024年第60期"');
    // Without a token the form posts nothing back.
    expect((await agent.post(`/rounds/${id}/draw`).type('form').send({ step: 'preview' })).status).toBe(403);
    const made = await agent.post(`/rounds/${id}/draws`).type('form').send({
      _csrf: token,
      seed: '福彩3D 2024年第60期',
      method: 'srs',
      quotaProject: '20',
      quotaDepartment: '2',
      minBudgetWan: '5000',
    });
    expect(made.status).toBe(303);
    const sample = await agent.get(made.headers.location);
    expect(sample.text).toContain('样本清单（22 个');
    expect(sample.text).toContain('必抽');
    const xlsx = await agent.get(`/rounds/${id}/sample.xlsx`);
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers['content-type']).toContain('spreadsheetml');
  });
});
