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
	"mime"
	"net/http"
	"path"
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
	assets http.Handler
	log    *slog.Logger
}

// newPages parses every template and indexes the assets. The files are
// embedded, so a failure is a bug in this package: it panics, and every test of
// the package catches it.
func newPages(log *slog.Logger) *pages {
	base := template.Must(template.New("").Funcs(pageFuncs).ParseFS(templateFS, "templates/layout.html"))
	// Each page is templates/<name>.html filled into layout.html.
	names := []string{"onboarding", "dashboard", "signin", "error", "forbidden", "notfound", "staff", "staff_lead", "stats", "message", "unsubscribe", "mailbox"}
	p := &pages{tmpl: make(map[string]*template.Template, len(names)), log: log}
	for _, name := range names {
		t := template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
		p.tmpl[name] = t
	}
	assets, err := newAssetHandler(staticFS, "static")
	if err != nil {
		panic(err)
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

// asset is one embedded file with its validator.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

// assetHandler serves embedded files by name; browsers revalidate them with
// their ETag (the embedded files carry no modification time).
type assetHandler map[string]asset

func newAssetHandler(fsys fs.FS, dir string) (assetHandler, error) {
	h := assetHandler{}
	err := fs.WalkDir(fsys, dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		h[path.Base(name)] = asset{body: b, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: index assets: %w", err)
	}
	return h, nil
}

func (h assetHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a, ok := h[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("ETag", a.etag)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
