package leads

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseListQuery(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	day := func(s string) *time.Time {
		t, _ := time.Parse(time.RFC3339Nano, s)
		return &t
	}
	base := ListFilter{Page: 1, Limit: 10, Sort: SortNewest}
	with := func(f func(*ListFilter)) ListFilter { g := base; f(&g); return g }
	tests := []struct {
		query   string
		want    ListFilter
		wantErr []string
	}{
		{"", base, nil},
		{"page=3&limit=100&status=LOST&centerId=c1", with(func(f *ListFilter) {
			f.Status, f.CenterID, f.Page, f.Limit = StatusLost, "c1", 3, 100
		}), nil},
		{"q=50%25_x&assignedTo=staff-1&courseId=k1&step=2&sort=lastSavedAt", with(func(f *ListFilter) {
			f.Q, f.AssignedTo, f.CourseID, f.Step, f.Sort = "50%_x", "staff-1", "k1", 2, SortLastSaved
		}), nil},
		{"assignedTo=none", with(func(f *ListFilter) { f.Unassigned = true }), nil},
		{"createdFrom=2026-01-01&createdTo=2026-01-31", with(func(f *ListFilter) {
			f.CreatedFrom, f.CreatedTo = day("2026-01-01T00:00:00Z"), day("2026-01-31T23:59:59.999999Z")
		}), nil},
		{"createdFrom=2026-01-01T10:00:00%2B01:00", with(func(f *ListFilter) { f.CreatedFrom = day("2026-01-01T09:00:00Z") }), nil},
		{"overdue=true", with(func(f *ListFilter) { f.OverdueBefore = day("2026-12-01T12:00:00Z") }), nil},
		{"overdue=false", base, nil},
		{"page=0", ListFilter{}, []string{"page"}},
		{"page=x&limit=101", ListFilter{}, []string{"page", "limit"}},
		{"limit=0", ListFilter{}, []string{"limit"}},
		{"limit=-1", ListFilter{}, []string{"limit"}},
		{"status=WON", ListFilter{}, []string{"status"}},
		{"page=9223372036854775807", ListFilter{}, []string{"page"}},
		{"page=99999999999999999999", ListFilter{}, []string{"page"}},
		{"page=100002&limit=100", ListFilter{}, []string{"page"}},
		{"page=100001&limit=100", with(func(f *ListFilter) { f.Page, f.Limit = 100001, 100 }), nil},
		{"step=4", ListFilter{}, []string{"step"}},
		{"sort=name", ListFilter{}, []string{"sort"}},
		{"overdue=yes", ListFilter{}, []string{"overdue"}},
		{"createdFrom=yesterday", ListFilter{}, []string{"createdFrom"}},
		{"createdFrom=2026-02-01&createdTo=2026-01-01", ListFilter{}, []string{"createdTo"}},
		{"q=" + string(make([]byte, 101)), ListFilter{}, []string{"q"}},
		{"after=0193e1a2-0000-7000-8000-000000000001&limit=20&sort=lastSavedAt", with(func(f *ListFilter) {
			f.After, f.Page, f.Limit, f.Sort = "0193e1a2-0000-7000-8000-000000000001", 0, 20, SortLastSaved
		}), nil},
		{"after=x&page=1", ListFilter{}, []string{"after"}},
		{"after=x&page=0", ListFilter{}, []string{"page", "after"}},
		{"after=" + strings.Repeat("x", MaxAfterLen+1), ListFilter{}, []string{"after"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			got, err := ParseListQuery(q, now, 24*time.Hour)
			if tt.wantErr == nil {
				if err != nil || !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("want an error, got %v", err)
			}
			var fields []string
			for _, f := range e.Fields {
				fields = append(fields, f.Field)
			}
			if !reflect.DeepEqual(fields, tt.wantErr) {
				t.Errorf("fields %v, want %v", fields, tt.wantErr)
			}
		})
	}
	if off := (ListFilter{Page: 3, Limit: 20}).Offset(); off != 40 {
		t.Errorf("Offset = %d, want 40", off)
	}
	if !(ListFilter{Status: StatusLost, CenterID: "c", Page: 2, Limit: 5, Sort: SortOldest}).ByCountsOnly() ||
		(ListFilter{Q: "x"}).ByCountsOnly() {
		t.Error("ByCountsOnly: only status and centre are counted")
	}
	if !(ListFilter{Q: "ada", Page: 3, Limit: 5, Sort: SortLastSaved, After: "x"}).BySearchOnly() ||
		(ListFilter{}).BySearchOnly() || (ListFilter{Q: "ada", Status: StatusLost}).BySearchOnly() ||
		(ListFilter{Q: "ada", Unassigned: true}).BySearchOnly() {
		t.Error("BySearchOnly: q and nothing else but the page and the order")
	}
}
