// save.js: what the onboarding page and the dashboard share. A save is never
// lost: before a save is sent it is written to localStorage as a "pending save";
// it is removed only when the server has answered 2xx (or refused it for good, 4xx),
// and every visit of /onboarding or /dashboard sends a pending save first.
(function () {
  'use strict';

  var SAVE_URL = '/api/onboarding/save-lead';

  // Keys are per user, so two people sharing a browser never see each other's form.
  function keys(uid) {
    return { form: 'onboarding-form:' + uid, pending: 'onboarding-pending:' + uid };
  }

  function read(key) {
    try {
      var v = window.localStorage.getItem(key);
      return v ? JSON.parse(v) : null;
    } catch (e) {
      return null;
    }
  }

  function write(key, v) {
    try {
      window.localStorage.setItem(key, JSON.stringify(v));
      return true;
    } catch (e) {
      return false; // private mode or full: the server copy still counts
    }
  }

  function remove(key) {
    try { window.localStorage.removeItem(key); } catch (e) { /* nothing to do */ }
  }

  // classify turns an HTTP status into what to do with the save:
  // ok (done), retry (offline, server trouble), auth (sign in again, keep it),
  // rejected (the server will never take it; show why).
  function classify(status) {
    if (status >= 200 && status < 300) return 'ok';
    if (status === 0 || status >= 500 || status === 408 || status === 429) return 'retry';
    if (status === 401) return 'auth';
    return 'rejected';
  }

  // post sends payload as JSON and resolves (never rejects) to
  // {status, body, kind}; status 0 means the request did not get through.
  function post(url, payload) {
    return fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(payload),
      keepalive: true, // the request survives the navigation to /dashboard
      credentials: 'same-origin'
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (body) {
        return { status: res.status, body: body, kind: classify(res.status) };
      });
    }, function () {
      return { status: 0, body: null, kind: 'retry' };
    });
  }

  function getJSON(url) {
    return fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      });
  }

  // forUser returns the local store of one user: the form and the pending save.
  function forUser(uid) {
    var k = keys(uid);
    var store = {
      readForm: function () { return read(k.form); },
      writeForm: function (f) { return write(k.form, f); },
      clearForm: function () { remove(k.form); },
      readPending: function () { return read(k.pending); },
      // writePending records payload as the save to send; the newest wins.
      // The service worker gets a copy to send by Background Sync.
      writePending: function (payload) {
        var rec = { id: Date.now() + '-' + Math.random().toString(36).slice(2), payload: payload };
        write(k.pending, rec);
        queue(uid, rec);
        return rec;
      },
      // clearPending removes the pending save only if it is still rec: a newer
      // save made meanwhile must not be dropped.
      clearPending: function (rec) {
        var cur = read(k.pending);
        if (cur && cur.id === rec.id) remove(k.pending);
        unqueue(uid, rec);
      },
      // send posts the save recorded in rec and settles the pending record.
      send: function (rec) {
        return post(SAVE_URL, rec.payload).then(function (r) {
          if (r.kind === 'ok' || r.kind === 'rejected') store.clearPending(rec);
          return r;
        });
      },
      // flush sends the pending save, if any; it resolves to null when there
      // was none.
      flush: function () {
        var rec = store.readPending();
        return rec ? store.send(rec) : Promise.resolve(null);
      }
    };
    return store;
  }

  // ---- the service worker: offline shell and Background Sync ----

  function idb(fn) {
    if (!window.indexedDB) return;
    try {
      var open = indexedDB.open('leads', 1);
      open.onupgradeneeded = function () { open.result.createObjectStore('pending'); };
      open.onsuccess = function () {
        try { fn(open.result.transaction('pending', 'readwrite').objectStore('pending')); } catch (e) { /* best effort */ }
      };
    } catch (e) { /* no IndexedDB: the next visit sends it */ }
  }

  // queue hands the pending save to the service worker's store and asks the
  // browser to wake it when online (where Background Sync exists).
  function queue(uid, rec) {
    idb(function (st) { st.put(rec, uid); });
    if (navigator.serviceWorker && navigator.serviceWorker.ready) {
      navigator.serviceWorker.ready.then(function (reg) {
        if (reg.sync) return reg.sync.register('leads-save');
      }).catch(function () { /* no sync: the page or the next visit sends it */ });
    }
  }

  function unqueue(uid, rec) {
    idb(function (st) {
      var get = st.get(uid);
      get.onsuccess = function () { if (get.result && get.result.id === rec.id) st.delete(uid); };
    });
  }

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js').catch(function () { /* the pages work without it */ });
    // A save the worker sent: the page's copy is done too.
    navigator.serviceWorker.addEventListener('message', function (e) {
      var m = e.data || {};
      if (m.type !== 'leads-saved') return;
      var k = keys(m.uid);
      var cur = read(k.pending);
      if (cur && cur.id === m.id) remove(k.pending);
      document.dispatchEvent(new CustomEvent('leads-saved', { detail: m }));
    });
  }

  // The server's rule (net/mail plus a dot in the domain), closely enough:
  // dot-separated atoms, no spaces or specials, a dotted domain.
  var ATOM = '[^\\s@"(),:;<>\\[\\]\\\\.]+';
  var EMAIL = new RegExp('^' + ATOM + '(\\.' + ATOM + ')*@' + ATOM + '(\\.' + ATOM + ')+$');

  window.leadsSave = {
    forUser: forUser,
    post: post,
    getJSON: getJSON,
    classify: classify,
    // validEmail and length are looked up at call time, so a test can
    // switch the client check off to see the server's answer.
    validEmail: function (s) { return EMAIL.test(s); },
    // length counts characters as the server does (code points, trimmed).
    length: function (s) { return Array.from(s.trim()).length; },
    // backoff returns the next retry delay in ms, doubling up to 30 s.
    backoff: function (prev) { return Math.min(prev ? prev * 2 : 2000, 30000); }
  };
}());
