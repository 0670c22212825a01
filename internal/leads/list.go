package leads

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ListFilter selects leads: every set field narrows the selection, and they
// combine. The zero value selects every lead.
type ListFilter struct {
	Status   Status // "" for any
	CenterID string // "" for any
	CourseID string // "" for any
	// Q is a case-insensitive substring of the full name, e-mail or phone,
	// matched literally.
	Q string
	// AssignedTo is a staff id; Unassigned selects leads assigned to no one.
	AssignedTo string
	Unassigned bool
	Step       int // onboardingStep, 0 for any
	// CreatedFrom and CreatedTo bound createdAt, both inclusive.
	CreatedFrom, CreatedTo *time.Time
	// OverdueBefore, when set, selects overdue leads: PENDING, never
	// contacted, created before it (now minus LEADS_CONTACT_WITHIN).
	OverdueBefore *time.Time
	Sort          Sort
	// After, when set, is a lead's id: the page is the leads that follow it
	// in Sort's order (a keyset cursor, in place of Page), so a deep page
	// costs what the first does. Its place is read from the lead as it is
	// when the page is read.
	After string
	Page  int // from 1; 0 with After
	Limit int // 1 to MaxLimit
}

// Offset is the number of leads before the page (0 with After: the cursor
// places it).
func (f ListFilter) Offset() int { return max(f.Page-1, 0) * f.Limit }

// BySearchOnly reports whether the filter uses nothing but q, which the
// stores count in their search indexes alone.
func (f ListFilter) BySearchOnly() bool {
	g := f
	g.Q, g.Sort, g.After, g.Page, g.Limit = "", "", "", 0, 0
	return f.Q != "" && g == ListFilter{}
}

// ByCountsOnly reports whether the filter uses nothing but the status and the
// centre, whose exact counts the stores keep at hand.
func (f ListFilter) ByCountsOnly() bool {
	g := f
	g.Status, g.CenterID, g.Sort, g.After, g.Page, g.Limit = "", "", "", "", 0, 0
	return g == ListFilter{}
}

// Sort is the order of a list: a field, descending when it starts with "-".
type Sort string

// The orders of a list; ties are broken by id in the same direction.
const (
	SortNewest        Sort = "-createdAt" // the default
	SortOldest        Sort = "createdAt"
	SortLastSavedDesc Sort = "-lastSavedAt"
	SortLastSaved     Sort = "lastSavedAt"
)

// Sorts lists the orders a list offers.
var Sorts = []Sort{SortNewest, SortOldest, SortLastSavedDesc, SortLastSaved}

// ByLastSaved reports whether the order is by lastSavedAt (else createdAt).
func (s Sort) ByLastSaved() bool { return s == SortLastSavedDesc || s == SortLastSaved }

// Desc reports whether the order is newest first.
func (s Sort) Desc() bool { return s == "" || strings.HasPrefix(string(s), "-") }

// LeadPage is one page of a list, with the exact count of matching leads.
type LeadPage struct {
	Leads []Lead `json:"leads"`
	Total int    `json:"total"`
	Page  *int   `json:"page"` // nil for a page read after a cursor (ListFilter.After)
	Limit int    `json:"limit"`
}

// NewLeadPage is an empty page of f's leads, room made for them.
func NewLeadPage(f ListFilter) LeadPage {
	p := LeadPage{Leads: make([]Lead, 0, min(f.Limit, MaxLimit)), Limit: f.Limit}
	if f.After == "" {
		p.Page = &f.Page
	}
	return p
}

// List limits.
const (
	DefaultLimit = 10
	MaxLimit     = 100
	// MaxOffset bounds (page − 1) × limit: deeper reads go through the
	// filters or the CSV export.
	MaxOffset = 10_000_000
	MaxQLen   = 100
	// MaxAfterLen bounds the after cursor: a lead's id is a UUID (36).
	MaxAfterLen = 64
)

// AssignedNone is the assignedTo value that selects unassigned leads.
const AssignedNone = "none"

// ParseListQuery validates the query of GET /leads (and of the CSV export,
// which ignores page and limit). now and contactWithin turn overdue=true into
// a time.
func ParseListQuery(q url.Values, now time.Time, contactWithin time.Duration) (ListFilter, error) {
	p := parser{}
	f := ListFilter{Page: 1, Limit: DefaultLimit, Sort: SortNewest}
	if v := q.Get("page"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			p.fail("page", "must be an integer of at least 1")
		} else {
			f.Page = int(min(n, MaxOffset+1))
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			p.fail("limit", "must be an integer from 1 to 100")
		} else {
			f.Limit = n
		}
	}
	if _, bad := p.failed("page"); !bad && f.Offset() > MaxOffset {
		p.fail("page", "is too deep: (page - 1) × limit may be at most 10000000; narrow the filters, use after, or use the CSV export")
	}
	if v := q.Get("after"); v != "" {
		switch {
		case len(v) > MaxAfterLen:
			p.fail("after", "must be the id of a lead")
		case q.Has("page"):
			p.fail("after", "cannot be combined with page: after places the page")
		}
		f.After, f.Page = v, 0
	}
	if v := q.Get("status"); v != "" {
		if !Status(v).Valid() {
			p.fail("status", "must be one of PENDING, CONTACTED, CONVERTED, LOST")
		}
		f.Status = Status(v)
	}
	f.CenterID, f.CourseID = q.Get("centerId"), q.Get("courseId")
	if v := q.Get("q"); v != "" {
		if n := utf8.RuneCountInString(v); n > MaxQLen {
			p.fail("q", "must be 1 to 100 characters")
		}
		f.Q = v
	}
	switch v := q.Get("assignedTo"); v {
	case "":
	case AssignedNone:
		f.Unassigned = true
	default:
		f.AssignedTo = v
	}
	if v := q.Get("step"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3 {
			p.fail("step", "must be 1, 2 or 3")
		}
		f.Step = n
	}
	f.CreatedFrom, f.CreatedTo = p.dateRange(q)
	switch v := q.Get("overdue"); v {
	case "", "false":
	case "true":
		t := now.Add(-contactWithin)
		f.OverdueBefore = &t
	default:
		p.fail("overdue", "must be true or false")
	}
	if v := q.Get("sort"); v != "" {
		f.Sort = Sort(v)
		switch f.Sort {
		case SortNewest, SortOldest, SortLastSavedDesc, SortLastSaved:
		default:
			p.fail("sort", "must be one of -createdAt, createdAt, -lastSavedAt, lastSavedAt")
		}
	}
	if err := p.err(); err != nil {
		return ListFilter{}, err
	}
	return f, nil
}

// dateRange reads createdFrom and createdTo: RFC 3339 times, or YYYY-MM-DD
// (that UTC day: from its start for createdFrom, through its end for
// createdTo).
func (p *parser) dateRange(q url.Values) (from, to *time.Time) {
	parse := func(key string, endOfDay bool) *time.Time {
		v := q.Get(key)
		if v == "" {
			return nil
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			t = Timestamp(t)
			return &t
		}
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			p.fail(key, "must be an RFC 3339 time or a date (YYYY-MM-DD)")
			return nil
		}
		if endOfDay {
			d = d.Add(24*time.Hour - time.Microsecond)
		}
		return &d
	}
	from, to = parse("createdFrom", false), parse("createdTo", true)
	if from != nil && to != nil && to.Before(*from) {
		p.fail("createdTo", "must not be before createdFrom")
	}
	return from, to
}

// Timeline page limits.
const DefaultActivityLimit = 50

// ParseActivityQuery validates the query of GET /activities: leadId
// (required), page and limit (1 to MaxLimit, default DefaultActivityLimit).
func ParseActivityQuery(q url.Values) (leadID string, page, limit int, err error) {
	p := parser{}
	page, limit = 1, DefaultActivityLimit
	if leadID = q.Get("leadId"); leadID == "" {
		p.fail("leadId", "is required")
	} else if utf8.RuneCountInString(leadID) > MaxStringLen {
		p.fail("leadId", "must be at most 255 characters")
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxOffset {
			p.fail("page", "must be an integer from 1 to 10000000")
		}
		page = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			p.fail("limit", "must be an integer from 1 to 100")
		}
		limit = n
	}
	if _, bad := p.failed("page"); !bad && (page-1)*limit > MaxOffset {
		p.fail("page", "is too deep: (page - 1) × limit may be at most 10000000")
	}
	return leadID, page, limit, p.err()
}
