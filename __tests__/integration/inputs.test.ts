import { sampledRound, usersWithTokens, Api, DIMENSIONS } from '../helpers/rounds';
import { csrfOf, lastAudit, login, startTestApp, TestApp } from '../helpers/testApp';

/**
 * Input at the edges: list filters and ids that name nothing, amounts past the maximum, text
 * that would read differently (bidi controls), braces from the data in an announcement, download
 * names, and messages that only the server can put on a page.
 */

let t: TestApp;
let api: (name: string) => Api;

beforeAll(async () => {
  t = await startTestApp({ FUHE_PUBLIC_URL: 'https://fuhe.example.gov.cn' });
  api = await usersWithTokens(t, [
    ['lead1', 'lead'],
    ['rev1', 'reviewer'],
    ['off1', 'official'],
  ]);
});
afterAll(() => t.close());

const HEADER = '类型,编码,主管部门,预算单位,项目名称,预算数（万元）,执行数（万元）,自评得分,报送日期';
const csv = (...rows: string[]) => Buffer.from([HEADER, ...rows].join('\n'));
const newRound = async (extra: Record<string, unknown> = {}) =>
  (
    await api('lead1')
      .post('/api/rounds')
      .send({ title: '输入测试', fiscalYear: 2023, ...extra })
  ).body.id as number;

describe('the population list', () => {
  let roundId: number;
  beforeAll(async () => {
    roundId = await newRound();
    await api('lead1')
      .post(`/api/rounds/${roundId}/population`)
      .attach(
        'file',
        csv(
          '项目支出,P001,县甲局,县甲中心,甲项目,10,9,95,2024-03-01',
          '项目支出,P002,县乙局,县乙中心,乙项目,20,20,88,2024-03-01',
        ),
        'p.csv',
      );
  });

  it.each([
    ["kind=x' OR '1'='1", 'kind'],
    ['grade=A', 'grade'],
    ['warning=constructor', 'warning'],
    ['sort=__proto__', 'sort'],
    ['dir=sideways', 'dir'],
    ['pageSize=-1', 'pageSize'],
    ['pageSize=0', 'pageSize'],
    ['pageSize=501', 'pageSize'],
    ['page=1.5', 'page'],
    [`q=${'字'.repeat(101)}`, 'q'],
  ])('%s is a 422 naming %s', async (query, field) => {
    const res = await api('lead1').get(`/api/rounds/${roundId}/population?${query}`);
    expect(res.status).toBe(422);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual([field]);
  });

  it('known values filter; an empty one is no filter; 500 is the largest page', async () => {
    expect(
      (await api('lead1').get(`/api/rounds/${roundId}/population?kind=project&grade=&pageSize=500`)).body.total,
    ).toBe(2);
    expect(
      (await api('lead1').get(`/api/rounds/${roundId}/population?grade=良`)).body.items.map(
        (i: { code: string }) => i.code,
      ),
    ).toEqual(['P002']);
  });

  it.each(['0x1', '1.0', '01', '-1', '1e0', ' 1', '99999999999999999999'])(
    'the round id "%s" names nothing: 404',
    async (id) => {
      expect((await api('lead1').get(`/api/rounds/${encodeURIComponent(id)}`)).status).toBe(404);
    },
  );
});

describe('amounts', () => {
  it('past 10^9 万元 are refused with the row and column; the maximum itself imports exactly', async () => {
    const roundId = await newRound();
    const refused = await api('lead1')
      .post(`/api/rounds/${roundId}/population`)
      .attach('file', csv('项目支出,P001,县甲局,县甲中心,甲项目,99999999999999999999,1,95,2024-03-01'), 'p.csv');
    expect(refused.status).toBe(422);
    expect(refused.body.error.details[0]).toMatchObject({ row: 2, column: '预算数（万元）' });
    expect(refused.body.error.details[0].message).toContain('超过上限1,000,000,000万元');
    const ok = await api('lead1')
      .post(`/api/rounds/${roundId}/population`)
      .attach('file', csv('项目支出,P001,县甲局,县甲中心,甲项目,1000000000.000001,1,95,2024-03-01'), 'p.csv');
    expect(ok.status).toBe(422);
    const max = await api('lead1')
      .post(`/api/rounds/${roundId}/population`)
      .attach('file', csv('项目支出,P001,县甲局,县甲中心,甲项目,999999999.999999,1,95,2024-03-01'), 'p.csv');
    expect(max.status).toBe(201);
    const record = await api('lead1').get(`/api/rounds/${roundId}/population/records/P001`);
    expect(record.body).toMatchObject({ budgetFen: '999999999999999', budgetWan: '1000000000.00' });
  });
});

describe('text that reads as something else', () => {
  it('bidi controls are taken out of imported names, round titles and download names', async () => {
    const roundId = await newRound({ title: '2023年度\u202e复核' });
    expect((await api('lead1').get(`/api/rounds/${roundId}`)).body.title).toBe('2023年度复核');
    const imported = await api('lead1')
      .post(`/api/rounds/${roundId}/population`)
      .attach('file', csv('项目支出,P001,县甲局,县甲\u202e中心,甲项目\u2066fdp.exe\u2069,10,9,95,2024-03-01'), 'p.csv');
    expect(imported.status).toBe(201);
    const record = await api('lead1').get(`/api/rounds/${roundId}/population/records/P001`);
    expect(record.body).toMatchObject({ unit: '县甲中心', name: '甲项目fdp.exe' });
  });

  it('an unknown column longer than 2,000 characters is a problem of its row, not cut', async () => {
    const roundId = await newRound();
    const body = Buffer.from(
      [`${HEADER},备注说明`, `项目支出,P001,县甲局,县甲中心,甲项目,10,9,95,2024-03-01,${'长'.repeat(2001)}`].join('\n'),
    );
    const res = await api('lead1').post(`/api/rounds/${roundId}/population`).attach('file', body, 'p.csv');
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([
      { sheet: '自评汇总', row: 2, column: '备注说明', message: '超过2000个字' },
    ]);
  });
});

describe('the announcement', () => {
  it('braces that come from the data are shown as written, never read as figures, and edits still save', async () => {
    const lead = t.agent();
    await login(lead, 'lead1');
    const csrf = await csrfOf(lead, '/categories');
    expect(
      (
        await lead
          .post('/categories')
          .type('form')
          .send({ _csrf: csrf, title: '资金{良数}用途不明{{7*7}}', recommendation: '按{优数}规定{{7*7}}使用资金' })
      ).status,
    ).toBe(303);
    const code = (await t.db('finding_categories').where('title', '资金{良数}用途不明{{7*7}}').first()).code as string;

    const roundId = await sampledRound(api('lead1'), {
      assign: { '2023-D001': 'rev1' },
      title: '2023年度绩效自评结果抽查复核（大括号）',
    });
    const url = `/api/rounds/${roundId}/items/2023-D001`;
    await api('rev1')
      .put(`${url}/review`)
      .send({ version: 0, reviewScore: 85, comment: '整体打分理由', dimensions: DIMENSIONS });
    expect(
      (await api('rev1').post(`${url}/findings`).send({ category: code, description: '资金用途说明不清' })).status,
    ).toBe(201);
    await api('rev1').post(`${url}/review/submit`);
    await api('lead1').post(`${url}/review/confirm`);
    const compiled = await api('lead1').post(`/api/rounds/${roundId}/announcement/compile`);
    expect(compiled.status).toBe(201);
    expect(compiled.body.html).toContain('资金{良数}用途不明{{7*7}}');
    expect(compiled.body.html).toContain('按{优数}规定{{7*7}}使用资金');
    // Editing another section, or the recommendation itself as the editor shows it, saves.
    const sections = (await api('lead1').get(`/api/rounds/${roundId}/announcement`)).body;
    const edit = await api('lead1')
      .put(`/api/rounds/${roundId}/announcement`)
      .send({
        revision: sections.revision,
        sections: { preamble: '导语{财政局}', [`recommendation:${code}`]: '按{{优数}}规定使用资金' },
      });
    expect(edit.status).toBe(200);
    expect(edit.body.html).toContain('按{优数}规定使用资金');
  });
});

describe('page messages', () => {
  it('come from the server, never from the URL', async () => {
    const agent = t.agent();
    await login(agent, 'rev1');
    for (const path of ['/work?error=伪造的提示&notice=伪造的通知', '/categories?error=伪造的提示']) {
      const page = await agent.get(path);
      expect(page.text).not.toContain('伪造');
    }
  });

  it('a refused offline upload is explained once, on the page it leads to', async () => {
    const roundId = await sampledRound(api('lead1'), { assign: { '2023-D001': 'rev1' } });
    const agent = t.agent();
    await login(agent, 'rev1');
    const csrf = await csrfOf(agent, '/work');
    const upload = await agent
      .post(`/rounds/${roundId}/results?_csrf=${encodeURIComponent(csrf)}`)
      .attach('file', Buffer.from('编码,复核得分\n2023-D001,abc\n'), 'r.csv');
    expect(upload.status).toBe(303);
    expect(upload.headers.location).toBe(`/work?round=${roundId}`);
    const page = await agent.get(upload.headers.location);
    expect(page.text).toContain('未导入任何复核结果');
    expect(page.text).toContain('不是数字');
    expect((await agent.get(upload.headers.location)).text).not.toContain('未导入任何复核结果');
  });
});

describe('download names', () => {
  it('keep a slash in the title as a full-width slash and carry the name as RFC 5987', async () => {
    // A round of one record, all of it sampled, so that it can be published.
    const roundId = await newRound({ objectionContact: '县财政局绩效股' });
    await api('lead1')
      .post(`/api/rounds/${roundId}/population`)
      .attach('file', csv('部门整体支出,D001,县甲局,县甲局,,100,90,95,2024-03-01'), 'p.csv');
    expect(
      (
        await api('lead1')
          .post(`/api/rounds/${roundId}/draws`)
          .send({ seed: 'names', method: 'srs', quota: { project: 0, department: 1 } })
      ).status,
    ).toBe(201);
    await api('lead1')
      .post(`/api/rounds/${roundId}/assignments`)
      .send([{ code: 'D001', username: 'rev1' }]);
    const url = `/api/rounds/${roundId}/items/D001`;
    await api('rev1')
      .put(`${url}/review`)
      .send({ version: 0, reviewScore: 85, comment: '整体打分理由', dimensions: DIMENSIONS });
    await api('rev1').post(`${url}/review/submit`);
    await api('lead1').post(`${url}/review/confirm`);
    const compiled = await api('lead1').post(`/api/rounds/${roundId}/announcement/compile`);
    await api('lead1')
      .put(`/api/rounds/${roundId}/announcement`)
      .send({ revision: compiled.body.revision, title: '某县财政局/2023年度\u202e公示' });
    expect((await api('lead1').post(`/api/rounds/${roundId}/announcement/submit`)).status).toBe(200);
    const published = await api('off1').post(`/api/rounds/${roundId}/announcement/publish`);
    expect(published.status).toBe(200);
    const docx = await t.agent().get(`${published.body.publicUrl}.docx`);
    expect(docx.status).toBe(200);
    const disposition = docx.headers['content-disposition'] as string;
    expect(disposition).toContain(`filename*=UTF-8''${encodeURIComponent('某县财政局／2023年度公示（第1版）.docx')}`);
    expect(disposition).not.toMatch(/%E2%80%AE/i);
    expect(await lastAudit(t.db, 'announcement.publish')).toBeTruthy();
  });
});
