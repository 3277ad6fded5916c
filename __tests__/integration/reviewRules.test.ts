import { DIMENSIONS, sampledRound, usersWithTokens, Api } from '../helpers/rounds';
import { lastAudit, login, startTestApp, TestApp } from '../helpers/testApp';

/**
 * The review's rules where input meets them: only what was sent is stored, blind review hides
 * the unit's scores everywhere, a confirmed item is closed, and a conflict ends an assignment.
 * Each test has a round of its own.
 */

let t: TestApp;
let api: (name: string) => Api;

beforeAll(async () => {
  t = await startTestApp();
  api = await usersWithTokens(t, [
    ['lead1', 'lead'],
    ['rev1', 'reviewer'],
    ['eval1', 'evaluator', { organisation: '乙会计师事务所' }],
    ['eval2', 'evaluator', { organisation: '乙会计师事务所' }],
  ]);
});
afterAll(() => t.close());

const item = (roundId: number, code: string) => `/api/rounds/${roundId}/items/${code}`;

describe('what is stored is what was sent', () => {
  it('a partial save keeps the fields it leaves out; null clears a field', async () => {
    const roundId = await sampledRound(api('lead1'), { assign: { '2023-D001': 'rev1' } });
    const full = await api('rev1')
      .put(`${item(roundId, '2023-D001')}/review`)
      .send({
        version: 0,
        reviewScore: 85.5,
        comment: '部门整体支出绩效目标不够细化',
        quality: { timeliness: 100, normative: 80, report: 70 },
        dimensions: DIMENSIONS,
      });
    expect(full.status).toBe(200);
    const partial = await api('rev1')
      .put(`${item(roundId, '2023-D001')}/review`)
      .send({ version: 1, reviewScore: 84 });
    expect(partial.status).toBe(200);
    expect(partial.body).toMatchObject({
      reviewScore: 84,
      comment: '部门整体支出绩效目标不够细化',
      qualityScore: 80,
      version: 2,
    });
    expect(Object.keys(partial.body.dimensions)).toHaveLength(7);
    const cleared = await api('rev1')
      .put(`${item(roundId, '2023-D001')}/review`)
      .send({ version: 2, comment: null, dimensions: { 满意度: null } });
    expect(cleared.body).toMatchObject({ reviewScore: 84, comment: null, qualityScore: 80 });
    expect(Object.keys(cleared.body.dimensions)).toHaveLength(6);
  });

  it('text too long or of the wrong type is a 422 naming the field, and nothing is stored', async () => {
    const roundId = await sampledRound(api('lead1'), { assign: { '2023-D001': 'rev1' } });
    const url = `${item(roundId, '2023-D001')}/review`;
    const long = await api('rev1')
      .put(url)
      .send({ version: 0, reviewScore: 80, comment: '长'.repeat(6000) });
    expect(long.status).toBe(422);
    expect(long.body.error.details).toEqual([{ field: 'comment', message: '复核意见不能超过5000字（现为6000字）' }]);
    const number = await api('rev1').put(url).send({ version: 0, reviewScore: 80, comment: 12345 });
    expect(number.status).toBe(422);
    expect(number.body.error.details).toEqual([{ field: 'comment', message: '复核意见须为文字' }]);
    expect((await api('rev1').get(item(roundId, '2023-D001'))).body.review).toBeNull();
    const evidence = await api('rev1')
      .post(`${item(roundId, '2023-D001')}/evidence`)
      .field('description', '说'.repeat(501))
      .attach('file', Buffer.from('%PDF-1.4\n%%EOF\n'), 'a.pdf');
    expect(evidence.status).toBe(422);
    expect(evidence.body.error.details[0]).toEqual({
      field: 'description',
      message: '材料说明不能超过500字（现为501字）',
    });
  });

  it.each([
    ['severity', { category: 'P01', description: '预算执行率偏低', severity: '__proto__' }],
    ['severity', { category: 'P01', description: '预算执行率偏低', severity: 'constructor' }],
    ['source', { category: 'P01', description: '预算执行率偏低', source: 'warning:constructor' }],
    ['category', { category: 'toString', description: '预算执行率偏低' }],
  ])('a built-in property name as %s is refused with 422, not stored', async (field, body) => {
    const roundId = await sampledRound(api('lead1'), { assign: { '2023-P001': 'rev1' } });
    const res = await api('rev1')
      .post(`${item(roundId, '2023-P001')}/findings`)
      .send(body);
    expect(res.status).toBe(422);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual([field]);
    expect((await api('rev1').get(item(roundId, '2023-P001'))).body.findings).toEqual([]);
  });

  it('a rule named after a built-in property is refused', async () => {
    const roundId = await sampledRound(api('lead1'), { assign: { '2023-P001': 'rev1' } });
    const record = (await api('rev1').get(item(roundId, '2023-P001'))).body;
    const id = record.indicators.find((i: { isExecution: boolean }) => !i.isExecution).id;
    const res = await api('rev1')
      .put(`${item(roundId, '2023-P001')}/review`)
      .send({ version: 0, indicators: [{ id, rule: 'toString', note: '说明' }] });
    expect(res.status).toBe(422);
    expect(res.body.error.details[0].message).toContain('扣分规则"toString"不存在');
  });
});

describe('blind review', () => {
  it('hides the self-score in every answer until the reviewer has saved a score of their own', async () => {
    const roundId = await sampledRound(api('lead1'), { assign: { '2023-D001': 'rev1' }, blindReview: true });
    const url = item(roundId, '2023-D001');
    expect((await api('rev1').get(url)).body).toMatchObject({ blind: true, selfScore: null });
    const commentOnly = await api('rev1').put(`${url}/review`).send({ version: 0, comment: '先写意见' });
    expect(commentOnly.body).toMatchObject({ selfScore: null, deviation: null });
    expect((await api('rev1').get(url)).body.review.selfScore).toBeNull();
    // The population and the sample show every self-score: not to reviewers of a blind round.
    const population = await api('rev1').get(`/api/rounds/${roundId}/population`);
    expect(population.status).toBe(403);
    expect((await lastAudit(t.db, 'access.denied')).detail).toContain('盲评批次');
    const scored = await api('rev1').put(`${url}/review`).send({ version: 1, reviewScore: 80 });
    expect(scored.body).toMatchObject({ selfScore: 96, deviation: 16 });
    expect((await api('rev1').get(url)).body).toMatchObject({ blind: false, selfScore: 96 });
    // The lead is never blind.
    expect((await api('lead1').get(`/api/rounds/${roundId}/population`)).status).toBe(200);
  });
});

describe('a confirmed review', () => {
  it('is closed to findings and evidence, for its reviewer and the lead, until the lead returns it', async () => {
    const roundId = await sampledRound(api('lead1'), { assign: { '2023-D001': 'rev1' } });
    const url = item(roundId, '2023-D001');
    const finding = await api('rev1')
      .post(`${url}/findings`)
      .send({ category: 'P02', description: '绩效目标不够细化' });
    expect(finding.status).toBe(201);
    await api('rev1')
      .put(`${url}/review`)
      .send({ version: 0, reviewScore: 85, comment: '整体打分理由', dimensions: DIMENSIONS });
    expect((await api('rev1').post(`${url}/review/submit`)).status).toBe(200);
    expect((await api('lead1').post(`${url}/review/confirm`)).status).toBe(200);

    for (const who of ['rev1', 'lead1']) {
      const added = await api(who).post(`${url}/findings`).send({ category: 'P09', description: '确认后又记录的问题' });
      expect(added.status).toBe(409);
      const upload = await api(who)
        .post(`${url}/evidence`)
        .attach('file', Buffer.from('%PDF-1.4\n%%EOF\n'), 'late.pdf');
      expect(upload.status).toBe(409);
    }
    const agent = t.agent();
    await login(agent, 'rev1');
    const page = await agent.get(`/rounds/${roundId}/items/2023-D001`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const withdraw = await agent
      .post(`/rounds/${roundId}/items/2023-D001`)
      .type('form')
      .send({ _csrf: csrf, action: 'withdraw-finding', findingId: finding.body.id, reason: '确认后撤回' });
    expect(withdraw.status).toBe(409);
    expect((await api('lead1').get(url)).body.findings).toHaveLength(1);

    expect((await api('lead1').post(`${url}/review/return`).send({ reason: '补充问题' })).status).toBe(200);
    expect(
      (await api('rev1').post(`${url}/findings`).send({ category: 'P09', description: '退回后补充的问题' })).status,
    ).toBe(201);
  });
});

describe('a conflict declared after assignment', () => {
  it('ends the assignment (kept in its history), tells the lead, and the evaluator can no longer write', async () => {
    const roundId = await sampledRound(api('lead1'), { assign: { '2023-P004': 'eval1', '2023-P001': 'rev1' } });
    const url = item(roundId, '2023-P004');
    expect((await api('eval1').put(`${url}/review`).send({ version: 0, comment: '开始复核' })).status).toBe(200);
    // A colleague of the same agency declares the unit's department.
    const declared = await api('eval2')
      .post(`/api/rounds/${roundId}/conflicts`)
      .send({ scope: 'department', name: '县残疾人联合会', reason: '2023年为其提供预算编制咨询服务' });
    expect(declared.status).toBe(201);
    expect((await api('lead1').get(url)).body.assignee).toBeNull();
    expect(
      (await api('eval1').get('/api/work')).body.items.filter((i: { roundId: number }) => i.roundId === roundId),
    ).toEqual([]);
    expect((await api('eval1').put(`${url}/review`).send({ version: 1, comment: '继续复核' })).status).toBe(403);
    const ended = await t
      .db('assignments')
      .join('submissions', 'submissions.id', 'assignments.submission_id')
      .where({ 'assignments.round_id': roundId, 'submissions.code': '2023-P004' })
      .first('assignments.*');
    expect(ended.ended_at).not.toBeNull();
    expect(ended.end_reason).toContain('乙会计师事务所申报利益冲突');
    expect((await lastAudit(t.db, 'assignment.end')).object_id).toBe(`${roundId}:2023-P004`);
    const lead = t.agent();
    await login(lead, 'lead1');
    const page = await lead.get(`/rounds/${roundId}/assignments`);
    expect(page.text).toContain('因第三方评价机构申报利益冲突已结束分配');
    expect(page.text).toContain('2023-P004');
    // Items of other departments stay with their reviewers.
    expect((await api('lead1').get(item(roundId, '2023-P001'))).body.assignee).toBe('rev1');
  });
});

describe('editing a finding', () => {
  it('by its author, at the version read, every earlier text kept and audited', async () => {
    const roundId = await sampledRound(api('lead1'), { assign: { '2023-D001': 'rev1' } });
    const url = item(roundId, '2023-D001');
    const made = await api('rev1').post(`${url}/findings`).send({ category: 'P02', description: '绩效目标不够细化' });
    expect(made.body.version).toBe(1);
    const edited = await api('rev1')
      .put(`${url}/findings/${made.body.id}`)
      .send({ version: 1, category: 'P03', description: '绩效指标未细化量化，无法考核', severity: 'major' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      version: 2,
      category: 'P03',
      description: '绩效指标未细化量化，无法考核',
      severity: 'major',
      earlier: [{ version: 1, category: 'P02', description: '绩效目标不够细化', severity: 'minor' }],
    });
    const audit = await lastAudit(t.db, 'finding.update');
    expect(audit.object_id).toBe(String(made.body.id));
    expect(JSON.parse(audit.before as string)).toMatchObject({ version: 1, description: '绩效目标不够细化' });
    expect(JSON.parse(audit.after as string)).toMatchObject({ version: 2, category: 'P03' });

    // A stale version: 409 with what is stored now, and nothing changes.
    const stale = await api('rev1')
      .put(`${url}/findings/${made.body.id}`)
      .send({ version: 1, category: 'P02', description: '另一个窗口里的修改' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('stale_version');
    expect(stale.body.error.details.current).toMatchObject({ version: 2, description: '绩效指标未细化量化，无法考核' });
    // Bad input: 422 naming the field, nothing changes.
    const short = await api('rev1')
      .put(`${url}/findings/${made.body.id}`)
      .send({ version: 2, category: 'P03', description: '短' });
    expect(short.status).toBe(422);
    expect(short.body.error.details).toEqual([{ field: 'description', message: '请描述问题（至少4个字）' }]);
    // Only its author: the lead may not rewrite the reviewer's finding (403, audited).
    const lead = await api('lead1')
      .put(`${url}/findings/${made.body.id}`)
      .send({ version: 2, category: 'P03', description: '组长改写' });
    expect(lead.status).toBe(403);
    expect((await lastAudit(t.db, 'access.denied')).detail).toContain('只有记录人');
    const findings = (await api('lead1').get(url)).body.findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ version: 2, description: '绩效指标未细化量化，无法考核' });
  });

  it('a reviewer edits until they submit (and again after taking it back); the lead until confirmed', async () => {
    const roundId = await sampledRound(api('lead1'), { assign: { '2023-D001': 'rev1' } });
    const url = item(roundId, '2023-D001');
    const own = (await api('rev1').post(`${url}/findings`).send({ category: 'P02', description: '绩效目标不够细化' }))
      .body.id;
    await api('rev1')
      .put(`${url}/review`)
      .send({ version: 0, reviewScore: 85, comment: '整体打分理由', dimensions: DIMENSIONS });
    expect((await api('rev1').post(`${url}/review/submit`)).status).toBe(200);
    const submitted = await api('rev1')
      .put(`${url}/findings/${own}`)
      .send({ version: 1, category: 'P02', description: '提交后再改' });
    expect(submitted.status).toBe(409);
    expect(submitted.body.error.message).toContain('请先撤回提交');
    // The lead's own finding, on a submitted review, is still theirs to edit.
    const leads = (await api('lead1').post(`${url}/findings`).send({ category: 'P09', description: '组长核查发现' }))
      .body.id;
    expect(
      (
        await api('lead1')
          .put(`${url}/findings/${leads}`)
          .send({ version: 1, category: 'P09', description: '组长核查发现的问题' })
      ).status,
    ).toBe(200);
    expect((await api('rev1').post(`${url}/review/withdraw`)).status).toBe(200);
    expect(
      (await api('rev1').put(`${url}/findings/${own}`).send({ version: 1, category: 'P02', description: '撤回后修改' }))
        .status,
    ).toBe(200);
    // Withdrawn findings stay as they were.
    await api('rev1').post(`${url}/review/submit`);
    expect((await api('lead1').post(`${url}/review/confirm`)).status).toBe(200);
    const confirmed = await api('lead1')
      .put(`${url}/findings/${leads}`)
      .send({ version: 2, category: 'P09', description: '确认后再改' });
    expect(confirmed.status).toBe(409);
    const findings = (await api('lead1').get(url)).body.findings;
    expect(findings.map((f: { description: string }) => f.description)).toEqual(['撤回后修改', '组长核查发现的问题']);
  });

  it('on the page: a refused edit comes back open with what was typed, the review as stored', async () => {
    const roundId = await sampledRound(api('lead1'), { assign: { '2023-D001': 'rev1' } });
    const url = item(roundId, '2023-D001');
    const id = (await api('rev1').post(`${url}/findings`).send({ category: 'P02', description: '绩效目标不够细化' }))
      .body.id;
    await api('rev1').put(`${url}/review`).send({ version: 0, comment: '已保存的复核意见' });
    const agent = t.agent();
    await login(agent, 'rev1');
    const page = await agent.get(`/rounds/${roundId}/items/2023-D001`);
    expect(page.text).toContain(`id="fe-desc-${id}"`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const refused = await agent.post(`/rounds/${roundId}/items/2023-D001`).type('form').send({
      _csrf: csrf,
      action: 'edit-finding',
      findingId: id,
      findingVersion: '1',
      category: 'P03',
      description: '短',
    });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('id="finding-error"');
    expect(refused.text).toMatch(new RegExp(`<details class="finding-edit" open>`));
    expect(refused.text).toContain(`name="description" rows="3" required minlength="4">短</textarea>`);
    expect(refused.text).toContain('已保存的复核意见');
    const saved = await agent.post(`/rounds/${roundId}/items/2023-D001`).type('form').send({
      _csrf: csrf,
      action: 'edit-finding',
      findingId: id,
      findingVersion: '1',
      category: 'P03',
      description: '绩效指标未细化量化',
    });
    expect(saved.status).toBe(303);
    const after = await agent.get(saved.headers.location);
    expect(after.text).toContain('问题已修改（第2版，此前的版本已保留）。');
    expect(after.text).toContain('第1版：P02');
    // A refused new finding keeps what was typed in its form, not in the review's.
    const bad = await agent
      .post(`/rounds/${roundId}/items/2023-D001`)
      .type('form')
      .send({ _csrf: csrf, action: 'finding', category: 'P05', severity: 'major', description: '少' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain(
      '<textarea id="fd-desc" name="description" rows="3" required minlength="4">少</textarea>',
    );
    expect(bad.text).toContain('<option value="P05" selected>');
    expect(bad.text).toContain('已保存的复核意见');
  });
});
