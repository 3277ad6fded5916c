#!/usr/bin/env node
/*
 * verify-draw — re-draw a fuhe sample (procedure FUHE-DRAW-1) from the published population file.
 *
 * Stand-alone on purpose: it uses only Node.js (node:crypto, node:fs) and the npm package
 * `seedrandom` 3.x, and none of the application's code, so that anyone can check a draw:
 *
 *   npm install seedrandom@3
 *   node verify-draw.js --population population.tsv --seed "福彩3D-2024347-5-1-8" \
 *        --method srs --quota 20,2 [--initial-quota 15,2] [--mandatory-min-budget-fen N] \
 *        [--mandatory CODE,CODE] [--exclude CODE,CODE | --exclude-file codes.txt]
 *
 * `--seed-file seed.txt` instead of `--seed` reads the seed from a UTF-8 file (a BOM and the
 * surrounding white space are dropped), so that no shell's quoting rules touch it (PowerShell
 * and cmd.exe treat quotes, spaces and non-ASCII differently).
 *
 * The population file has one line per record: code, kind (项目支出 or 部门整体支出), budget in
 * fen and self-score in hundredths, separated by tabs, as the public draw page offers it. The
 * script prints the population fingerprint and the picks in the same text as the page's
 * "expected output", so the two can be compared byte for byte (e.g. with `diff`).
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const seedrandom = require('seedrandom');

function fail(message) {
  process.stderr.write(`verify-draw: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    if (!name.startsWith('--')) fail(`unexpected argument ${name}`);
    const value = argv[i + 1];
    if (value === undefined) fail(`${name} needs a value`);
    args[name.slice(2)] = value;
    i++;
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
if (args['seed-file'] !== undefined) {
  if (args.seed !== undefined) fail('give --seed or --seed-file, not both');
  args.seed = fs.readFileSync(args['seed-file'], 'utf8').replace(/^\uFEFF/, '');
}
if (!args.population || args.seed === undefined || !args.method || !args.quota) {
  fail(
    'usage: verify-draw --population FILE (--seed SEED | --seed-file FILE) --method srs|pps --quota PROJECT,DEPARTMENT [options]',
  );
}
const method = args.method;
if (method !== 'srs' && method !== 'pps') fail('--method must be srs or pps');
const pair = (text) => {
  const [project, department] = String(text)
    .split(',')
    .map((n) => Number(n));
  if (!Number.isInteger(project) || !Number.isInteger(department)) fail(`not a quota pair: ${text}`);
  return { project, department };
};
const quota = pair(args.quota);
const initialQuota = args['initial-quota'] ? pair(args['initial-quota']) : quota;
const codesOf = (text) => (text ? text.split(/[\s,]+/).filter(Boolean) : []);
const mandatoryCodes = codesOf(args.mandatory);
const excludeCodes = args['exclude-file']
  ? codesOf(fs.readFileSync(args['exclude-file'], 'utf8'))
  : codesOf(args.exclude);
const threshold = args['mandatory-min-budget-fen'] ? BigInt(args['mandatory-min-budget-fen']) : null;
const seed = args.seed.normalize('NFC').trim();

// The population, put in canonical order: by code, comparing UTF-16 code units.
const KINDS = { 项目支出: 'project', 部门整体支出: 'department' };
const text = fs.readFileSync(args.population, 'utf8');
const records = text
  .split('\n')
  .filter((line) => line !== '')
  .map((line, i) => {
    const [code, kindLabel, budget, score] = line.split('\t');
    if (!(kindLabel in KINDS) || !/^\d+$/.test(budget) || !/^\d+$/.test(score))
      fail(`line ${i + 1} is not "code<TAB>kind<TAB>fen<TAB>hundredths"`);
    return { code, kindLabel, kind: KINDS[kindLabel], budget: BigInt(budget), score: Number(score) };
  })
  .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));

// Step 2: the fingerprint.
const hash = crypto.createHash('sha256');
for (const r of records) hash.update(`${r.code}\t${r.kindLabel}\t${r.budget}\t${r.score}\n`, 'utf8');
const fingerprint = hash.digest('hex');

// Step 3: one uniform per record from seedrandom(SHA-256(seed)).
const K = crypto.createHash('sha256').update(seed, 'utf8').digest('hex');
const rng = seedrandom(K);
const u = records.map(() => rng());

// Step 4: priority within a stratum.
const weight = records.map((r) => Number(r.budget));
const key = records.map((r, i) => (weight[i] > 0 ? Math.log(u[i]) / weight[i] : NaN));
const before = (a, b) => {
  if (method === 'srs') return u[a] < u[b] ? -1 : u[a] > u[b] ? 1 : a - b;
  const za = Number.isNaN(key[a]);
  const zb = Number.isNaN(key[b]);
  if (za || zb) return za && zb ? a - b : za ? 1 : -1;
  return key[a] > key[b] ? -1 : key[a] < key[b] ? 1 : a - b;
};

// Steps 5–7: mandatory first, then random up to the quota; ranks beyond the initial quota are expansions.
const excluded = new Set(excludeCodes);
const mandatory = new Set(mandatoryCodes);
const picks = [];
for (const kind of ['project', 'department']) {
  const indices = records.map((r, i) => i).filter((i) => records[i].kind === kind && !excluded.has(records[i].code));
  const isMandatory = (i) => mandatory.has(records[i].code) || (threshold !== null && records[i].budget >= threshold);
  const taken = indices.filter(isMandatory).sort(before);
  const reasons = taken.map(() => 'mandatory');
  for (const i of indices.filter((i) => !isMandatory(i)).sort(before)) {
    if (taken.length >= quota[kind]) break;
    reasons.push(taken.length + 1 > initialQuota[kind] ? 'expansion' : 'random');
    taken.push(i);
  }
  taken.forEach((i, k) => picks.push({ kind, rank: k + 1, code: records[i].code, reason: reasons[k], u: u[i] }));
}

const formatU = (x) => {
  const shortest = String(x);
  const digits = shortest
    .replace(/^0\.0*/, '')
    .replace('.', '')
    .replace(/e.*$/, '').length;
  return digits >= 12 ? shortest : x.toPrecision(12);
};
const list = (codes) => (codes.length ? [...codes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(',') : '-');
const count = (kind) => records.filter((r) => r.kind === kind).length;
const lines = [
  'FUHE-DRAW-1',
  `fingerprint: ${fingerprint}`,
  `records: project=${count('project')} department=${count('department')}`,
  `seed: ${seed}`,
  `K: ${K}`,
  `method: ${method}`,
  `quota: project=${quota.project} department=${quota.department}`,
  `initial-quota: project=${initialQuota.project} department=${initialQuota.department}`,
  `mandatory-min-budget-fen: ${threshold === null ? '-' : threshold.toString()}`,
  `mandatory-codes: ${list(mandatoryCodes)}`,
  `exclude-codes: ${list(excludeCodes)}`,
  'kind\trank\tcode\treason\tu',
  ...picks.map((p) => `${p.kind}\t${p.rank}\t${p.code}\t${p.reason}\t${formatU(p.u)}`),
];
process.stdout.write(lines.join('\n') + '\n');
