// onboarding.js: the three-step onboarding form with Save and Exit, resume
// (localStorage, else GET /leads/me) and Finish (POST /onboarding/complete).
(function () {
  'use strict';

  var S = window.leadsSave;
  var app = document.getElementById('app');
  var form = document.getElementById('onboarding');
  var statusEl = document.getElementById('form-status');
  var store = S.forUser(app.getAttribute('data-user'));
  var LAST = 3;
  var SETTLE_MS = 3000; // how long Save and Exit waits for the answer before leaving
  var SIGNED_OUT = 'You are signed out. Please sign in again: your answers are kept on this device and are sent once you are back.';
  var step = 1;
  var retryDelay = 0;
  var courses = []; // the chosen centre's, with their details
  var shown = {}; // field id → 'required' or 'rule': the kind of error it shows

  function $(id) { return document.getElementById(id); }
  var el = {
    location: $('trainingLocation'), centre: $('centre'), address: $('studentAddress'),
    hasGuardian: $('hasGuardian'), guardian: $('guardian'), course: $('course'),
    next: $('next'), finish: $('finish'), back: $('back'), saveExit: $('save-exit')
  };
  var GUARDIAN = ['guardianName', 'guardianPhone', 'guardianEmail', 'guardianAddress'];
  // Every message speaks to the applicant, in a full sentence that says what to do.
  var REQUIRED = {
    trainingLocation: 'Choose where you want to train.', centre: 'Choose a centre.',
    course: 'Choose a course.', paymentPlan: 'Choose how you want to pay.'
  };
  var EMAIL = 'Enter an email address like name@example.com.';
  function tooLong(n) { return 'Keep this to ' + n + ' characters or fewer.'; }
  // voice turns a message of the server's API ("must be a valid email
  // address") into the page's.
  function voice(id, msg) {
    var m = String(msg || '');
    var n = /at most (\d+)/.exec(m);
    if (n) return tooLong(n[1]);
    if (/email/i.test(m)) return EMAIL;
    if (/required|blank/i.test(m)) return REQUIRED[id] || 'Fill this in.';
    if (/unknown|no longer|not found|does not exist/i.test(m)) return 'That choice is no longer offered. Choose another.';
    m = m.charAt(0).toUpperCase() + m.slice(1);
    return /[.!?]$/.test(m) ? m : m + '.';
  }
  var LIMITS = { studentAddress: 500, guardianAddress: 500, guardianName: 255, guardianPhone: 255, guardianEmail: 255 };
  // Server field names (dotted JSON paths) to the input they are about.
  var FIELDS = {
    'profile.trainingLocation': 'trainingLocation', 'profile.centre': 'centre',
    'selectedCenter': 'centre', 'selectedCenter.id': 'centre', 'selectedCenter.name': 'centre',
    'selectedCourse': 'course', 'selectedCourse.id': 'course', 'selectedCourse.name': 'course',
    'profile.studentAddress': 'studentAddress', 'profile.hasGuardian': 'hasGuardian',
    'profile.guardianName': 'guardianName', 'profile.guardianPhone': 'guardianPhone',
    'profile.guardianEmail': 'guardianEmail', 'profile.guardianAddress': 'guardianAddress',
    'paymentPlan': 'paymentPlan'
  };

  // ---- form state ----

  function text(id) { return $(id).value.trim(); }

  function selected(select) {
    var o = select.options[select.selectedIndex];
    return o && o.value ? { id: o.value, name: o.getAttribute('data-name') || o.textContent } : null;
  }

  function plan() {
    var r = form.querySelector('input[name=paymentPlan]:checked');
    return r ? r.value : null;
  }

  // formState is what localStorage keeps (the guide's shape, plus the step).
  function formState() {
    var centre = selected(el.centre);
    var profile = {
      trainingLocation: el.location.value || null,
      centre: centre ? centre.id : null,
      studentAddress: el.address.value,
      hasGuardian: el.hasGuardian.checked
    };
    GUARDIAN.forEach(function (id) { profile[id] = $(id).value; });
    return { step: step, profile: profile, selectedCenter: centre, selectedCourse: selected(el.course), paymentPlan: plan() };
  }

  // payload is the guide's Save and Exit body, null for every empty field.
  function payload(atStep) {
    var f = formState();
    var g = f.profile.hasGuardian;
    var profile = {
      trainingLocation: f.profile.trainingLocation,
      centre: f.profile.centre,
      studentAddress: text('studentAddress') || null,
      hasGuardian: g
    };
    GUARDIAN.forEach(function (id) { profile[id] = (g && text(id)) || null; });
    return {
      profile: profile,
      selectedCenter: f.selectedCenter,
      selectedCourse: f.selectedCourse,
      paymentPlan: f.paymentPlan,
      step: atStep
      // no source: the server records its default (leads.DefaultSource)
    };
  }

  // remember keeps the form in localStorage; not while it is still being
  // restored, when it would overwrite the saved answers with blanks.
  function remember() {
    if (!app.classList.contains('loading')) store.writeForm(formState());
  }

  // ---- catalogue ----

  function list(body) { return (body && Array.isArray(body.data)) ? body.data : (Array.isArray(body) ? body : []); }

  function fill(select, items, placeholder) {
    select.textContent = '';
    var first = document.createElement('option');
    first.value = '';
    first.textContent = placeholder;
    select.appendChild(first);
    items.forEach(function (it) { addOption(select, it.id, it.name); });
  }

  function addOption(select, id, name) {
    var o = document.createElement('option');
    o.value = id;
    o.textContent = name || id;
    o.setAttribute('data-name', name || id);
    select.appendChild(o);
    return o;
  }

  // choose selects id, adding it when the catalogue no longer lists it, so a
  // restored answer is never silently dropped.
  function choose(select, item) {
    if (!item || !item.id) { select.value = ''; return; }
    var found = Array.prototype.some.call(select.options, function (o) { return o.value === item.id; });
    if (!found) addOption(select, item.id, item.name);
    select.value = item.id;
  }

  function catalogueFailed() {
    showStatus('We could not load the list of choices. Check your connection and reload the page.');
  }

  function loadLocations() {
    return S.getJSON('/locations').then(function (b) {
      fill(el.location, list(b), 'Choose a location');
    }, catalogueFailed);
  }

  function loadCentres(locationId) {
    fill(el.centre, [], 'Choose a centre');
    el.centre.disabled = !locationId;
    if (!locationId) return Promise.resolve();
    return S.getJSON('/centers?locationId=' + encodeURIComponent(locationId)).then(function (b) {
      fill(el.centre, list(b), 'Choose a centre');
    }, catalogueFailed);
  }

  function loadCourses(centreId) {
    fill(el.course, [], 'Choose a course');
    el.course.disabled = !centreId;
    courses = [];
    showCourses();
    if (!centreId) return Promise.resolve();
    return S.getJSON('/courses?centerId=' + encodeURIComponent(centreId)).then(function (b) {
      courses = list(b);
      fill(el.course, courses, 'Choose a course');
      showCourses();
    }, catalogueFailed);
  }

  // showCourses lists the centre's courses with what a person chooses by:
  // what each teaches, how long it runs and what it costs, where known. The
  // drop-down stays the control; a card picks its course too.
  function showCourses() {
    var box = $('course-list');
    box.textContent = '';
    box.hidden = !courses.length;
    courses.forEach(function (c) {
      var li = document.createElement('li');
      li.setAttribute('data-course', c.id);
      if (c.id === el.course.value) li.className = 'chosen';
      var h = document.createElement('strong');
      h.textContent = c.name || c.id;
      li.appendChild(h);
      if (c.description) {
        var d = document.createElement('p');
        d.textContent = c.description;
        li.appendChild(d);
      }
      var meta = [c.duration, c.fee].filter(Boolean);
      if (meta.length) {
        var m = document.createElement('p');
        m.className = 'meta';
        m.textContent = meta.join(' · ');
        li.appendChild(m);
      }
      li.addEventListener('click', function () {
        el.course.value = c.id;
        el.course.dispatchEvent(new Event('change', { bubbles: true }));
        el.course.focus();
      });
      box.appendChild(li);
    });
  }

  function markChosenCourse() {
    Array.prototype.forEach.call($('course-list').children, function (li) {
      li.className = li.getAttribute('data-course') === el.course.value ? 'chosen' : '';
    });
  }

  // ---- restore ----

  function fromLead(l) {
    var s = Number(l.onboardingStep);
    return {
      step: s >= 1 && s <= LAST ? s : 1,
      profile: {
        trainingLocation: l.trainingLocation, centre: l.centerId, studentAddress: l.studentAddress,
        hasGuardian: !!l.hasGuardian, guardianName: l.guardianName, guardianPhone: l.guardianPhone,
        guardianEmail: l.guardianEmail, guardianAddress: l.guardianAddress
      },
      selectedCenter: l.centerId ? { id: l.centerId, name: l.centerName } : null,
      selectedCourse: l.courseId ? { id: l.courseId, name: l.courseName } : null,
      paymentPlan: null
    };
  }

  function restore(f) {
    var p = f.profile || {};
    choose(el.location, p.trainingLocation ? { id: p.trainingLocation } : null);
    el.address.value = p.studentAddress || '';
    el.hasGuardian.checked = !!p.hasGuardian;
    GUARDIAN.forEach(function (id) { $(id).value = p[id] || ''; });
    toggleGuardian();
    if (f.paymentPlan) {
      var r = form.querySelector('input[name=paymentPlan][value="' + f.paymentPlan + '"]');
      if (r) r.checked = true;
    }
    var s = Number(f.step);
    step = s >= 1 && s <= LAST ? s : 1;
    var centre = f.selectedCenter || (p.centre ? { id: p.centre } : null);
    return loadCentres(el.location.value).then(function () {
      choose(el.centre, centre);
      el.centre.disabled = !el.location.value && !el.centre.value;
      return loadCourses(el.centre.value);
    }).then(function () {
      choose(el.course, f.selectedCourse);
      markChosenCourse();
    });
  }

  // ---- errors ----

  function showStatus(msg) {
    statusEl.textContent = msg;
    statusEl.hidden = !msg;
  }

  function inputsOf(id) {
    return id === 'paymentPlan' ? form.querySelectorAll('input[name=paymentPlan]') : [$(id)];
  }

  function setError(id, msg, kind) {
    var e = $(id + '-error');
    if (!e) return false;
    e.textContent = msg;
    shown[id] = kind || 'rule';
    Array.prototype.forEach.call(inputsOf(id), function (i) { i.setAttribute('aria-invalid', 'true'); });
    return true;
  }

  function clearError(id) {
    var e = $(id + '-error');
    if (e) e.textContent = '';
    delete shown[id];
    Array.prototype.forEach.call(inputsOf(id), function (i) { i.removeAttribute('aria-invalid'); });
  }

  function clearErrors() {
    Object.keys(shown).forEach(clearError);
    Array.prototype.forEach.call(form.querySelectorAll('.error'), function (e) { e.textContent = ''; });
    Array.prototype.forEach.call(form.querySelectorAll('[aria-invalid]'), function (i) { i.removeAttribute('aria-invalid'); });
    showStatus('');
  }

  // fieldError is what is wrong with a field now ('' when nothing), by the
  // server's rules, and with required, what moving on needs.
  function fieldError(id, required) {
    if (id === 'paymentPlan') return required && !plan() ? REQUIRED.paymentPlan : '';
    var v = $(id).value;
    if (REQUIRED[id]) return required && !v ? REQUIRED[id] : '';
    if (S.length(v) > LIMITS[id]) return tooLong(LIMITS[id]);
    if (id === 'guardianEmail' && v.trim() && !S.validEmail(v.trim())) return EMAIL;
    return '';
  }

  // recheck runs as the applicant types or chooses: a field that shows an
  // error loses it as soon as it is right (or gets the new reason).
  function recheck(id) {
    if (!shown[id]) return;
    var msg = fieldError(id, shown[id] === 'required');
    if (msg) setError(id, msg, shown[id]); else clearError(id);
    if (!Object.keys(shown).length) showStatus('');
  }

  function stepOf(id) {
    var sec = inputsOf(id)[0].closest('section[data-step]');
    return sec ? Number(sec.getAttribute('data-step')) : step;
  }

  // focusError shows the step of the first field in error and puts focus on it.
  function focusError(ids) {
    if (!ids.length) return;
    var first = ids.slice().sort(function (a, b) { return stepOf(a) - stepOf(b); })[0];
    if (GUARDIAN.indexOf(first) >= 0 && !el.hasGuardian.checked) {
      el.hasGuardian.checked = true;
      toggleGuardian();
    }
    show(stepOf(first), false);
    inputsOf(first)[0].focus();
  }

  // check applies the server's rules to the fields of the given steps, and with
  // required, what moving on needs. It marks each failing field and returns their ids.
  // Errors go only on fields the applicant can act on: no "choose a centre"
  // on a list still waiting for a location, no course error while the course
  // list is empty for want of a centre (the centre gets it).
  function check(steps, required) {
    var bad = [];
    function fail(id, msg, kind) { if (bad.indexOf(id) < 0 && setError(id, msg, kind)) bad.push(id); }
    function on(s) { return steps.indexOf(s) >= 0; }
    function need(id) {
      var msg = fieldError(id, required);
      if (msg) fail(id, msg, REQUIRED[id] ? 'required' : 'rule');
    }
    if (on(1)) {
      need('trainingLocation');
      if (el.location.value) need('centre');
      ['studentAddress'].concat(el.hasGuardian.checked ? GUARDIAN : []).forEach(need);
    }
    if (on(2) && required) {
      if (el.course.disabled) { if (el.location.value) fail('centre', REQUIRED.centre, 'required'); else need('trainingLocation'); } else need('course');
    }
    if (on(3)) need('paymentPlan');
    return bad;
  }

  // showServerErrors puts each of the server's field errors beside its field.
  function showServerErrors(body) {
    var ids = [];
    var other = [];
    (body && Array.isArray(body.errors) ? body.errors : []).forEach(function (e) {
      var id = FIELDS[e.field] || String(e.field || '').split('.').pop();
      if ($(id + '-error') && setError(id, voice(id, e.message))) ids.push(id);
      else other.push(voice(id, e.message));
    });
    var msg = (body && (body.message || body.error)) || 'Your answers could not be saved.';
    showStatus(ids.length ? 'Your progress was not saved. Please correct the fields marked below.' + (other.length ? ' ' + other.join(' ') : '')
      : voice('', msg) + (other.length ? ' ' + other.join(' ') : ''));
    focusError(ids);
  }

  // ---- steps ----

  function toggleGuardian() { el.guardian.hidden = !el.hasGuardian.checked; }

  function show(n, focus) {
    step = n;
    Array.prototype.forEach.call(form.querySelectorAll('section[data-step]'), function (s) {
      s.hidden = Number(s.getAttribute('data-step')) !== n;
    });
    Array.prototype.forEach.call(app.querySelectorAll('.progress li'), function (li) {
      var s = Number(li.getAttribute('data-step'));
      if (s === n) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current');
      li.className = s < n ? 'done' : '';
    });
    el.back.hidden = n === 1;
    el.next.hidden = n === LAST;
    el.finish.hidden = n !== LAST;
    if (focus) $('step' + n + '-title').focus();
  }

  function busy(on) {
    form.setAttribute('aria-busy', on ? 'true' : 'false');
    [el.next, el.finish, el.back, el.saveExit].forEach(function (b) { b.disabled = on; });
  }

  function go(url) { window.location.assign(url); }

  function next() {
    clearErrors();
    var bad = check([step], true);
    if (bad.length) { focusError(bad); return; }
    show(step + 1, true);
    remember();
  }

  function back() {
    clearErrors();
    show(step - 1, true);
    remember();
  }

  // saveAndExit keeps the save as pending, sends it, and waits a bounded time
  // for the answer: a refused save stays on the page with the reasons beside the
  // fields; otherwise (saved, offline, server trouble, too slow) it goes to the
  // dashboard, which sends a save that is still pending.
  function saveAndExit() {
    clearErrors();
    var bad = check([1, 2, 3], false);
    if (bad.length) { focusError(bad); return; }
    var body = payload(step);
    remember();
    var rec = store.writePending(body);
    busy(true);
    showStatus('Saving your progress…');
    var sent = store.send(rec);
    var timeout = new Promise(function (resolve) { setTimeout(function () { resolve({ kind: 'timeout' }); }, SETTLE_MS); });
    Promise.race([sent, timeout]).then(function (r) {
      if (r.kind === 'rejected') { busy(false); showServerErrors(r.body); return; }
      if (r.kind === 'auth') { busy(false); showStatus(SIGNED_OUT); return; }
      go('/dashboard');
    });
  }

  function finish() {
    clearErrors();
    var bad = check([1, 2, 3], true);
    if (bad.length) { focusError(bad); return; }
    var body = payload(LAST);
    remember();
    busy(true);
    showStatus('Completing your enrolment…');
    S.post('/onboarding/complete', body).then(function (r) {
      if (r.kind === 'ok') {
        store.clearForm();
        var rec = store.readPending();
        if (rec) store.clearPending(rec);
        go('/dashboard');
        return;
      }
      busy(false);
      if (r.kind === 'rejected') { showServerErrors(r.body); return; }
      if (r.kind === 'auth') { store.writePending(body); showStatus(SIGNED_OUT); return; }
      store.writePending(body);
      showStatus('We could not complete your enrolment just now. Your answers are kept; please press Finish again in a moment.');
    });
  }

  // flushPending sends a save left over from an earlier visit, retrying with
  // back-off while the page is open until the server takes it.
  function flushPending() {
    return store.flush().then(function (r) {
      if (!r) return null;
      if (r.kind === 'retry') {
        retryDelay = S.backoff(retryDelay);
        setTimeout(flushPending, retryDelay);
        showStatus('Your last save has not reached us yet. It is kept on this device and we keep trying.');
      } else if (r.kind === 'auth') {
        showStatus(SIGNED_OUT);
      } else if (r.kind === 'ok' && retryDelay) {
        showStatus('Your progress is saved.');
      }
      return r;
    });
  }

  // ---- start ----

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (step === LAST) finish(); else next();
  });
  el.back.addEventListener('click', back);
  // Back online: a save still pending goes now rather than at the next retry.
  window.addEventListener('online', function () { retryDelay = 0; flushPending(); });
  el.saveExit.addEventListener('click', saveAndExit);
  el.hasGuardian.addEventListener('change', toggleGuardian);
  el.location.addEventListener('change', function () {
    loadCentres(el.location.value).then(function () { return loadCourses(''); }).then(remember);
  });
  el.centre.addEventListener('change', function () { loadCourses(el.centre.value).then(remember); });
  form.addEventListener('change', remember);
  form.addEventListener('input', remember);
  function recheckTarget(e) {
    var t = e.target;
    recheck(t.name === 'paymentPlan' ? 'paymentPlan' : t.id);
    if (t === el.course) markChosenCourse();
  }
  form.addEventListener('input', recheckTarget);
  form.addEventListener('change', recheckTarget);

  var leftover = null;
  var flushed = flushPending().then(function (r) { leftover = r; });
  var waited = new Promise(function (resolve) { setTimeout(resolve, SETTLE_MS); });
  Promise.race([flushed, waited]).then(loadLocations).then(function () {
    var local = store.readForm();
    if (local) return restore(local);
    return S.getJSON('/leads/me').then(function (b) {
      if (b && b.data) {
        if (b.data.status === 'CONVERTED') showStatus('Your enrolment is complete. You can still update your details here.');
        return restore(fromLead(b.data));
      }
      return restore({ step: 1 });
    }, function () { return restore({ step: 1 }); });
  }).then(function () {
    show(step, false);
    if (leftover && leftover.kind === 'rejected') showServerErrors(leftover.body);
    app.classList.remove('loading');
    form.removeAttribute('inert');
    app.setAttribute('data-ready', 'true');
  });

  // A test (or a console user) may call these; the page itself uses the buttons.
  window.leadsOnboarding = { saveAndExit: saveAndExit, finish: finish, state: formState };
}());
