package leads

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
)

// FuzzCSVRecord writes a lead whose text fields hold fuzzed strings through
// the export's CSV writer and reads the file back: it is always one header
// and one row of the right width, every cell reads back as written (but for
// the quote that disarms a formula, and CRLF inside a cell, which CSV
// readers give back as LF), and no cell starts as a spreadsheet formula.
func FuzzCSVRecord(f *testing.F) {
	for _, seed := range [][3]string{
		{"Ada Obi", "12 Road", "note"},
		{"=HYPERLINK(\"http://evil\")", "+1 555", "-2+3"},
		{"@SUM(A1)", "\t=1+1", "\r=1"},
		{"a,b", "line\nbreak", "quote \" inside"},
		{"\r\n", "\"", ""},
		{"Ọlá 😀", "", " =not a formula"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, a, b, c string) {
		l := Lead{ID: "01934b1e-0000-7000-8000-000000000001", UserID: a, FullName: b, Email: c,
			Phone: &a, StudentAddress: &b, Notes: &c, GuardianName: &a, CenterName: &b, CourseName: &c,
			Source: a, Status: StatusPending, CreatedAt: now, UpdatedAt: now, LastSavedAt: now}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		if err := w.Write(LeadFieldNames); err != nil {
			t.Fatal(err)
		}
		row := CSVRecord(l, make([]string, len(LeadFieldNames)))
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		r := csv.NewReader(&buf)
		r.FieldsPerRecord = len(LeadFieldNames)
		recs, err := r.ReadAll()
		if err != nil || len(recs) != 2 {
			t.Fatalf("the file does not read back as a header and a row (%d records, %v):\n%q", len(recs), err, buf.String())
		}
		for i, cell := range recs[1] {
			want := strings.ReplaceAll(row[i], "\r\n", "\n")
			if cell != want {
				t.Fatalf("cell %s reads back as %q, want %q", LeadFieldNames[i], cell, want)
			}
			if cell != "" && strings.ContainsRune(formulaStart, rune(cell[0])) {
				t.Fatalf("cell %s starts as a formula: %q", LeadFieldNames[i], cell)
			}
		}
		for _, s := range []string{a, b, c} {
			if got := csvCell(s); got != s && got != "'"+s {
				t.Fatalf("csvCell(%q) = %q: it may only prefix a quote", s, got)
			}
		}
	})
}
