package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/leads/leads/internal/leads"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageCSP allows no inline script or style and nothing from elsewhere.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// pageFuncs are the templates' helpers.
var pageFuncs = template.FuncMap{
	"status": func(s string) string { return statusLabel(leads.Status(s)) },
	// tel is a phone number as a tel: link; html/template would refuse the
	// scheme of a plain string, so only dialable characters are kept.
	"tel": func(phone string) template.URL {
		return template.URL("tel:" + strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == '+' || r == '*' || r == '#' {
				return r
			}
			return -1
		}, phone))
	},
}

// pages holds the parsed templates and the embedded assets.
type pages struct {
	tmpl   map[string]*template.Template
	assets assetHandler
	log    *slog.Logger
}

// newPages parses every template and indexes the assets. The files are
// embedded, so a failure is a bug in this package: it panics, and every test of
// the package catches it.
func newPages(log *slog.Logger, static fs.FS) *pages {
	dir := "."
	if static == nil {
		static, dir = staticFS, "static"
	}
	assets, err := newAssetHandler(static, dir)
	if err != nil {
		panic(err)
	}
	base := template.Must(template.New("").Funcs(pageFuncs).Funcs(template.FuncMap{"asset": assets.url}).
		ParseFS(templateFS, "templates/layout.html"))
	// Each page is templates/<name>.html filled into layout.html.
	names := []string{"onboarding", "dashboard", "signin", "error", "forbidden", "notfound", "staff", "staff_lead", "stats", "message", "unsubscribe", "mailbox", "offline"}
	p := &pages{tmpl: make(map[string]*template.Template, len(names)), log: log}
	for _, name := range names {
		t := template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
		p.tmpl[name] = t
	}
	p.assets = assets
	return p
}

// render writes the page name with status, or a plain 500 if it fails to
// execute (the page is rendered to a buffer first, so nothing half-written goes out).
func (p *pages) render(w http.ResponseWriter, status int, name string, v pageView) {
	var buf bytes.Buffer
	if err := p.tmpl[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		// A bug of the template or its data: never the visitor's doing.
		p.log.Error("render page", "page", name, "error", err.Error())
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	// A page with personal data is never cached.
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// assetTypes are the static files' types, fixed here rather than read from
// the machine's MIME tables, which differ.
var assetTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
	".ico": "image/x-icon",
}

// asset is one embedded file with its validator.
type asset struct {
	body  []byte
	ctype string
	etag  string
	// url is where pages link to it: /static/name.HASH.ext, a name that
	// changes with the content, so browsers may keep it for a year.
	url string
}

// assetHandler serves the embedded files. Under its fingerprinted name a
// file is immutable for a year; under its plain name (or a fingerprint that
// is no longer current: a page from before a deploy) it is revalidated by its
// ETag on every use.
type assetHandler struct {
	byName  map[string]*asset // plain name: app.css
	byPrint map[string]*asset // fingerprinted name: app.1a2b3c4d5e6f.css
}

func newAssetHandler(fsys fs.FS, dir string) (assetHandler, error) {
	h := assetHandler{byName: map[string]*asset{}, byPrint: map[string]*asset{}}
	err := fs.WalkDir(fsys, dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		print := hex.EncodeToString(sum[:6])
		ext := path.Ext(name)
		ctype, ok := assetTypes[ext]
		if !ok {
			return fmt.Errorf("web: %s: no content type for %s files", name, ext)
		}
		base := path.Base(name)
		printed := strings.TrimSuffix(base, ext) + "." + print + ext
		a := &asset{body: b, ctype: ctype, etag: `"` + print + `"`, url: "/static/" + printed}
		h.byName[base], h.byPrint[printed] = a, a
		return nil
	})
	if err != nil {
		return assetHandler{}, fmt.Errorf("web: index assets: %w", err)
	}
	return h, nil
}

// url is the fingerprinted address of the asset named name; templates call
// it as {{asset "app.css"}}. An unknown name is a bug of a template: it
// panics when the template runs, which every page test catches.
func (h assetHandler) url(name string) string {
	a, ok := h.byName[name]
	if !ok {
		panic("web: no static file " + name)
	}
	return a.url
}

// version names the whole set of assets: it changes when any file does.
func (h assetHandler) version() string {
	names := make([]string, 0, len(h.byPrint))
	for n := range h.byPrint {
		names = append(names, n)
	}
	slices.Sort(names)
	sum := sha256.Sum256([]byte(strings.Join(names, "\n")))
	return hex.EncodeToString(sum[:6])
}

func (h assetHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	cache := "public, max-age=31536000, immutable"
	a, ok := h.byPrint[file]
	if !ok {
		cache = "no-cache"
		if a, ok = h.byName[file]; !ok {
			a, ok = h.byName[unprinted(file)]
		}
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("ETag", a.etag)
	w.Header().Set("Cache-Control", cache)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// favicon serves favicon.ico at the root, where browsers and other clients
// ask for it unprompted, cached for a day.
func (h assetHandler) favicon(w http.ResponseWriter, r *http.Request) {
	a := h.byName["favicon.ico"]
	w.Header().Set("Content-Type", "image/x-icon")
	w.Header().Set("ETag", a.etag)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// unprinted drops the fingerprint of name.HASH.ext.
func unprinted(file string) string {
	ext := path.Ext(file)
	stem := strings.TrimSuffix(file, ext)
	if i := strings.LastIndexByte(stem, '.'); i >= 0 {
		return stem[:i] + ext
	}
	return file
}
