// Package doclinks checks the repository's Markdown: every relative link
// resolves to a file of the repository, and a #fragment into a Markdown file
// to one of its headings, so the README and docs/ stand alone.
package doclinks

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// link matches a Markdown link or image target: ](target).
var link = regexp.MustCompile(`\]\(([^)\s]+)\)`)

func TestRelativeLinksResolve(t *testing.T) {
	root := filepath.Join("..", "..")
	var files []string
	for _, pattern := range []string{"*.md", "docs/*.md"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 3 {
		t.Fatalf("found %d Markdown files; is the root right?", len(files))
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(body), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, fragment, _ := strings.Cut(target, "#")
			file := f
			if target != "" {
				file = filepath.Join(filepath.Dir(f), target)
			}
			if _, err := os.Stat(file); err != nil {
				t.Errorf("%s links to %s, which is not in the repository", f, m[1])
				continue
			}
			if fragment != "" && strings.HasSuffix(file, ".md") && !hasAnchor(t, file, fragment) {
				t.Errorf("%s links to %s: no heading of it makes that anchor", f, m[1])
			}
		}
	}
}

// hasAnchor tells whether a heading of the Markdown file makes the anchor
// fragment as GitHub makes them: lower case, punctuation dropped, spaces as
// hyphens.
func hasAnchor(t *testing.T, file, fragment string) bool {
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#"))) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
				b.WriteRune(r)
			}
		}
		if b.String() == fragment {
			return true
		}
	}
	return false
}
