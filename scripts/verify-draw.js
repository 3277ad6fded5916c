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
 * The same file runs in a browser (the public draw page's 在浏览器中核验): there it defines
 * `window.FuheDraw` with the procedure's pure steps, and the page hashes with WebCrypto and
 * draws the numbers with seedrandom's browser build.
 *
 * The population file has one line per record: code, kind (项目支出 or 部门整体支出), budget in
 * fen and self-score in hundredths, separated by tabs, as the public draw page offers it. The
 * script prints the population fingerprint and the picks in the same text as the page's
 * "expected output", so the two can be compared byte for byte (e.g. with `diff`).
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.FuheDraw = factory();
})(globalThis, function () {
  'use strict';
  var KINDS = { 项目支出: 'project', 部门整体支出: 'department' };

  /** The population file's records in canonical order (by code, UTF-16 code units); throws on a bad line. */
  function parsePopulation(text) {
    return text
      .split('\n')
      .filter(function (line) {
        return line !== '';
      })
      .map(function (line, i) {
        var cells = line.split('\t');
        var kindLabel = cells[1];
        if (
          !Object.prototype.hasOwnProperty.call(KINDS, kindLabel) ||
          !/^\d+$/.test(cells[2]) ||
          !/^\d+$/.test(cells[3])
        )
          throw new Error('line ' + (i + 1) + ' is not "code<TAB>kind<TAB>fen<TAB>hundredths"');
        return {
          code: cells[0],
          kindLabel: kindLabel,
          kind: KINDS[kindLabel],
          budget: BigInt(cells[2]),
          score: Number(cells[3]),
        };
      })
      .sort(function (a, b) {
        return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
      });
  }

  /** Step 2: the text whose SHA-256 is the population fingerprint. */
  function canonicalText(records) {
    return records
      .map(function (r) {
        return r.code + '\t' + r.kindLabel + '\t' + r.budget + '\t' + r.score + '\n';
      })
      .join('');
  }

  /**
   * Steps 3–7 once the seed's key is known: `random` is seedrandom(K). `rules` holds method,
   * quota, initialQuota, mandatoryMinBudgetFen (a BigInt or null), mandatoryCodes, excludeCodes.
   */
  function draw(records, random, rules) {
    var u = records.map(function () {
      return random();
    });
    // Step 4: priority within a stratum.
    var weight = records.map(function (r) {
      return Number(r.budget);
    });
    var key = records.map(function (r, i) {
      return weight[i] > 0 ? Math.log(u[i]) / weight[i] : NaN;
    });
    var before = function (a, b) {
      if (rules.method === 'srs') return u[a] < u[b] ? -1 : u[a] > u[b] ? 1 : a - b;
      var za = Number.isNaN(key[a]);
      var zb = Number.isNaN(key[b]);
      if (za || zb) return za && zb ? a - b : za ? 1 : -1;
      return key[a] > key[b] ? -1 : key[a] < key[b] ? 1 : a - b;
    };
    // Steps 5–7: mandatory first, then random up to the quota; ranks beyond the initial quota are expansions.
    var excluded = new Set(rules.excludeCodes);
    var mandatory = new Set(rules.mandatoryCodes);
    var threshold = rules.mandatoryMinBudgetFen;
    var picks = [];
    ['project', 'department'].forEach(function (kind) {
      var indices = records
        .map(function (r, i) {
          return i;
        })
        .filter(function (i) {
          return records[i].kind === kind && !excluded.has(records[i].code);
        });
      var isMandatory = function (i) {
        return mandatory.has(records[i].code) || (threshold !== null && records[i].budget >= threshold);
      };
      var taken = indices.filter(isMandatory).sort(before);
      var reasons = taken.map(function () {
        return 'mandatory';
      });
      var rest = indices
        .filter(function (i) {
          return !isMandatory(i);
        })
        .sort(before);
      for (var n = 0; n < rest.length && taken.length < rules.quota[kind]; n++) {
        reasons.push(taken.length + 1 > rules.initialQuota[kind] ? 'expansion' : 'random');
        taken.push(rest[n]);
      }
      taken.forEach(function (i, k) {
        picks.push({ kind: kind, rank: k + 1, code: records[i].code, reason: reasons[k], u: u[i] });
      });
    });
    return picks;
  }

  /** `u` with at least 12 significant digits, as the draw's page and files print it. */
  function formatU(x) {
    var shortest = String(x);
    var digits = shortest
      .replace(/^0\.0*/, '')
      .replace('.', '')
      .replace(/e.*$/, '').length;
    return digits >= 12 ? shortest : x.toPrecision(12);
  }

  /** The text the page publishes as expected.txt, and the command prints. */
  function outputText(d) {
    var list = function (codes) {
      return codes.length
        ? codes
            .slice()
            .sort(function (a, b) {
              return a < b ? -1 : a > b ? 1 : 0;
            })
            .join(',')
        : '-';
    };
    var count = function (kind) {
      return d.records.filter(function (r) {
        return r.kind === kind;
      }).length;
    };
    var r = d.rules;
    var lines = [
      'FUHE-DRAW-1',
      'fingerprint: ' + d.fingerprint,
      'records: project=' + count('project') + ' department=' + count('department'),
      'seed: ' + d.seed,
      'K: ' + d.K,
      'method: ' + r.method,
      'quota: project=' + r.quota.project + ' department=' + r.quota.department,
      'initial-quota: project=' + r.initialQuota.project + ' department=' + r.initialQuota.department,
      'mandatory-min-budget-fen: ' + (r.mandatoryMinBudgetFen === null ? '-' : r.mandatoryMinBudgetFen.toString()),
      'mandatory-codes: ' + list(r.mandatoryCodes),
      'exclude-codes: ' + list(r.excludeCodes),
      'kind\trank\tcode\treason\tu',
    ].concat(
      d.picks.map(function (p) {
        return p.kind + '\t' + p.rank + '\t' + p.code + '\t' + p.reason + '\t' + formatU(p.u);
      }),
    );
    return lines.join('\n') + '\n';
  }

  return {
    parsePopulation: parsePopulation,
    canonicalText: canonicalText,
    draw: draw,
    formatU: formatU,
    outputText: outputText,
  };
});

// The command line (Node.js only).
if (typeof require === 'function' && typeof module === 'object' && require.main === module) {
  const crypto = require('node:crypto');
  const fs = require('node:fs');
  const seedrandom = require('seedrandom');
  const FuheDraw = module.exports;

  const fail = (message) => {
    process.stderr.write(`verify-draw: ${message}\n`);
    process.exit(2);
  };

  const args = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i];
    if (!name.startsWith('--')) fail(`unexpected argument ${name}`);
    if (argv[i + 1] === undefined) fail(`${name} needs a value`);
    args[name.slice(2)] = argv[i + 1];
  }
  if (args['seed-file'] !== undefined) {
    if (args.seed !== undefined) fail('give --seed or --seed-file, not both');
    args.seed = fs.readFileSync(args['seed-file'], 'utf8').replace(/^\uFEFF/, '');
  }
  if (!args.population || args.seed === undefined || !args.method || !args.quota) {
    fail(
      'usage: verify-draw --population FILE (--seed SEED | --seed-file FILE) --method srs|pps --quota PROJECT,DEPARTMENT [options]',
    );
  }
  if (args.method !== 'srs' && args.method !== 'pps') fail('--method must be srs or pps');
  const pair = (text) => {
    const [project, department] = String(text)
      .split(',')
      .map((n) => Number(n));
    if (!Number.isInteger(project) || !Number.isInteger(department)) fail(`not a quota pair: ${text}`);
    return { project, department };
  };
  const codesOf = (text) => (text ? text.split(/[\s,]+/).filter(Boolean) : []);
  const quota = pair(args.quota);
  const rules = {
    method: args.method,
    quota,
    initialQuota: args['initial-quota'] ? pair(args['initial-quota']) : quota,
    mandatoryMinBudgetFen: args['mandatory-min-budget-fen'] ? BigInt(args['mandatory-min-budget-fen']) : null,
    mandatoryCodes: codesOf(args.mandatory),
    excludeCodes: args['exclude-file'] ? codesOf(fs.readFileSync(args['exclude-file'], 'utf8')) : codesOf(args.exclude),
  };
  const seed = args.seed.normalize('NFC').trim();
  let records;
  try {
    records = FuheDraw.parsePopulation(fs.readFileSync(args.population, 'utf8'));
  } catch (err) {
    fail(err.message);
  }
  const sha256 = (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');
  const K = sha256(seed);
  const picks = FuheDraw.draw(records, seedrandom(K), rules);
  process.stdout.write(
    FuheDraw.outputText({ records, fingerprint: sha256(FuheDraw.canonicalText(records)), seed, K, rules, picks }),
  );
}
