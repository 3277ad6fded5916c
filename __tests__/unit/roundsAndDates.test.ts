import os from 'node:os';
import { safeNext } from '../../server/auth/routes';
import { formatCalendarDateZh, formatInstantCst, isCalendarDate, workingDays } from '../../server/domain/dates';
import { publicitySentence } from '../../server/domain/announcement';
import { describeChanges, parseRoundFields } from '../../server/domain/rounds';
import { sign, unsign } from '../../server/http/cookies';

describe('round fields', () => {
  it('parses a complete round, trimming and normalising text', () => {
    expect(
      parseRoundFields({
        title: ' 2023年度绩效自评结果抽查复核 ',
        fiscalYear: '2023',
        bureau: '太康县财政局',
        workPlanRef: '太财字〔2023〕30号',
        deadline: '2024-03-31',
      }),
    ).toEqual({
      value: {
        title: '2023年度绩效自评结果抽查复核',
        fiscalYear: 2023,
        bureau: '太康县财政局',
        workPlanRef: '太财字〔2023〕30号',
        deadline: '2024-03-31',
        publicityDays: 5,
        unitFeedbackDays: 5,
        objectionContact: null,
        minEstimateSample: 10,
        onsiteChecks: false,
      },
      errors: [],
    });
  });

  it('accepts a number for the year and leaves optional fields empty as null', () => {
    expect(parseRoundFields({ title: 'x', fiscalYear: 2024 }).value).toEqual({
      title: 'x',
      fiscalYear: 2024,
      bureau: null,
      workPlanRef: null,
      deadline: null,
      publicityDays: 5,
      unitFeedbackDays: 5,
      objectionContact: null,
      minEstimateSample: 10,
      onsiteChecks: false,
    });
  });

  it('reports every problem at once', () => {
    const { value, errors } = parseRoundFields({
      title: '',
      fiscalYear: '1999',
      deadline: '2023-02-29',
      bureau: '局'.repeat(201),
    });
    expect(value).toBeUndefined();
    expect(errors.map((e) => e.field)).toEqual(['title', 'fiscalYear', 'bureau', 'deadline']);
  });
});

describe('dates', () => {
  it('knows real calendar dates', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2023-02-29')).toBe(false);
    expect(isCalendarDate('2024-3-5')).toBe(false);
  });

  it('writes dates and instants the Chinese way, in Beijing time', () => {
    expect(formatCalendarDateZh('2024-03-05')).toBe('2024年3月5日');
    expect(formatInstantCst(new Date('2026-11-25T17:30:00Z'))).toBe('2026-11-26 01:30:00');
  });
});

describe('cookies and redirects', () => {
  it('a signed value comes back only with its own signature', () => {
    const signed = sign('secret', 'abc');
    expect(unsign('secret', signed)).toBe('abc');
    expect(unsign('other', signed)).toBeUndefined();
    expect(unsign('secret', signed.replace('abc', 'abd'))).toBeUndefined();
    expect(unsign('secret', undefined)).toBeUndefined();
  });

  it('returns only to local paths', () => {
    expect(safeNext('/rounds/1')).toBe('/rounds/1');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext('/\\evil.example')).toBe('/');
    expect(safeNext(undefined)).toBe('/');
  });
});

describe('round history', () => {
  it('names the fields that changed, old and new', () => {
    expect(
      describeChanges({ title: '甲', deadline: null, version: 1 }, { title: '乙', deadline: '2024-03-31', version: 2 }),
    ).toBe('名称：甲 → 乙；截止日期：（空） → 2024-03-31');
    expect(describeChanges(null, { title: '甲' })).toBe('');
  });
});

describe('configuration', () => {
  const { loadConfig } = jest.requireActual('../../server/config');
  const dir = os.tmpdir();

  it('shows stack traces only when NODE_ENV=development is set explicitly', () => {
    expect(loadConfig({ FUHE_DATA_DIR: dir, FUHE_SESSION_SECRET: 's'.repeat(40) }).env).toBe('production');
    expect(loadConfig({ FUHE_DATA_DIR: dir, FUHE_SESSION_SECRET: 's'.repeat(40), NODE_ENV: 'development' }).env).toBe(
      'development',
    );
  });

  it('requires the session secret in production, and a long one', () => {
    expect(() => loadConfig({ FUHE_DATA_DIR: dir, NODE_ENV: 'production' })).toThrow(/FUHE_SESSION_SECRET/);
    expect(() => loadConfig({ FUHE_DATA_DIR: dir, FUHE_SESSION_SECRET: 'short' })).toThrow(/at least 32/);
  });

  it('accepts only postgres:// database URLs', () => {
    expect(() =>
      loadConfig({ FUHE_DATA_DIR: dir, FUHE_SESSION_SECRET: 's'.repeat(40), DATABASE_URL: 'mysql://x' }),
    ).toThrow(/postgres/);
  });
});

describe('a 公示期 of working days', () => {
  it.each([
    // Monday 2024-04-01: Monday to Friday.
    ['2024-04-01', 5, '2024-04-01', '2024-04-05'],
    // Thursday: over the weekend to Wednesday.
    ['2024-04-04', 5, '2024-04-04', '2024-04-10'],
    // Published on a Saturday: counted from Monday.
    ['2024-04-06', 5, '2024-04-08', '2024-04-12'],
    ['2024-04-01', 1, '2024-04-01', '2024-04-01'],
    ['2024-12-30', 7, '2024-12-30', '2025-01-07'],
  ])('from %s, %i days: %s to %s', (from, days, first, last) => {
    expect(workingDays(from, days)).toEqual({ first, last });
  });
  it('a draft says how long; a publication says from when to when', () => {
    expect(publicitySentence({ days: 5, contact: null, publishedOn: null })).toBe('公示期为公示发布之日起5个工作日。');
    expect(publicitySentence({ days: 5, contact: null, publishedOn: '2024-04-04' })).toBe(
      '公示期为2024年4月4日至2024年4月10日（5个工作日）。',
    );
  });
  it('the round keeps its days and contact, within limits', () => {
    expect(parseRoundFields({ title: 't', fiscalYear: '2023' }).value).toMatchObject({
      publicityDays: 5,
      objectionContact: null,
    });
    expect(parseRoundFields({ title: 't', fiscalYear: '2023', publicityDays: '0' }).errors).toEqual([
      { field: 'publicityDays', message: '公示期须为1–30个工作日' },
    ]);
    expect(parseRoundFields({ title: 't', fiscalYear: '2023', publicityDays: '3.5' }).errors[0].field).toBe(
      'publicityDays',
    );
    expect(
      parseRoundFields({ title: 't', fiscalYear: '2023', objectionContact: '电'.repeat(301) }).errors[0].field,
    ).toBe('objectionContact');
  });
  it('gives units 5 working days for feedback unless the round says otherwise (1–30)', () => {
    expect(parseRoundFields({ title: 't', fiscalYear: '2023', unitFeedbackDays: '10' }).value?.unitFeedbackDays).toBe(
      10,
    );
    expect(parseRoundFields({ title: 't', fiscalYear: '2023', unitFeedbackDays: '31' }).errors).toEqual([
      { field: 'unitFeedbackDays', message: '单位反馈期限须为1–30个工作日' },
    ]);
  });
});
