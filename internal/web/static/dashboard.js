// dashboard.js: sends a save left pending by the onboarding page (offline, server
// trouble), retrying with back-off while the page is open, then reloads so the
// page shows what the server now has.
(function () {
  'use strict';

  var S = window.leadsSave;
  var root = document.getElementById('dashboard');
  var note = document.getElementById('pending');
  if (!root || !note) return;
  var store = S.forUser(root.getAttribute('data-user'));
  var delay = 0;

  function say(msg, html) {
    note.hidden = false;
    note.textContent = msg;
    if (html) note.appendChild(html);
  }

  function link(href, label) {
    var a = document.createElement('a');
    a.href = href;
    a.textContent = label;
    return a;
  }

  function flush() {
    if (!store.readPending()) return;
    say('Sending your saved progress…');
    store.flush().then(function (r) {
      if (!r) return;
      switch (r.kind) {
        case 'ok':
          window.location.reload();
          break;
        case 'retry':
          delay = S.backoff(delay);
          say('Your progress is kept on this device: we could not reach the server yet and keep trying.');
          setTimeout(flush, delay);
          break;
        case 'auth':
          say('You are signed out. Sign in again and your saved progress is sent.');
          break;
        default:
          say('Some of your answers need correcting before they can be saved. ', link('/onboarding', 'Correct them'));
      }
    });
  }

  flush();
  // Back online: send now rather than at the next back-off step.
  window.addEventListener('online', function () { delay = 0; flush(); });
  // The service worker sent it (Background Sync): show what the server has.
  document.addEventListener('leads-saved', function () { window.location.reload(); });
}());
