// The public draw page's 在浏览器中核验: the published population file (and exclusions) hashed
// with WebCrypto and drawn again by FUHE-DRAW-1 in this browser — verify-draw.js's own steps
// (window.FuheDraw) and seedrandom's browser build, none of the server's code — then compared
// pick by pick with what the page publishes. Without JavaScript the page explains the
// command-line check instead.
'use strict';

(function () {
  var box = document.querySelector('[data-browser-check]');
  if (!box) return;
  var result = box.querySelector('[data-result]');
  var run = box.querySelector('[data-run]');
  var fileInput = box.querySelector('input[type=file]');
  var data;
  try {
    data = JSON.parse(box.getAttribute('data-draw'));
  } catch (e) {
    return;
  }
  if (!window.FuheDraw || !Math.seedrandom) return;
  box.hidden = false;

  var KIND_LABELS = { project: '项目支出', department: '部门整体支出' };
  var REASONS = { mandatory: '必抽', random: '随机抽取', expansion: '扩大抽样' };

  var el = function (tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  };
  var hex = function (buffer) {
    return Array.prototype.map
      .call(new Uint8Array(buffer), function (b) {
        return ('0' + b.toString(16)).slice(-2);
      })
      .join('');
  };
  var sha256 = function (text) {
    return window.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)).then(hex);
  };
  var say = function (className, text) {
    result.textContent = '';
    var p = el('p', text, 'alert ' + className);
    p.setAttribute('role', 'status');
    result.appendChild(p);
    return p;
  };
  var fetchText = function (url) {
    return fetch(url, { credentials: 'omit' }).then(function (res) {
      if (!res.ok) throw new Error('下载 ' + url + ' 失败（' + res.status + '）');
      return res.arrayBuffer();
    });
  };
  var utf8 = function (buffer) {
    return new TextDecoder('utf-8').decode(buffer);
  };

  /** Computes everything from the population text and shows each comparison. */
  var check = function (populationText, excludeText) {
    var records = window.FuheDraw.parsePopulation(populationText);
    var codesOf = function (text) {
      return text ? text.split(/[\s,]+/).filter(Boolean) : [];
    };
    var rules = {
      method: data.method,
      quota: data.quota,
      initialQuota: data.initialQuota,
      mandatoryMinBudgetFen: data.mandatoryMinBudgetFen === null ? null : BigInt(data.mandatoryMinBudgetFen),
      mandatoryCodes: data.mandatoryCodes,
      excludeCodes: codesOf(excludeText),
    };
    return Promise.all([sha256(window.FuheDraw.canonicalText(records)), sha256(data.seed)]).then(function (hashes) {
      var fingerprint = hashes[0];
      var K = hashes[1];
      // `new`: a generator of its own, leaving Math.random as it was.
      var picks = window.FuheDraw.draw(records, new Math.seedrandom(K), rules);
      return { records: records, fingerprint: fingerprint, K: K, picks: picks };
    });
  };

  var show = function (mine) {
    result.textContent = '';
    var rows = [];
    var facts = [
      ['总体指纹（SHA-256）', data.fingerprint, mine.fingerprint],
      ['K = SHA-256(种子)', data.K, mine.K],
    ];
    var table = el('table', undefined, 'table table--compact check-table');
    var head = el('thead');
    var tr = el('tr');
    ['项目', '公布的', '在您的浏览器中算出的', '结果'].forEach(function (h) {
      var th = el('th', h);
      th.scope = 'col';
      tr.appendChild(th);
    });
    head.appendChild(tr);
    table.appendChild(head);
    var body = el('tbody');
    var add = function (label, published, computed) {
      var same = published === computed;
      rows.push(same);
      var row = el('tr', undefined, same ? '' : 'row--mismatch');
      row.appendChild(el('th', label)).scope = 'row';
      row.appendChild(el('td', published));
      row.appendChild(el('td', computed));
      row.appendChild(el('td', same ? '一致' : '不一致', same ? 'check-ok' : 'check-bad'));
      row.cells[1].className = 'check-value';
      row.cells[2].className = 'check-value';
      body.appendChild(row);
    };
    facts.forEach(function (f) {
      add(f[0], f[1], f[2]);
    });
    ['project', 'department'].forEach(function (kind) {
      var count = mine.records.filter(function (r) {
        return r.kind === kind;
      }).length;
      add(KIND_LABELS[kind] + '总体数', String(data.population[kind]), String(count));
    });
    var describe = function (p) {
      return p ? p.code + '（' + REASONS[p.reason] + '，u = ' + window.FuheDraw.formatU(p.u) + '）' : '（无）';
    };
    ['project', 'department'].forEach(function (kind) {
      var published = data.picks.filter(function (p) {
        return p.kind === kind;
      });
      var computed = mine.picks.filter(function (p) {
        return p.kind === kind;
      });
      for (var i = 0; i < Math.max(published.length, computed.length); i++) {
        add(KIND_LABELS[kind] + ' 第' + (i + 1) + '个', describe(published[i]), describe(computed[i]));
      }
    });
    table.appendChild(body);
    var allSame = rows.every(Boolean);
    var verdict = allSame
      ? say(
          'alert--ok',
          '一致：在您的浏览器中按 FUHE-DRAW-1 重新抽样，' +
            mine.picks.length +
            '个样本与公布的完全相同，总体清单的指纹也与公布的一致。',
        )
      : say(
          'alert--error',
          '不一致：有 ' +
            rows.filter(function (same) {
              return !same;
            }).length +
            ' 项与公布的不同（见下表标红的行）。请确认下载的是本页公布的文件；如仍不一致，请向公示中的联系人反映。',
        );
    verdict.setAttribute('data-verdict', allSame ? 'same' : 'different');
    var scroll = el('div', undefined, 'table-scroll');
    scroll.appendChild(table);
    result.appendChild(scroll);
  };

  var start = function (getPopulation) {
    if (!window.crypto || !window.crypto.subtle || !window.TextEncoder) {
      say(
        'alert--warn',
        '这个页面不是通过 HTTPS 打开的（或浏览器太旧），浏览器不提供 SHA-256 计算。请用上面的命令行方法核验。',
      );
      return;
    }
    run.disabled = true;
    say('alert--info', '正在下载并计算……');
    var exclusions = data.excluded
      ? fetchText('/p/draws/' + encodeURIComponent(data.publicId) + '/exclude.txt').then(utf8)
      : Promise.resolve('');
    Promise.all([getPopulation(), exclusions])
      .then(function (texts) {
        return check(texts[0], texts[1]);
      })
      .then(show, function (err) {
        say('alert--error', '核验没有完成：' + (err && err.message ? err.message : err));
      })
      .then(function () {
        run.disabled = false;
      });
  };

  run.addEventListener('click', function () {
    start(function () {
      return fetchText('/p/draws/' + encodeURIComponent(data.publicId) + '/population.tsv').then(utf8);
    });
  });
  if (fileInput)
    fileInput.addEventListener('change', function () {
      var file = fileInput.files && fileInput.files[0];
      if (!file) return;
      start(function () {
        return file.arrayBuffer().then(utf8);
      });
    });
})();
