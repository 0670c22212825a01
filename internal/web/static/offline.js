// offline.js: the page the service worker shows when the network is gone.
// It holds no personal data; it finds the saves waiting on this device, says
// so, and sends them as soon as the server answers again, then shows the
// dashboard. It asks the server itself rather than trusting navigator.onLine,
// which can be wrong either way.
(function () {
  'use strict';

  var S = window.leadsSave;
  var state = document.getElementById('offline-state');
  if (!state) return;
  var RETRY_MS = 3000;
  var busy = false;
  var timer = 0;

  function say(msg) { if (state.textContent !== msg) state.textContent = msg; }

  function pendingUsers() {
    var out = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var k = localStorage.key(i);
        if (k && k.indexOf('onboarding-pending:') === 0) out.push(k.slice('onboarding-pending:'.length));
      }
    } catch (e) { /* no storage: nothing waits here */ }
    return out;
  }

  // tick sends what waits (or, when nothing does, asks whether the server
  // answers) and shows the dashboard once it has; else it tries again soon.
  function tick() {
    if (busy) return;
    busy = true;
    clearTimeout(timer);
    var users = pendingUsers();
    var done = users.length
      ? Promise.all(users.map(function (u) { return S.forUser(u).flush(); })).then(function (rs) {
        return !rs.some(function (r) { return r && (r.kind === 'retry' || r.kind === 'auth'); });
      })
      : fetch('/healthz', { cache: 'no-store' }).then(function (r) { return r.ok; }, function () { return false; });
    done.then(function (ok) {
      busy = false;
      if (ok) { window.location.replace('/dashboard'); return; }
      say(pendingUsers().length
        ? 'You are offline. Your progress is kept on this device and will be sent as soon as the connection returns.'
        : 'You are offline. Reconnect to see your application.');
      timer = setTimeout(tick, RETRY_MS);
    });
  }

  window.addEventListener('online', tick);
  // The service worker sent it (Background Sync): the dashboard has it.
  document.addEventListener('leads-saved', function () { window.location.replace('/dashboard'); });
  timer = setTimeout(tick, RETRY_MS);
}());
