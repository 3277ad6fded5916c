// fuhe: small progressive enhancements; every page works without them.
'use strict';

document.addEventListener('submit', function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  // The button pressed may ask (抽样 beside 预览 in one form), or the form for every button.
  var button = event.submitter;
  var message = (button && button.getAttribute('data-confirm')) || form.getAttribute('data-confirm');
  if (message && !window.confirm(message)) {
    event.preventDefault();
    return;
  }
  // Guard against double submission of the same form.
  if (form.dataset.submitted === '1') {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = '1';
  window.setTimeout(function () {
    form.dataset.submitted = '';
  }, 4000);
});

// Upload forms (data-upload): send with XMLHttpRequest so that a progress bar can show how much
// of a large file has gone. The server answers as it would the plain form: a redirect to the
// result, or the same page with the errors, which replaces this one.
document.addEventListener('submit', function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-upload') || event.defaultPrevented) return;
  if (!window.FormData || !window.XMLHttpRequest || !window.DOMParser) return;
  event.preventDefault();
  var box = form.querySelector('.upload-progress');
  var bar = box && box.querySelector('progress');
  var text = box && box.querySelector('.upload-progress__text');
  var button = form.querySelector('button[type="submit"]');
  var token = form.querySelector('input[name="_csrf"]');
  if (box) box.hidden = false;
  if (button) button.disabled = true;
  var xhr = new XMLHttpRequest();
  xhr.open('POST', form.action);
  xhr.setRequestHeader('Accept', 'text/html');
  if (token) xhr.setRequestHeader('X-CSRF-Token', token.value);
  xhr.upload.addEventListener('progress', function (e) {
    if (!e.lengthComputable || !bar) return;
    var percent = Math.round((e.loaded / e.total) * 100);
    bar.value = percent;
    if (text) text.textContent = percent < 100 ? '已上传 ' + percent + '%' : '上传完成，正在检查和导入……';
  });
  xhr.addEventListener('load', function () {
    var html = xhr.responseText || '';
    if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL && xhr.responseURL !== form.action) {
      window.location.assign(xhr.responseURL);
      return;
    }
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var next = doc.querySelector('main');
    var current = document.querySelector('main');
    if (next && current) {
      var replaced = document.importNode(next, true);
      current.replaceWith(replaced);
      document.title = doc.title;
      enhanceFileInputs(replaced);
      var errors = document.getElementById('import-errors') || document.querySelector('.alert--error');
      if (errors) errors.focus();
    } else {
      if (text) text.textContent = '上传失败（' + xhr.status + '），请重试';
      if (button) button.disabled = false;
    }
  });
  xhr.addEventListener('error', function () {
    if (text) text.textContent = '网络错误，上传没有完成，请重试';
    if (button) button.disabled = false;
    form.dataset.submitted = '';
  });
  xhr.send(new FormData(form));
});

// The review form (data-review): the review score, grade and deviation follow the inputs as they
// are typed, and a deduction rule fills in the score it leaves. The server computes the same
// figures on save; this only saves a round trip.
(function () {
  var form = document.querySelector('form[data-review]');
  var figures = document.querySelector('[data-figures]');
  if (!form || !figures) return;
  var toHundredths = function (text) {
    var t = String(text || '').trim();
    if (!/^\d+(\.\d{1,2})?$/.test(t)) return null;
    var parts = t.split('.');
    return Number(parts[0]) * 100 + Number(((parts[1] || '') + '00').slice(0, 2));
  };
  var show = function (h) {
    return (h / 100).toFixed(2).replace(/\.?0+$/, '');
  };
  var grade = function (h) {
    return h >= 9000 ? '优' : h >= 8000 ? '良' : h >= 6000 ? '中' : '差';
  };
  var recompute = function () {
    var total;
    var given = 0;
    if (figures.getAttribute('data-indicators') === 'true') {
      total = Number(figures.getAttribute('data-execution') || 0);
      var inputs = form.querySelectorAll('[data-indicator-score]');
      for (var i = 0; i < inputs.length; i++) {
        var v = toHundredths(inputs[i].value);
        if (v === null) total = null;
        else given += 1;
        if (total !== null) total += v;
      }
      // Nothing re-scored yet: a whole score, if one was given, stands (as on the server).
      var whole = form.querySelector('[name="reviewScore"]');
      if (given === 0) total = whole ? toHundredths(whole.value) : null;
    } else {
      var wholeScore = form.querySelector('[name="reviewScore"]');
      total = wholeScore ? toHundredths(wholeScore.value) : null;
      given = total === null ? 0 : 1;
    }
    if (total !== null) total = Math.min(total, 10000);
    var part = function (name) {
      return figures.querySelector('[data-figure="' + name + '"]');
    };
    var reviewGrade = total === null ? '' : grade(total);
    if (part('score')) part('score').textContent = total === null ? '' : show(total);
    if (part('pending')) part('pending').textContent = total !== null ? '' : given === 0 ? '未评分' : '（尚未评完）';
    if (part('grade')) part('grade').textContent = reviewGrade;
    // The grade change follows the score; in a blind review the self grade is not on the page.
    var change = part('change');
    var selfGrade = change && change.getAttribute('data-self-grade');
    if (change) {
      change.hidden = !selfGrade || !reviewGrade || selfGrade === reviewGrade;
      change.textContent = change.hidden ? '' : '等级由' + selfGrade + '变为' + reviewGrade;
    }
    var self = Number(figures.getAttribute('data-self'));
    var deviationEl = part('deviation');
    if (deviationEl && figures.getAttribute('data-self'))
      deviationEl.textContent =
        total === null
          ? ''
          : '自评 − 复核 = ' +
            show(self - total) +
            ' 分（' +
            (self ? (((self - total) / self) * 100).toFixed(2) : '0') +
            '%）';
  };
  form.addEventListener('change', function (event) {
    var select = event.target;
    if (select instanceof HTMLSelectElement && select.hasAttribute('data-rule-for')) {
      var option = select.options[select.selectedIndex];
      var percent = option && option.getAttribute('data-percent');
      var input = document.getElementById(select.getAttribute('data-rule-for'));
      if (percent !== null && input) {
        var weight = Number(select.getAttribute('data-weight'));
        input.value = show(Math.floor((weight * (100 - Number(percent)) + 50) / 100));
      }
    }
    recompute();
  });
  form.addEventListener('input', recompute);
})();

// The review form keeps what is typed (data-review with data-api). A draft goes to the JSON API
// with the version the page was built from: by 保存草稿, by itself a few seconds after typing
// stops, and before any other form on the page (evidence, findings, withdrawals) is sent, so that
// the page those forms reload comes back with the text saved. A stale version is reported with
// what is stored now, nothing typed is lost, and saving by itself stops until the writer saves
// again by hand. Leaving the page with unsaved changes asks first.
(function () {
  var form = document.querySelector('form[data-review][data-api]');
  if (!form || !window.fetch || !window.Promise) return;
  var button = form.querySelector('[data-save-draft]');
  var status = form.querySelector('.save-status');
  if (!button || !status) return;
  var AUTOSAVE_MS = 3000;
  var field = function (name) {
    var el = form.querySelector('[name="' + name + '"]');
    return el ? el.value : '';
  };
  var collect = function () {
    var indicators = [];
    var inputs = form.querySelectorAll('[data-indicator-score]');
    for (var i = 0; i < inputs.length; i++) {
      var id = inputs[i].name.replace(/^ind_(\d+)_score$/, '$1');
      var evidenceSelect = form.querySelector('[name="ind_' + id + '_evidence"]');
      var evidence = evidenceSelect
        ? Array.prototype.filter
            .call(evidenceSelect.options, function (o) {
              return o.selected;
            })
            .map(function (o) {
              return Number(o.value);
            })
        : [];
      indicators.push({
        id: Number(id),
        reviewScore: field('ind_' + id + '_score'),
        rule: field('ind_' + id + '_rule'),
        note: field('ind_' + id + '_note'),
        reviewActual: field('ind_' + id + '_actual'),
        evidence: evidence,
      });
    }
    var dimensions = {};
    var selects = form.querySelectorAll('[data-dimension]');
    for (var j = 0; j < selects.length; j++) {
      if (!selects[j].value) continue;
      var index = selects[j].name.replace(/^dim_(\d+)_judgement$/, '$1');
      dimensions[selects[j].getAttribute('data-dimension')] = {
        judgement: selects[j].value,
        note: field('dim_' + index + '_note'),
      };
    }
    var quality = ['q_timeliness', 'q_normative', 'q_report'].some(function (k) {
      return field(k) !== '';
    })
      ? {
          timeliness: field('q_timeliness'),
          timelinessReason: field('q_timeliness_reason'),
          normative: field('q_normative'),
          report: field('q_report'),
        }
      : undefined;
    return {
      reviewScore: field('reviewScore'),
      comment: field('comment'),
      quality: quality,
      indicators: indicators,
      dimensions: dimensions,
    };
  };
  var versionInput = form.querySelector('[name="version"]');
  var saved = JSON.stringify(collect());
  var unsaved = function () {
    return JSON.stringify(collect()) !== saved;
  };
  var autosave = true;
  var leaving = false;
  var pending = null;
  var timer = null;
  var clock = function () {
    return new Date().toLocaleTimeString('zh-CN');
  };
  var messageOf = function (body) {
    var details =
      body.error && Array.isArray(body.error.details)
        ? body.error.details
            .map(function (d) {
              return d.message;
            })
            .join('；')
        : '';
    return (body.error ? body.error.message : '保存失败') + (details ? '：' + details : '');
  };

  // A save's errors beside their fields: the field marked (aria-invalid), the message under it,
  // and the first one focused. `field` is the API's name (indicators.12.note, quality.report …).
  var inputFor = function (name) {
    var m = /^indicators\.(\d+)\.(\w+)$/.exec(name);
    if (m) {
      var suffix = {
        reviewScore: 'score',
        note: 'note',
        rule: 'rule',
        percent: 'rule',
        reviewActual: 'actual',
        evidence: 'evidence',
      }[m[2]];
      return suffix ? form.querySelector('[name="ind_' + m[1] + '_' + suffix + '"]') : null;
    }
    m = /^dimensions\.(.+?)(\.note)?$/.exec(name);
    if (m) {
      var select = form.querySelector('[data-dimension="' + m[1].replace(/"/g, '') + '"]');
      return select && m[2]
        ? form.querySelector('[name="' + select.name.replace('_judgement', '_note') + '"]')
        : select;
    }
    var names = {
      reviewScore: 'reviewScore',
      comment: 'comment',
      'quality.timeliness': 'q_timeliness',
      'quality.timelinessReason': 'q_timeliness_reason',
      'quality.normative': 'q_normative',
      'quality.report': 'q_report',
    };
    return Object.prototype.hasOwnProperty.call(names, name)
      ? form.querySelector('[name="' + names[name] + '"]')
      : null;
  };
  var clearErrors = function () {
    Array.prototype.forEach.call(form.querySelectorAll('.field-error[data-for]'), function (p) {
      p.remove();
    });
    Array.prototype.forEach.call(form.querySelectorAll('[aria-invalid="true"]'), function (el) {
      el.removeAttribute('aria-invalid');
      el.removeAttribute('aria-describedby');
    });
  };
  var showErrors = function (details) {
    clearErrors();
    var first = null;
    (details || []).forEach(function (detail, n) {
      var input = detail && detail.field ? inputFor(String(detail.field)) : null;
      if (!input) return;
      var message = document.createElement('p');
      message.className = 'field-error';
      message.id = 'save-error-' + n;
      message.setAttribute('data-for', input.name);
      message.textContent = detail.message;
      input.insertAdjacentElement('afterend', message);
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', message.id);
      // The first in the page's order, whatever the order of the errors.
      if (!first || first.compareDocumentPosition(input) & Node.DOCUMENT_POSITION_PRECEDING) first = input;
    });
    if (first) first.focus();
    return first !== null;
  };

  // One save at a time; resolves with the saved version, or null when nothing was saved.
  var save = function (how) {
    if (pending)
      return pending.then(function () {
        return unsaved() ? save(how) : Number(versionInput.value);
      });
    window.clearTimeout(timer);
    var content = collect();
    var text = JSON.stringify(content);
    content.version = Number(versionInput.value);
    status.textContent = '正在保存草稿……';
    pending = fetch(form.getAttribute('data-api'), {
      method: 'PUT',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': field('_csrf') },
      body: JSON.stringify(content),
    })
      .then(function (res) {
        return res.json().then(function (body) {
          return { status: res.status, body: body };
        });
      })
      .then(function (result) {
        if (result.status === 200) {
          clearErrors();
          versionInput.value = result.body.version;
          saved = text;
          status.textContent =
            (how === 'auto' ? '已自动保存草稿' : '已保存草稿') + '（第' + result.body.version + '版，' + clock() + '）';
          return result.body.version;
        }
        var current =
          result.status === 409 && result.body.error && result.body.error.details && result.body.error.details.current;
        if (current) {
          versionInput.value = current.version;
          autosave = false;
          status.textContent =
            result.body.error.message +
            '（最新为第' +
            current.version +
            '版，' +
            current.updatedBy +
            '保存，复核得分 ' +
            (current.reviewScore === null ? '未评完' : current.reviewScore) +
            (current.comment ? '，复核意见：' + current.comment : '') +
            '）。您填写的内容仍在页面上；点"保存草稿"将以最新版本为基础保存您的内容。';
        } else {
          status.textContent = messageOf(result.body) + '。您填写的内容仍在页面上，没有保存。';
          // Marked beside the fields when the writer asked; a save by itself only says so here.
          if (how !== 'auto' && result.body.error) showErrors(result.body.error.details);
        }
        return null;
      })
      .catch(function () {
        status.textContent = '网络错误，草稿没有保存；您填写的内容仍在页面上，请稍后重试';
        return null;
      })
      .then(function (version) {
        pending = null;
        return version;
      });
    return pending;
  };

  button.addEventListener('click', function (event) {
    event.preventDefault();
    autosave = true;
    save('manual');
  });
  var typed = function () {
    window.clearTimeout(timer);
    if (autosave && unsaved())
      timer = window.setTimeout(function () {
        if (unsaved()) save('auto');
      }, AUTOSAVE_MS);
  };
  form.addEventListener('input', typed);
  form.addEventListener('change', typed);

  document.addEventListener('submit', function (event) {
    var other = event.target;
    if (event.defaultPrevented || !(other instanceof HTMLFormElement)) return;
    if (other === form) {
      window.clearTimeout(timer);
      if (pending) {
        // A draft is being saved by itself: send the form once it is, on the version it made.
        event.preventDefault();
        var action = event.submitter && event.submitter.name === 'action' ? event.submitter.value : '';
        pending.then(function () {
          var input = document.createElement('input');
          input.type = 'hidden';
          input.name = 'action';
          input.value = action;
          form.appendChild(input);
          leaving = true;
          HTMLFormElement.prototype.submit.call(form);
        });
        return;
      }
      leaving = true;
      return;
    }
    if (!unsaved()) {
      leaving = true;
      return;
    }
    // Another form would reload the page over what was typed: save the draft first.
    event.preventDefault();
    save('before').then(function (version) {
      other.dataset.submitted = '';
      if (version === null) {
        status.scrollIntoView({ block: 'center' });
        return;
      }
      var input = document.createElement('input');
      input.type = 'hidden';
      input.name = 'draftVersion';
      input.value = String(version);
      other.appendChild(input);
      leaving = true;
      HTMLFormElement.prototype.submit.call(other);
    });
  });

  window.addEventListener('beforeunload', function (event) {
    if (leaving || !unsaved()) return;
    event.preventDefault();
    event.returnValue = '';
  });
})();

// The draw form: a typed seed and "由系统生成" never contradict each other. Typing a seed unticks
// the box; ticking the box clears the seed.
(function () {
  var seed = document.getElementById('f-seed');
  var generate = document.getElementById('f-generate');
  if (!seed || !generate) return;
  seed.addEventListener('input', function () {
    if (seed.value.trim() !== '') generate.checked = false;
  });
  generate.addEventListener('change', function () {
    if (generate.checked) seed.value = '';
  });
})();

// The planner's 用作抽样数量 fills the quotas in place (without JavaScript the page is sent back
// with them filled in and every other field kept).
(function () {
  var use = document.querySelector('[data-use-plan]');
  if (!use) return;
  use.addEventListener('click', function (event) {
    var fields = { project: document.getElementById('f-qp'), department: document.getElementById('f-qd') };
    var rows = document.querySelectorAll('[data-plan-kind]');
    for (var i = 0; i < rows.length; i++) {
      var input = fields[rows[i].getAttribute('data-plan-kind')];
      if (input) input.value = rows[i].getAttribute('data-plan-suggested');
    }
    event.preventDefault();
    fields.project.focus();
  });
})();

// Announcement charts: the server puts the chart.js configurations in data-charts; the same
// configurations are drawn on the server as images for the Word export.
(function () {
  var box = document.querySelector('[data-charts]');
  if (!box || !window.Chart) return;
  var configs;
  try {
    configs = JSON.parse(box.getAttribute('data-charts'));
  } catch (e) {
    return;
  }
  window.Chart.defaults.font.family =
    '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';
  box.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
    var config = configs[canvas.getAttribute('data-chart')];
    if (!config) return;
    config.options = config.options || {};
    config.options.maintainAspectRatio = false;
    config.options.animation = false;
    new window.Chart(canvas, config);
  });
})();

// A page sent back with an error opens at it (a refused finding is far down the review page).
(function () {
  var alert = document.querySelector('.alert--error[tabindex="-1"]');
  if (alert) alert.focus();
})();

// File inputs say 选择文件 and the chosen file's name in Chinese (views/partials/fileInput.hbs):
// on load, and again in a part of the page an upload's answer replaced.
function enhanceFileInputs(root) {
  var boxes = root.querySelectorAll('[data-file-input]:not(.file-input--enhanced)');
  Array.prototype.forEach.call(boxes, function (box) {
    var input = box.querySelector('input[type=file]');
    var name = box.querySelector('.file-input__name');
    if (!input || !name) return;
    var show = function () {
      var files = Array.prototype.map.call(input.files || [], function (f) {
        return f.name;
      });
      name.textContent = files.length ? files.join('、') : '未选择文件';
    };
    input.addEventListener('change', show);
    box.classList.add('file-input--enhanced');
    show();
  });
}
enhanceFileInputs(document);

// The assignment table: 全选 ticks every row, and the bar says how many rows are ticked.
(function () {
  var all = document.querySelector('[data-select-all]');
  if (!all) return;
  var form = all.form;
  var boxes = form.querySelectorAll('input[name="selected"]');
  var count = form.querySelector('[data-selected-count]');
  var update = function () {
    var n = Array.prototype.filter.call(boxes, function (b) {
      return b.checked;
    }).length;
    all.checked = n > 0 && n === boxes.length;
    all.indeterminate = n > 0 && n < boxes.length;
    if (count) count.textContent = n ? '已勾选 ' + n + ' 个项目' : '';
  };
  all.addEventListener('change', function () {
    Array.prototype.forEach.call(boxes, function (b) {
      b.checked = all.checked;
    });
    update();
  });
  form.addEventListener('change', function (event) {
    if (event.target !== all && event.target.name === 'selected') update();
  });
  update();
})();

// Forms with data-dirty-guard (a unit's answers and feedback): leaving the page, or sending
// another form of it, while one of them holds typed text that was not sent asks first.
(function () {
  var guarded = Array.prototype.slice.call(document.querySelectorAll('form[data-dirty-guard]'));
  if (!guarded.length) return;
  var sending = null;
  function typed(form) {
    return Array.prototype.some.call(form.querySelectorAll('textarea, input[type=text]'), function (field) {
      return field.value !== field.defaultValue;
    });
  }
  document.addEventListener('submit', function (event) {
    sending = event.target;
  });
  window.addEventListener('beforeunload', function (event) {
    var unsent = guarded.some(function (form) {
      return form !== sending && typed(form);
    });
    sending = null;
    if (!unsent) return;
    event.preventDefault();
    event.returnValue = '';
  });
})();
