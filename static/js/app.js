// fuhe: small progressive enhancements; every page works without them.
'use strict';

document.addEventListener('submit', function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  var message = form.getAttribute('data-confirm');
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
  window.setTimeout(function () { form.dataset.submitted = ''; }, 4000);
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
      current.replaceWith(document.importNode(next, true));
      document.title = doc.title;
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
