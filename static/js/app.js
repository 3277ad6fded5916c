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
