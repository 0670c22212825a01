package web

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/leads/leads/internal/leads"
)

// offline cuts the network: DevTools' offline emulation for the tab (its
// requests fail, navigator.onLine is false, "offline" and "online" fire),
// and every connection to the server dropped, since this Chromium does not
// carry the tab's emulation over to its service worker reliably.
func (e *browserEnv) offline(off bool) {
	e.t.Helper()
	e.cut.Store(off)
	e.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: &off,
			MatchedNetworkConditions:    []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}},
		}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, emulateNetworkConditions, network.OverrideNetworkStateParams{
			Offline: off, DownloadThroughput: -1, UploadThroughput: -1,
		}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
			Offline: off, DownloadThroughput: -1, UploadThroughput: -1,
		})
		return err
	}))
}

// emulateNetworkConditions is DevTools' older command, which cdproto no
// longer lists; Chromium still has it.
var emulateNetworkConditions = cdp.Command[network.OverrideNetworkStateParams, cdp.Empty]{Method: "Network.emulateNetworkConditions"}

// waitServiceWorker waits until the page is controlled by the service worker.
func (e *browserEnv) waitServiceWorker() {
	e.t.Helper()
	e.waitJS("the service worker to control the page", `navigator.serviceWorker && navigator.serviceWorker.controller !== null`)
}

// cachedURLs lists every URL in the page's caches, by cache name.
const cachedURLs = `caches.keys().then(function (names) {
  return Promise.all(names.map(function (n) {
    return caches.open(n).then(function (c) { return c.keys(); }).then(function (reqs) {
      return reqs.map(function (r) { return n + ' ' + new URL(r.url).pathname; });
    });
  }));
}).then(function (lists) { return [].concat.apply([], lists); })`

// TestBrowserOfflineSaveAndExit: with the network cut, Save and Exit lands on
// the offline dashboard, which says the progress is kept on this device; when
// the network returns, the save reaches the server without a reload, and the
// dashboard shows it. The service worker's caches hold the offline page and
// static files only: no API answer, no page with personal data.
func TestBrowserOfflineSaveAndExit(t *testing.T) {
	forEachBrowserEngine(t, func(t *testing.T, e *browserEnv) {
		e.open("/onboarding")
		e.waitServiceWorker()
		e.fillStep1(sampleStep1())

		e.offline(true)
		e.do(chromedp.Click(chromedp.ID("save-exit")))
		e.waitJS("the offline dashboard", `location.pathname === "/dashboard" && document.getElementById("offline-state") !== null`)
		msg := eval[string](e, `document.getElementById("offline-state").textContent`)
		if !strings.Contains(msg, "kept on this device") || !strings.Contains(msg, "sent as soon as the connection returns") {
			t.Errorf("the offline dashboard says %q; want that the progress is kept on this device and sent when back online", msg)
		}
		if _, err := e.store.LeadByUser(context.Background(), browserUser); err == nil {
			t.Fatal("the save reached the server while the network was cut: the test is not offline")
		}

		for _, entry := range eval[[]string](e, cachedURLs) {
			_, path, _ := strings.Cut(entry, " ")
			if path != "/offline" && !strings.HasPrefix(path, "/static/") {
				t.Errorf("the service worker cached %s: only the offline page and static files may be", path)
			}
		}

		e.offline(false)
		l := e.waitStore("the save to arrive once back online", func(l leads.Lead) bool {
			return l.StudentAddress != nil && *l.StudentAddress == sampleStep1().address
		})
		checkStep1(t, l, sampleStep1())
		e.waitJS("the dashboard with the saved application", `document.getElementById("app-state") && document.getElementById("app-state").getAttribute("data-state") === "saved"`)
		if eval[bool](e, `localStorage.getItem(`+pendingKey+`) !== null`) {
			t.Error("the save arrived but is still pending on the device")
		}
		for _, entry := range eval[[]string](e, cachedURLs) {
			if _, path, _ := strings.Cut(entry, " "); path != "/offline" && !strings.HasPrefix(path, "/static/") {
				t.Errorf("after the dashboard was shown, the service worker holds %s", path)
			}
		}
	})
}

// TestBrowserServiceWorkerUpdate: a deploy that changes a static file
// reaches a returning browser. The new worker replaces the old one and its
// cache, and the page gets the new file.
func TestBrowserServiceWorkerUpdate(t *testing.T) {
	forEachBrowserEngine(t, func(t *testing.T, e *browserEnv) {
		e.open("/dashboard")
		e.waitServiceWorker()
		before := eval[[]string](e, `caches.keys()`)
		if len(before) != 1 {
			t.Fatalf("caches before the deploy: %v, want the one shell", before)
		}

		// The release: app.css changed.
		next := fstest.MapFS{}
		if err := fs.WalkDir(staticFS, "static", func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(staticFS, name)
			if name == "static/app.css" {
				b = append(b, []byte("\n:root { --release: 2; }\n")...)
			}
			next[strings.TrimPrefix(name, "static/")] = &fstest.MapFile{Data: b}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		e.deploy(Config{Assets: next})
		want := "leads-shell-" + newPages(nil, next).assets.version()

		e.open("/dashboard")
		if got := eval[string](e, `getComputedStyle(document.documentElement).getPropertyValue("--release").trim()`); got != "2" {
			t.Errorf("the page after the deploy does not have the new app.css (--release = %q)", got)
		}
		e.waitPromise("the new worker to replace the old one and its cache",
			`caches.keys().then(function (k) { return k.length === 1 && k[0] === `+jsString(want)+`; })`)
		e.open("/dashboard")
		if got := eval[string](e, `getComputedStyle(document.documentElement).getPropertyValue("--release").trim()`); got != "2" {
			t.Errorf("a later visit lost the new app.css (--release = %q)", got)
		}
	})
}

// jsString quotes s for JavaScript.
func jsString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// waitPromise waits until the promise expr resolves to true.
func (e *browserEnv) waitPromise(what, expr string) {
	e.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		ctx, cancel := context.WithTimeout(e.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr, chromedp.EvalAwaitPromise))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s; last error: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
