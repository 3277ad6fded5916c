import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { zipWith } from '../helpers/zip';
import { binaryParser, csrfOf, lastAudit, login, SETUP_CONTEXT, startTestApp, TestApp } from '../helpers/testApp';

const FIXTURES = path.resolve(__dirname, '../fixtures');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name));

let t: TestApp;
let leadToken: string;
let reviewerToken: string;
let evaluatorToken: string;

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('lead1', 'lead');
  await t.createUser('rev1', 'reviewer');
  await t.createUser('eval1', 'evaluator');
  leadToken = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'lead1', 't')).token;
  reviewerToken = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'rev1', 't')).token;
  evaluatorToken = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'eval1', 't')).token;
});
afterAll(() => t.close());

const bearer = (token = leadToken) => ({ Authorization: `Bearer ${token}` });

async function newRound(deadline = '2024-03-31'): Promise<number> {
  const res = await t
    .agent()
    .post('/api/rounds')
    .set(bearer())
    .send({ title: '2023年度绩效自评结果抽查复核', fiscalYear: 2023, deadline });
  expect(res.status).toBe(201);
  return res.body.id as number;
}

function upload(roundId: number, files: Array<{ field?: string; data: Buffer; name: string }>, token = leadToken) {
  const req = t.agent().post(`/api/rounds/${roundId}/population`).set(bearer(token));
  for (const f of files) req.attach(f.field ?? 'file', f.data, f.name);
  return req;
}

const count = async (table: string, roundId: number) =>
  Number((await t.db(table).where('round_id', roundId).count({ n: '*' }).first())!.n);

/** The UTF-8 fixture's rows, repeated with fresh codes, as a CSV of `n` records. */
function bigCsv(n: number, change?: (row: string[], index: number) => void): string {
  const lines = fixture('population-utf8.csv')
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trim()
    .split(/\r?\n/);
  const [header, ...rows] = lines;
  const out = [header];
  for (let i = 0; i < n; i++) {
    const cells = rows[i % rows.length].split(',');
    cells[1] = `2023-X${String(i + 1).padStart(4, '0')}`;
    change?.(cells, i);
    out.push(cells.join(','));
  }
  return out.join('\r\n') + '\r\n';
}

describe('the three fixtures import with the right counts and totals', () => {
  it('the LibreOffice .xlsx with both sheets: 41 records, 36 indicators, 77,642.61 万元', async () => {
    const id = await newRound();
    const res = await upload(id, [{ data: fixture('round-2023.xlsx'), name: 'round-2023.xlsx' }]);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      imported: 41,
      byKind: { project: 33, department: 8 },
      indicators: 36,
      budgetFen: '77642613500',
      budgetWan: '77642.61',
      replaced: null,
    });
    expect(res.body.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // Rich-text cells are joined, serial-number dates become dates.
    const p001 = await t.agent().get(`/api/rounds/${id}/population/records/2023-P001`).set(bearer());
    expect(p001.body).toMatchObject({
      submittedOn: '2024-03-05',
      selfScore: 95,
      selfGrade: '优',
      budgetWan: '522.61',
      executionRate: 1,
      executionPoints: 10,
    });
    expect(p001.body.indicators[0]).toMatchObject({
      level1: '产出指标',
      level3: '完成服务人次',
      target: '≥1000人次',
      actual: '1032人次',
      weight: 20,
      score: 18.89,
    });
    expect(p001.body.indicators).toHaveLength(6);
  });

  it('the UTF-8 CSV with its indicators CSV gives the same population and fingerprint', async () => {
    const xlsxRound = await newRound();
    const fromXlsx = await upload(xlsxRound, [{ data: fixture('round-2023.xlsx'), name: 'round-2023.xlsx' }]);
    const id = await newRound();
    const res = await upload(id, [
      { data: fixture('population-utf8.csv'), name: 'population-utf8.csv' },
      { field: 'indicators', data: fixture('indicators-utf8.csv'), name: 'indicators-utf8.csv' },
    ]);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      imported: 41,
      byKind: { project: 33, department: 8 },
      indicators: 36,
      budgetWan: '77642.61',
      fingerprint: fromXlsx.body.fingerprint,
    });
  });

  it('the GB18030 CSV that Excel on Chinese Windows writes', async () => {
    const id = await newRound();
    const res = await upload(id, [{ data: fixture('population-gbk.csv'), name: '自评汇总.csv' }]);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      imported: 41,
      byKind: { project: 33, department: 8 },
      indicators: 0,
      budgetFen: '77642613500',
      fileName: '自评汇总.csv',
    });
    const stored = await t.db('population_imports').where('round_id', id).first();
    expect(stored.encoding).toBe('GB18030');
    const d001 = await t.agent().get(`/api/rounds/${id}/population/records/2023-D001`).set(bearer());
    expect(d001.body).toMatchObject({
      kind: 'department',
      name: '县残疾人联合会部门整体支出',
      department: '县残疾人联合会',
    });
  });

  it('computes the warning signs: late against the round deadline, low execution, score above execution', async () => {
    const id = await newRound('2024-03-31');
    await upload(id, [{ data: fixture('round-2023.xlsx'), name: 'round-2023.xlsx' }]);
    const late = await t.agent().get(`/api/rounds/${id}/population?warning=late`).set(bearer());
    // The five rows dated in April (2024/4/2 … 2024/4/13, written as text in the sheet).
    expect(late.body.items.map((i: { code: string }) => i.code)).toEqual([
      '2023-P007',
      '2023-P021',
      '2023-P023',
      '2023-P025',
      '2023-P030',
    ]);
    expect(late.body.items.map((i: { submittedOn: string }) => i.submittedOn)).toEqual([
      '2024-04-02',
      '2024-04-12',
      '2024-04-08',
      '2024-04-13',
      '2024-04-10',
    ]);
    const p004 = await t.agent().get(`/api/rounds/${id}/population/records/2023-P004`).set(bearer());
    expect(p004.body.warnings).toEqual(['lowExecution', 'scoreAboveExecution', 'overWeight']);
    expect(p004.body.executionRate).toBe(0.2869);
  });
});

describe('a refused file stores nothing', () => {
  it('a 435-row GB18030 CSV with one bad amount is refused whole, naming the row; fixed, it imports completely', async () => {
    const id = await newRound();
    const bad = iconv.encode(
      bigCsv(435, (cells, i) => {
        if (i === 300) cells[6] = '"1,2.5"';
      }),
      'gb18030',
    );
    const refused = await upload(id, [{ data: bad, name: '自评汇总.csv' }]);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('invalid_file');
    expect(refused.body.error.details).toEqual([
      { sheet: '自评汇总', row: 302, column: '预算数（万元）', message: '不是数字"1,2.5"' },
    ]);
    expect(refused.body.error.message).toBe(
      '文件有1处错误，未导入任何记录：行 302，列"预算数（万元）"：不是数字"1,2.5"',
    );
    expect(await count('submissions', id)).toBe(0);
    expect(await count('population_imports', id)).toBe(0);
    expect((await t.agent().get(`/api/rounds/${id}/population`).set(bearer())).body.total).toBe(0);
    expect((await lastAudit(t.db, 'population.refused')).detail).toContain('1处错误');

    const fixed = await upload(id, [{ data: iconv.encode(bigCsv(435), 'gb18030'), name: '自评汇总.csv' }]);
    expect(fixed.status).toBe(201);
    expect(fixed.body.imported).toBe(435);
    expect(await count('submissions', id)).toBe(435);
  });

  it('a duplicate code is refused, naming both rows', async () => {
    const id = await newRound();
    const res = await upload(id, [
      {
        data: Buffer.from(
          bigCsv(10, (cells, i) => {
            if (i === 7) cells[1] = '2023-X0003';
          }),
        ),
        name: 'dup.csv',
      },
    ]);
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([
      { sheet: '自评汇总', row: 9, column: '编码', message: '编码"2023-X0003"重复，与第4行相同' },
    ]);
    expect(await count('submissions', id)).toBe(0);
  });

  const cases: Array<[string, () => Buffer, string, number?]> = [
    [
      'a file that is not CSV or XLSX (a PNG)',
      () => Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
      '不是 CSV 文本文件',
    ],
    ['a PDF', () => Buffer.from('%PDF-1.7\n...'), '这是 PDF 文件'],
    [
      'the wrong encoding',
      () => Buffer.concat([Buffer.from('类型,编码\n'), Buffer.from([0xff, 0xfe, 0xff])]),
      '无法识别文件编码',
    ],
    ['an empty file', () => Buffer.alloc(0), '文件是空的'],
    [
      'missing required columns',
      () => Buffer.from('类型,编码,预算数（万元）\n项目支出,P1,1\n'),
      '缺少必填列："主管部门"、"预算单位"、"自评得分"',
    ],
    [
      'a non-number amount',
      () =>
        Buffer.from(
          bigCsv(3, (c, i) => {
            if (i === 1) c[6] = '五百万';
          }),
        ),
      '行 3，列"预算数（万元）"：不是数字"五百万"',
    ],
    [
      'a negative amount',
      () =>
        Buffer.from(
          bigCsv(3, (c, i) => {
            if (i === 2) c[7] = '-3.5';
          }),
        ),
      '行 4，列"执行数（万元）"：执行数不能为负数"-3.5"',
    ],
    [
      'a score over 100',
      () =>
        Buffer.from(
          bigCsv(3, (c, i) => {
            if (i === 0) c[8] = '100.5';
          }),
        ),
      '行 2，列"自评得分"：自评得分不能超过100"100.5"',
    ],
    [
      'more decimals than allowed',
      () =>
        Buffer.from(
          bigCsv(3, (c, i) => {
            if (i === 0) c[8] = '95.125';
          }),
        ),
      '行 2，列"自评得分"：小数位数超过2位"95.125"',
    ],
    [
      'a formula as a code',
      () =>
        Buffer.from(
          bigCsv(3, (c, i) => {
            if (i === 0) c[1] = '=cmd|calc';
          }),
        ),
      '行 2，列"编码"：编码不能以 = + - @ 开头',
    ],
  ];
  it.each(cases)('%s', async (_what, data, message) => {
    const id = await newRound();
    const res = await upload(id, [{ data: data(), name: 'bad.csv' }]);
    expect(res.status).toBe(422);
    expect(
      res.body.error.details
        .map((d: { row: number | null; column: string | null; message: string }) =>
          [d.row !== null ? `行 ${d.row}` : '', d.column ? `列"${d.column}"` : '', d.message]
            .filter(Boolean)
            .join('，')
            .replace(/，([^，]*)$/, '：$1'),
        )
        .join('\n'),
    ).toContain(message.replace(/^行 (\d+)，列"([^"]+)"：/, '行 $1，列"$2"：'));
    expect(await count('submissions', id)).toBe(0);
  });

  it('an indicator for an unknown code, in the same answer as the population problems', async () => {
    const id = await newRound();
    const indicators = Buffer.from(
      '编码,一级指标,三级指标,分值,自评得分\n2023-X0001,产出指标,人数,50,45\n2023-NOPE,产出指标,人数,50,45\n',
    );
    const res = await upload(id, [
      {
        data: Buffer.from(
          bigCsv(2, (c, i) => {
            if (i === 1) c[8] = 'x';
          }),
        ),
        name: 'p.csv',
      },
      { field: 'indicators', data: indicators, name: 'i.csv' },
    ]);
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([
      { sheet: '自评汇总', row: 3, column: '自评得分', message: '不是数字"x"' },
      { sheet: '绩效指标', row: 3, column: '编码', message: '编码"2023-NOPE"在自评汇总中不存在' },
    ]);
  });

  it('an xlsx formula without a cached value, and an xlsx zip bomb', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('自评汇总');
    sheet.addRow(['类型', '编码', '主管部门', '预算单位', '项目名称', '预算数（万元）', '自评得分']);
    sheet.addRow(['项目支出', 'P1', '县民政局', '县民政局', '低保', { formula: 'B9*2' }, 90]);
    const id = await newRound();
    const res = await upload(id, [{ data: Buffer.from(await workbook.xlsx.writeBuffer()), name: 'f.xlsx' }]);
    expect(res.status).toBe(422);
    expect(res.body.error.details[0]).toMatchObject({
      row: 2,
      column: '预算数（万元）',
      message: expect.stringContaining('公式没有计算结果'),
    });

    const bomb = await upload(id, [
      { data: zipWith('xl/worksheets/sheet1.xml', Buffer.alloc(20 * 1024 * 1024)), name: 'bomb.xlsx' },
    ]);
    expect(bomb.status).toBe(422);
    expect(bomb.body.error.details[0].message).toContain('疑似压缩炸弹');
    expect(await count('submissions', id)).toBe(0);
  });

  it('a file over 50 MB gets 413', async () => {
    const id = await newRound();
    const res = await upload(id, [{ data: Buffer.alloc(50 * 1024 * 1024 + 1, 0x41), name: 'huge.csv' }]);
    expect(res.status).toBe(413);
    expect(res.body.error.message).toContain('超过 50 MB');
    expect(await count('submissions', id)).toBe(0);
  });

  it('a refused upload form is audited without the CSRF token its address carries', async () => {
    const id = await newRound();
    const agent = t.agent();
    await login(agent, 'rev1');
    const token = await csrfOf(agent, `/rounds/${id}/population`);
    const res = await agent
      .post(`/rounds/${id}/population?_csrf=${encodeURIComponent(token)}`)
      .attach('file', fixture('population-utf8.csv'), 'p.csv');
    expect(res.status).toBe(403);
    const detail = (await lastAudit(t.db, 'access.denied')).detail as string;
    expect(detail).toContain(`POST /rounds/${id}/population`);
    expect(detail).not.toContain(token);
    expect(detail).not.toContain('_csrf');
  });
});

describe('replacing and freezing', () => {
  it('a population can be replaced until a draw exists; the old import stays in the history; then 409', async () => {
    const id = await newRound();
    await upload(id, [{ data: fixture('population-utf8.csv'), name: 'first.csv' }]);
    const second = await upload(id, [{ data: Buffer.from(bigCsv(12)), name: 'second.csv' }]);
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ imported: 12, replaced: { imported: 41, fileName: 'first.csv' } });
    expect(await count('submissions', id)).toBe(12);
    const imports = await t.db('population_imports').where('round_id', id).orderBy('id');
    expect(imports.map((i: { status: string; file_name: string }) => `${i.status}:${i.file_name}`)).toEqual([
      'replaced:first.csv',
      'active:second.csv',
    ]);
    // The replaced file itself is kept.
    const stored = await t.db('stored_files').where('sha256', imports[0].file_sha256).first('size');
    expect(Number(stored.size)).toBe(fixture('population-utf8.csv').length);
    const audit = await lastAudit(t.db, 'population.replace');
    expect(JSON.parse(audit.before)).toMatchObject({ records: 41, fileName: 'first.csv' });
    expect(JSON.parse(audit.after)).toMatchObject({ records: 12, fileName: 'second.csv' });

    await t.db('rounds').where('id', id).update({ state: 'drawn' });
    const frozen = await upload(id, [{ data: fixture('population-utf8.csv'), name: 'third.csv' }]);
    expect(frozen.status).toBe(409);
    expect(frozen.body.error.message).toBe('该批次已抽样，自评记录已冻结，不能再导入或替换');
    expect(await count('submissions', id)).toBe(12);
  });

  it('changing the round deadline re-marks late submissions', async () => {
    const id = await newRound('2024-03-31');
    await upload(id, [{ data: fixture('population-utf8.csv'), name: 'p.csv' }]);
    const lateCount = async () =>
      (await t.agent().get(`/api/rounds/${id}/population?warning=late`).set(bearer())).body.total;
    const before = await lateCount();
    expect(before).toBeGreaterThan(0);
    const round = await t.agent().get(`/api/rounds/${id}`).set(bearer());
    const patched = await t
      .agent()
      .patch(`/api/rounds/${id}`)
      .set(bearer())
      .send({ deadline: '2024-04-30', version: round.body.version });
    expect(patched.status).toBe(200);
    expect(await lateCount()).toBe(0);
    const imported = await t.db('population_imports').where({ round_id: id, status: 'active' }).first();
    expect(JSON.parse(imported.summary).byWarning.late).toBe(0);
  });
});

describe('who may import and read', () => {
  it('a reviewer may read but not import (403, audited); an evaluator may not read the population', async () => {
    const id = await newRound();
    const res = await upload(id, [{ data: fixture('population-utf8.csv'), name: 'p.csv' }], reviewerToken);
    expect(res.status).toBe(403);
    expect((await lastAudit(t.db, 'access.denied')).detail).toContain('population.import');
    expect((await t.agent().get(`/api/rounds/${id}/population`).set(bearer(reviewerToken))).status).toBe(200);
    expect((await t.agent().get(`/api/rounds/${id}/population`).set(bearer(evaluatorToken))).status).toBe(403);
    expect((await t.agent().get(`/rounds/${id}/population/export.xlsx`).set(bearer(evaluatorToken))).status).toBe(403);
    expect(await count('submissions', id)).toBe(0);
  });
});

describe('the files earlier imports were made from', () => {
  it('download from 导入历史 byte for byte (audited), for those who may read the population only', async () => {
    const id = await newRound();
    const utf8 = fixture('population-utf8.csv');
    const gbk = fixture('population-gbk.csv');
    expect((await upload(id, [{ data: utf8, name: '第一次.csv' }])).status).toBe(201);
    expect((await upload(id, [{ data: gbk, name: '第二次.csv' }])).status).toBe(201);
    const imports = (await t.db('population_imports').where('round_id', id).orderBy('id')) as Array<{ id: number }>;
    const agent = t.agent();
    await login(agent, 'lead1');
    const page = await agent.get(`/rounds/${id}/population`);
    expect(page.text).toContain(
      `href="/rounds/${id}/population/imports/${imports[0].id}/file" download>第一次.csv</a>`,
    );
    const first = await agent
      .get(`/rounds/${id}/population/imports/${imports[0].id}/file`)
      .buffer(true)
      .parse(binaryParser);
    expect(first.status).toBe(200);
    expect(first.headers['content-disposition']).toContain('attachment');
    expect(Buffer.compare(first.body as Buffer, utf8)).toBe(0);
    expect((await lastAudit(t.db, 'population.file')).detail).toContain('第一次.csv');
    const second = await agent
      .get(`/rounds/${id}/population/imports/${imports[1].id}/file`)
      .buffer(true)
      .parse(binaryParser);
    expect(Buffer.compare(second.body as Buffer, gbk)).toBe(0);
    // No indicators file with this import, another round's import, a part that does not exist: 404.
    expect((await agent.get(`/rounds/${id}/population/imports/${imports[0].id}/indicators`)).status).toBe(404);
    expect((await agent.get(`/rounds/${await newRound()}/population/imports/${imports[0].id}/file`)).status).toBe(404);
    expect((await agent.get(`/rounds/${id}/population/imports/${imports[0].id}/other`)).status).toBe(404);
    expect(
      (await t.agent().get(`/rounds/${id}/population/imports/${imports[0].id}/file`).set(bearer(evaluatorToken)))
        .status,
    ).toBe(403);
  });
});

describe('the population pages', () => {
  let id: number;
  beforeAll(async () => {
    id = await newRound();
    const csv = bigCsv(120, (cells, i) => {
      if (i === 5) cells[12] = '=HYPERLINK("http://evil")';
      if (i === 6) cells[4] = '@SUM(1+1)';
    });
    await upload(id, [{ data: Buffer.from(csv), name: 'p.csv' }]);
  });

  it('the form upload (CSRF in the action URL) imports and redirects; without the token it is 403', async () => {
    const roundId = await newRound();
    const agent = t.agent();
    await login(agent, 'lead1');
    const page = await agent.get(`/rounds/${roundId}/population`);
    const action = /action="([^"]*population\?_csrf=[^"]+)"/.exec(page.text)![1].replace(/&amp;/g, '&');
    const ok = await agent.post(action).attach('file', fixture('round-2023.xlsx'), 'round-2023.xlsx');
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(`/rounds/${roundId}/population?imported=1`);
    const after = await agent.get(ok.headers.location);
    expect(after.text).toContain('导入成功：共 41 条自评记录、36 个绩效指标，预算合计 77,642.61 万元');
    const forged = await agent
      .post(`/rounds/${roundId}/population`)
      .attach('file', fixture('round-2023.xlsx'), 'x.xlsx');
    expect(forged.status).toBe(403);
  });

  it('a refused form upload shows every problem in the page with row and column', async () => {
    const roundId = await newRound();
    const agent = t.agent();
    await login(agent, 'lead1');
    const token = await csrfOf(agent, `/rounds/${roundId}/population`);
    const bad = Buffer.from(
      bigCsv(5, (c, i) => {
        if (i === 1) c[6] = 'abc';
        if (i === 3) c[8] = '120';
      }),
    );
    const res = await agent
      .post(`/rounds/${roundId}/population`)
      .set('X-CSRF-Token', token)
      .attach('file', bad, 'bad.csv');
    expect(res.status).toBe(422);
    expect(res.text).toContain('文件有2处错误，未导入任何记录');
    expect(res.text).toMatch(
      /<td>自评汇总<\/td><td class="num">3<\/td><td>预算数（万元）<\/td><td>不是数字&quot;abc&quot;<\/td>/,
    );
    expect(res.text).toMatch(/<td class="num">5<\/td><td>自评得分<\/td>/);
  });

  it('lists, filters, searches, sorts and pages', async () => {
    const agent = t.agent();
    await login(agent, 'lead1');
    const page = await agent.get(`/rounds/${id}/population`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('共 120 条，第 1 / 3 页');
    const dept = await agent.get(`/rounds/${id}/population?kind=department&pageSize=20`);
    expect(dept.text).toMatch(/符合条件 \d+ 条/);
    const api = (q: string) => t.agent().get(`/api/rounds/${id}/population?${q}`).set(bearer());
    const byBudget = await api('sort=budget&dir=desc&pageSize=3');
    const budgets = byBudget.body.items.map((i: { budgetFen: string }) => BigInt(i.budgetFen));
    expect(budgets).toHaveLength(3);
    expect(budgets[0] >= budgets[1] && budgets[1] >= budgets[2]).toBe(true);
    const all = await api('pageSize=200');
    const max = all.body.items
      .map((i: { budgetFen: string }) => BigInt(i.budgetFen))
      .reduce((a: bigint, b: bigint) => (a > b ? a : b));
    expect(budgets[0]).toBe(max);
    // Equal budgets keep code order, in either direction.
    const top = await api('sort=budget&dir=desc&pageSize=6');
    expect(top.body.items.map((i: { code: string }) => i.code).slice(0, 3)).toEqual(
      [...top.body.items.map((i: { code: string }) => i.code).slice(0, 3)].sort(),
    );
    const caseless = await api('q=x0042');
    expect(caseless.body.items.map((i: { code: string }) => i.code)).toEqual(['2023-X0042']);
    const search = await api(`q=${encodeURIComponent('高标准农田')}`);
    expect(search.body.total).toBe(3);
    expect(search.body.items.every((i: { name: string }) => i.name === '高标准农田建设')).toBe(true);
    const percent = await api(`q=${encodeURIComponent('%')}`);
    expect(percent.body.total).toBe(0);
    const page2 = await api('pageSize=50&page=3');
    expect(page2.body).toMatchObject({ total: 120, page: 3, pageSize: 50 });
    expect(page2.body.items).toHaveLength(20);
    const grade = await api('grade=中');
    expect(grade.body.items.every((i: { scoreGrade: string }) => i.scoreGrade === '中')).toBe(true);
  });

  it('a record page shows its figures, warning signs and indicators', async () => {
    const roundId = await newRound();
    await upload(roundId, [{ data: fixture('round-2023.xlsx'), name: 'round-2023.xlsx' }]);
    const agent = t.agent();
    await login(agent, 'lead1');
    const res = await agent.get(`/rounds/${roundId}/population/records/2023-P004`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('残疾人职业技能培训');
    expect(res.text).toContain('28.69%');
    expect(res.text).toContain('指标得分超过分值');
    expect(res.text).toContain('完成服务人次');
    expect((await agent.get(`/rounds/${roundId}/population/records/NOPE`)).status).toBe(404);
  });

  it('exports the filtered list to xlsx with formula text made safe, and audits the export', async () => {
    const agent = t.agent();
    await login(agent, 'lead1');
    const res = await agent.get(`/rounds/${id}/population/export.xlsx`).buffer(true).parse(binaryParser);
    expect(res.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.body as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('自评汇总')!;
    expect(sheet.rowCount).toBe(121);
    const values = sheet
      .getSheetValues()
      .flat()
      .filter((v): v is string => typeof v === 'string');
    expect(values).toContain(`'=HYPERLINK("http://evil")`);
    expect(values).toContain(`'@SUM(1+1)`);
    expect(values.some((v) => /^[=@]/.test(v))).toBe(false);
    expect((await lastAudit(t.db, 'population.export')).object_id).toBe(String(id));
  });

  it('writes amounts, scores, rates and dates as numbers with formats, filterable, and names the filters used', async () => {
    const agent = t.agent();
    await login(agent, 'lead1');
    const res = await agent
      .get(`/rounds/${id}/population/export.xlsx?kind=project&sort=budget&dir=desc`)
      .buffer(true)
      .parse(binaryParser);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.body as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('自评汇总')!;
    const headers = (sheet.getRow(1).values as unknown[]).slice(1);
    const column = (header: string) => headers.indexOf(header) + 1;
    expect(sheet.autoFilter).toBe(`A1:${sheet.getColumn(headers.length).letter}1`);
    const row = sheet.getRow(2);
    expect(row.getCell(column('类型')).value).toBe('项目支出');
    for (const [header, format] of [
      ['预算数（万元）', '#,##0.00####'],
      ['自评得分', '0.##'],
      ['预算执行率', '0.00%'],
      ['报送日期', 'yyyy-mm-dd'],
    ]) {
      expect(row.getCell(column(header)).numFmt).toBe(format);
    }
    const rate = row.getCell(column('预算执行率')).value;
    expect(typeof rate === 'number' || rate === null).toBe(true);
    expect(row.getCell(column('报送日期')).value).toBeInstanceOf(Date);
    // Largest budget first, as the list was sorted.
    const budgets = [2, 3, 4].map((r) => sheet.getRow(r).getCell(column('预算数（万元）')).value as number);
    expect([...budgets].sort((a, b) => b - a)).toEqual(budgets);
    const notes = workbook.getWorksheet('说明')!;
    expect(notes.getCell('A3').value).toBe('导出时的筛选条件：类型：项目支出；排序：按预算数从大到小');
    // What was exported imports again, as the notes say.
    const again = await upload(await newRound(), [{ data: res.body as Buffer, name: 'export.xlsx' }]);
    expect(again.status).toBe(201);
    expect(again.body.imported).toBe(sheet.rowCount - 1);
  });

  it('the template downloads with both sheets and notes, and imports as it is', async () => {
    const agent = t.agent();
    await login(agent, 'lead1');
    const res = await agent.get('/population/template.xlsx').buffer(true).parse(binaryParser);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.body as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['自评汇总', '绩效指标', '填写说明']);
    const roundId = await newRound();
    const imported = await upload(roundId, [{ data: res.body as Buffer, name: 'template.xlsx' }]);
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ imported: 2, indicators: 4 });
    const record = await t.agent().get(`/api/rounds/${roundId}/population/records/2023-P001`).set(bearer());
    expect(record.body.warnings).toEqual([]);
  });
});
