package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// The staff desk's pages (contract §7): the leads table and a lead's page
// with its timeline and forms. They are plain HTML forms: GET for finding,
// POST then 303 to the lead's page for every change, so they work with no
// script. Each form handler turns the form into the API's JSON body and runs
// the same parser and domain call as the API: a thin twin, never a second
// implementation of a rule.

// deskLimit is the table's page size.
const deskLimit = 25

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// deskView is the leads table page.
type deskView struct {
	Query     url.Values // the filter as asked, to fill the form again
	Error     string     // a filter the list refused
	Fields    []leads.FieldError
	Rows      []deskRow
	Total     int
	Page      int
	Pages     int
	First     int // the number of the first row shown
	Last      int
	PrevURL   string
	NextURL   string
	CSVURL    string
	Statuses  []option
	Centers   []option
	Courses   []option
	Staff     []option
	Steps     []option
	Sorts     []option
	Overdue   bool
	Filtered  bool // any filter is set
	MoreOpen  bool // a filter under "More filters" is set
	Within    string
	Generated string
}

// deskRow is one lead of the table.
type deskRow struct {
	ID, Name, Phone, Centre, Course, Status, Assignee, Created, Age string
	Step                                                            int
	Overdue                                                         bool
}

// requireStaff returns the signed-in staff member or admin, or renders the
// sign-in page (401) or the forbidden page (403) and reports false.
func (s *Server) requireStaff(p *pages, w http.ResponseWriter, r *http.Request) (auth.Principal, pageView, bool) {
	pr, v, ok := s.pagePrincipal(p, w, r)
	if !ok {
		return pr, v, false
	}
	if !pr.Role.AtLeast(auth.RoleStaff) {
		v.Title = "Staff only"
		p.render(w, http.StatusForbidden, "forbidden", v)
		return pr, v, false
	}
	v.Wide, v.Staff = true, true
	return pr, v, true
}

// staffDesk serves GET /staff: the leads table with its filters.
func (s *Server) staffDesk(p *pages) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, v, ok := s.requireStaff(p, w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		q := r.URL.Query()
		if q.Get("limit") == "" {
			q.Set("limit", strconv.Itoa(deskLimit))
		}
		q.Del("after") // the desk pages by number, with links to each
		now := s.now()
		d := &deskView{Query: r.URL.Query(), Within: humanDuration(s.contactWithin), Overdue: q.Get("overdue") == "true"}
		v.Title, v.Desk = "Leads", d
		status := http.StatusOK
		staff, err := s.deskChoices(r, d)
		if err != nil {
			s.pageError(p, w, r, "staff desk", err)
			return
		}
		f, err := leads.ParseListQuery(q, now, s.contactWithin)
		var page leads.LeadPage
		if err == nil {
			page, err = s.store.ListLeads(ctx, f)
		}
		var e *leads.Error
		switch {
		case errors.As(err, &e) && e.Code == leads.CodeInvalid:
			status, d.Error, d.Fields = http.StatusBadRequest, "Some filters are not valid: correct them and search again.", e.Fields
		case err != nil:
			s.pageError(p, w, r, "staff desk", err)
			return
		}
		names := staffNames(staff)
		for _, l := range page.Leads {
			d.Rows = append(d.Rows, deskRow{ID: l.ID, Name: l.FullName, Phone: deref(l.Phone), Centre: deref(l.CenterName),
				Course: deref(l.CourseName), Status: string(l.Status), Assignee: nameOf(names, l.AssignedTo),
				Created: l.CreatedAt.Format("2 Jan 2006 15:04"), Age: humanDuration(now.Sub(l.CreatedAt)),
				Step: l.OnboardingStep, Overdue: overdue(l, now, s.contactWithin)})
		}
		d.Total, d.Page = page.Total, f.Page
		if f.Limit > 0 {
			d.Pages = max(1, (page.Total+f.Limit-1)/f.Limit)
			d.First, d.Last = min(page.Total, f.Offset()+1), f.Offset()+len(page.Leads)
		}
		// The form sends every field, empty or not: a filter is set when a
		// field differs from its default.
		for k := range q {
			set := q.Get(k) != "" && k != "page" && k != "limit" && (k != "sort" || q.Get(k) != string(leads.SortNewest))
			d.Filtered = d.Filtered || set
			d.MoreOpen = d.MoreOpen || set && k != "q" && k != "status" && k != "overdue"
		}
		link := func(pageNo int) string {
			u := url.Values{}
			for k, vs := range r.URL.Query() {
				if k != "page" {
					u[k] = vs
				}
			}
			u.Set("page", strconv.Itoa(pageNo))
			return "/staff?" + u.Encode()
		}
		if d.Page > 1 {
			d.PrevURL = link(d.Page - 1)
		}
		if d.Page < d.Pages {
			d.NextURL = link(d.Page + 1)
		}
		csv := url.Values{}
		for k, vs := range r.URL.Query() {
			if k != "page" && k != "limit" {
				csv[k] = vs
			}
		}
		d.CSVURL = "/leads/export.csv"
		if len(csv) > 0 {
			d.CSVURL += "?" + csv.Encode()
		}
		p.render(w, status, "staff", v)
	})
}

// deskChoices fills the filter form's select options and returns the roster.
func (s *Server) deskChoices(r *http.Request, d *deskView) ([]leads.Staff, error) {
	ctx := r.Context()
	q := r.URL.Query()
	centers, err := s.store.Centers(ctx, "")
	if err != nil {
		return nil, err
	}
	courses, err := s.store.Courses(ctx, "")
	if err != nil {
		return nil, err
	}
	staff, err := s.store.Roster(ctx)
	if err != nil {
		return nil, err
	}
	sel := func(key, value, label string) option { return option{value, label, q.Get(key) == value} }
	d.Statuses = []option{sel("status", "", "Any status")}
	for _, st := range []leads.Status{leads.StatusPending, leads.StatusContacted, leads.StatusConverted, leads.StatusLost} {
		d.Statuses = append(d.Statuses, sel("status", string(st), statusLabel(st)))
	}
	d.Centers = []option{sel("centerId", "", "Any centre")}
	for _, c := range centers {
		d.Centers = append(d.Centers, sel("centerId", c.ID, c.Name))
	}
	d.Courses = []option{sel("courseId", "", "Any course")}
	for _, c := range courses {
		label := c.Name
		for _, ce := range centers {
			if c.CenterID != nil && ce.ID == *c.CenterID {
				label += " (" + ce.Name + ")"
			}
		}
		d.Courses = append(d.Courses, sel("courseId", c.ID, label))
	}
	d.Staff = []option{sel("assignedTo", "", "Anyone"), sel("assignedTo", leads.AssignedNone, "No one")}
	for _, m := range staff {
		d.Staff = append(d.Staff, sel("assignedTo", m.ID, m.FullName))
	}
	d.Steps = []option{sel("step", "", "Any step")}
	for i := 1; i <= 3; i++ {
		d.Steps = append(d.Steps, sel("step", strconv.Itoa(i), fmt.Sprintf("Step %d", i)))
	}
	sortLabels := map[leads.Sort]string{leads.SortNewest: "Newest first", leads.SortOldest: "Oldest first",
		leads.SortLastSavedDesc: "Recently saved first", leads.SortLastSaved: "Least recently saved first"}
	for _, so := range leads.Sorts {
		o := sel("sort", string(so), sortLabels[so])
		o.Selected = o.Selected || (q.Get("sort") == "" && so == leads.SortNewest)
		d.Sorts = append(d.Sorts, o)
	}
	return staff, nil
}

// leadView is a lead's page.
type leadView struct {
	Lead      leads.Lead
	Details   []summaryRow
	Guardian  []summaryRow
	Timeline  []timelineRow
	Total     int
	Page      int
	Pages     int
	PrevURL   string
	NextURL   string
	Assignee  string
	Overdue   bool
	Statuses  []option
	Outcomes  []option
	Staff     []option
	Done      string            // what the last form did
	Errors    map[string]string // a form's error message, by form
	Form      url.Values        // what the failed form sent, to fill it again
	Converted bool
}

// timelineRow is one activity, told in words.
type timelineRow struct {
	When, Actor, Text, Type string
}

// staffLead serves GET /staff/leads/{id}.
func (s *Server) staffLead(p *pages) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, v, ok := s.requireStaff(p, w, r)
		if !ok {
			return
		}
		if page := r.URL.Query().Get("page"); page != "" {
			if n, err := strconv.Atoi(page); err != nil || n < 1 || n > maxLeadPage {
				s.refuse(w, r, leads.Invalid(leads.FieldError{Field: "page", Message: fmt.Sprintf("must be an integer from 1 to %d", maxLeadPage)}))
				return
			}
		}
		s.renderLead(p, w, r, v, http.StatusOK, "", nil)
	})
}

// maxLeadPage is the deepest page of a lead's timeline: (page − 1) × its
// limit may be at most leads.MaxOffset.
const maxLeadPage = leads.MaxOffset/leads.DefaultActivityLimit + 1

// renderLead renders the lead's page with status; form and err say which
// form failed and why (none when form is "").
func (s *Server) renderLead(p *pages, w http.ResponseWriter, r *http.Request, v pageView, status int, form string, ferr error) {
	ctx := r.Context()
	id := r.PathValue("id")
	l, err := s.store.Lead(ctx, id)
	if errors.Is(err, leads.ErrLeadNotFound) {
		v.Title, v.Message = "No such lead", "There is no lead with this id. It may have been erased."
		p.render(w, http.StatusNotFound, "notfound", v)
		return
	}
	if err != nil {
		s.pageError(p, w, r, "lead page", err)
		return
	}
	page := 1
	if n, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && n > 1 && n <= maxLeadPage {
		page = n
	}
	acts, err := s.store.Activities(ctx, id, page, leads.DefaultActivityLimit)
	if err != nil {
		s.pageError(p, w, r, "lead page", err)
		return
	}
	staff, err := s.store.Roster(ctx)
	if err != nil {
		s.pageError(p, w, r, "lead page", err)
		return
	}
	names := staffNames(staff)
	names[l.UserID] = l.FullName + " (applicant)"
	now := s.now()
	lv := &leadView{Lead: l, Assignee: nameOf(names, l.AssignedTo), Overdue: overdue(l, now, s.contactWithin),
		Total: acts.Total, Page: page, Pages: max(1, (acts.Total+acts.Limit-1)/acts.Limit),
		Done: doneMessages[r.URL.Query().Get("done")], Errors: map[string]string{}, Form: url.Values{},
		Converted: l.Status == leads.StatusConverted}
	if page > 1 {
		lv.PrevURL = fmt.Sprintf("/staff/leads/%s?page=%d#timeline", url.PathEscape(id), page-1)
	}
	if page < lv.Pages {
		lv.NextURL = fmt.Sprintf("/staff/leads/%s?page=%d#timeline", url.PathEscape(id), page+1)
	}
	if form != "" {
		lv.Errors[form] = formError(ferr)
		lv.Form = r.PostForm
	}
	add := func(rows *[]summaryRow, label string, vals ...*string) {
		for _, val := range vals {
			if val != nil && *val != "" {
				*rows = append(*rows, summaryRow{label, *val})
				return
			}
		}
		*rows = append(*rows, summaryRow{label, "—"})
	}
	t := func(tm *time.Time) *string {
		if tm == nil {
			return nil
		}
		s := tm.UTC().Format("2 Jan 2006 15:04 UTC")
		return &s
	}
	str := func(s string) *string { return &s }
	add(&lv.Details, "Reference", str(leads.ApplicationRef(l.ID)))
	add(&lv.Details, "E-mail", &l.Email)
	add(&lv.Details, "Phone", l.Phone)
	add(&lv.Details, "Training location", l.TrainingLocationName, l.TrainingLocation)
	add(&lv.Details, "Centre", l.CenterName, l.CenterID)
	add(&lv.Details, "Course", l.CourseName, l.CourseID)
	add(&lv.Details, "Address", l.StudentAddress)
	var plan *string
	if l.PaymentPlan != nil {
		plan = str(planLabel(*l.PaymentPlan))
	}
	add(&lv.Details, "Payment plan", plan)
	add(&lv.Details, "Step", str(fmt.Sprintf("%d of 3 (furthest: %d)", l.OnboardingStep, l.StepReached)))
	add(&lv.Details, "Status", str(statusLabel(l.Status)))
	add(&lv.Details, "Assigned to", str(lv.Assignee))
	add(&lv.Details, "Source", &l.Source)
	add(&lv.Details, "Created", t(&l.CreatedAt))
	add(&lv.Details, "Last saved", t(&l.LastSavedAt))
	add(&lv.Details, "First contact", t(l.ContactedAt))
	add(&lv.Details, "Contacted by", str(nameOf(names, l.ContactedBy)))
	add(&lv.Details, "Converted", t(l.ConvertedAt))
	add(&lv.Details, "Student", l.ConvertedToStudentID)
	add(&lv.Details, "Latest note", l.Notes)
	if l.HasGuardian {
		add(&lv.Guardian, "Name", l.GuardianName)
		add(&lv.Guardian, "Phone", l.GuardianPhone)
		add(&lv.Guardian, "E-mail", l.GuardianEmail)
		add(&lv.Guardian, "Address", l.GuardianAddress)
	}
	for _, a := range acts.Activities {
		lv.Timeline = append(lv.Timeline, timelineRow{When: a.At.UTC().Format("2 Jan 2006 15:04"),
			Actor: nameOf(names, &a.Actor), Text: describe(a, names), Type: a.Type})
	}
	formValue := func(key, fallback string) string {
		if v, ok := lv.Form[key]; ok && len(v) > 0 {
			return v[0]
		}
		return fallback
	}
	for _, st := range []leads.Status{leads.StatusPending, leads.StatusContacted, leads.StatusLost} {
		lv.Statuses = append(lv.Statuses, option{string(st), statusLabel(st), formValue("status", string(l.Status)) == string(st)})
	}
	for i, o := range leads.CallOutcomes {
		lv.Outcomes = append(lv.Outcomes, option{string(o), outcomeLabel(o), formValue("outcome", "") == string(o) || (i == 0 && formValue("outcome", "") == "")})
	}
	current := deref(l.AssignedTo)
	lv.Staff = []option{{"", "No one", formValue("staffId", current) == ""}}
	for _, m := range staff {
		if m.Active || m.ID == current {
			lv.Staff = append(lv.Staff, option{m.ID, m.FullName, formValue("staffId", current) == m.ID})
		}
	}
	v.Title, v.Lead = l.FullName, lv
	p.render(w, status, "staff_lead", v)
}

// doneMessages are what a form says after it worked (?done=…).
var doneMessages = map[string]string{
	"status":  "The status was changed.",
	"call":    "The call was logged.",
	"note":    "The note was added.",
	"assign":  "The assignment was changed.",
	"convert": "The lead was marked as converted.",
}

// staffAction serves the POST of one of the lead page's forms: it runs the
// API's parser and domain call over the form's fields, then redirects (303) to
// the lead's page, or renders it again with the form's error.
func (s *Server) staffAction(p *pages, form string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pr, v, ok := s.requireStaff(p, w, r)
		if !ok {
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		if err := r.ParseForm(); err != nil {
			s.renderLead(p, w, r, v, http.StatusBadRequest, form, errUnreadable)
			return
		}
		// The API's parsers see JSON, whose encoder would quietly repair
		// invalid UTF-8: the form's text is checked here, as it came.
		if field := badText(r.PostForm, "body"); field != "" {
			s.renderLead(p, w, r, v, http.StatusBadRequest, form, leads.Invalid(leads.FieldError{Field: field, Message: leads.TextError}))
			return
		}
		id, ctx, now := r.PathValue("id"), r.Context(), leads.Timestamp(s.now())
		body := func(fields map[string]any) []byte {
			b, _ := json.Marshal(fields) // strings, nils and bools always encode
			return b
		}
		orNil := func(key string) any {
			if v := r.PostForm.Get(key); v != "" {
				return v
			}
			return nil
		}
		var err error
		switch form {
		case "status":
			var ch leads.StatusChange
			if ch, err = leads.ParseStatusChange(body(map[string]any{"status": r.PostForm.Get("status"), "reason": orNil("reason")})); err == nil {
				ch.ContactedBy = pr.UserID
				_, err = leads.UpdateStatus(ctx, s.store, id, ch, pr.UserID, now)
			}
		case "call":
			var c leads.Call
			if c, err = leads.ParseCall(body(map[string]any{"outcome": r.PostForm.Get("outcome"), "text": orNil("text")})); err == nil {
				_, err = leads.LogCall(ctx, s.store, id, c, pr.UserID, now)
			}
		case "note":
			var text string
			if text, err = leads.ParseNote(body(map[string]any{"text": r.PostForm.Get("text")})); err == nil {
				_, err = leads.AddNote(ctx, s.store, id, text, pr.UserID, now)
			}
		case "assign":
			var staffID *string
			fields := map[string]any{} // no staffId at all is refused, as by the API; "" unassigns
			if _, ok := r.PostForm["staffId"]; ok {
				fields["staffId"] = orNil("staffId")
			}
			if staffID, err = leads.ParseAssign(body(fields)); err == nil {
				_, err = leads.Assign(ctx, s.store, id, staffID, pr.UserID, now)
			}
		case "convert":
			var studentID string
			if studentID, err = leads.ParseConvert(body(map[string]any{"studentId": r.PostForm.Get("studentId")})); err == nil {
				_, err = leads.Convert(ctx, s.store, id, studentID, pr.UserID, now)
			}
		}
		if err != nil {
			status, _ := s.errorResponse(r, err)
			if status == http.StatusNotFound {
				s.renderLead(p, w, r, v, status, "", nil)
				return
			}
			s.renderLead(p, w, r, v, status, form, err)
			return
		}
		http.Redirect(w, r, "/staff/leads/"+url.PathEscape(id)+"?done="+form, http.StatusSeeOther)
	})
}

// formError is the message a failed form shows: the domain's message and
// each field's, or a generic one for what is not the user's fault.
func formError(err error) string {
	var e *leads.Error
	if !errors.As(err, &e) || statusOf(e.Code) == 0 {
		return "Something went wrong; please try again."
	}
	msg := e.Message
	for _, f := range e.Fields {
		msg += " — " + f.Field + " " + f.Message
	}
	return msg
}

// pageError logs an internal error of a page and renders the error page.
func (s *Server) pageError(p *pages, w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.Error(what, "request_id", requestID(r.Context()), "error", err.Error())
	p.render(w, http.StatusInternalServerError, "error", pageView{Title: "Something went wrong"})
}

// describe tells an activity in words.
func describe(a leads.Activity, names map[string]string) string {
	var d struct {
		Step    int      `json:"step"`
		Fields  []string `json:"fields"`
		From    *string  `json:"from"`
		To      *string  `json:"to"`
		Reason  *string  `json:"reason"`
		How     string   `json:"how"`
		Student string   `json:"studentId"`
		Text    *string  `json:"text"`
		Outcome string   `json:"outcome"`
		Kind    string   `json:"kind"`
	}
	json.Unmarshal(a.Data, &d) // the store wrote it from these very shapes
	with := func(s string, extra *string) string {
		if extra != nil && *extra != "" {
			return s + ": " + *extra
		}
		return s
	}
	switch a.Type {
	case leads.ActivityCreated:
		return fmt.Sprintf("Saved and exited at step %d: the lead was created.", d.Step)
	case leads.ActivitySaved:
		return fmt.Sprintf("Saved again at step %d, changing %s.", d.Step, joinFields(d.Fields))
	case leads.ActivityStatusChanged:
		return with(fmt.Sprintf("Status %s → %s", statusLabel(leads.Status(deref(d.From))), statusLabel(leads.Status(deref(d.To)))), d.Reason)
	case leads.ActivityAssigned:
		how := "by hand"
		if d.How == leads.AssignedAuto {
			how = "automatically"
		}
		if d.To == nil {
			return "Unassigned " + how + "."
		}
		return fmt.Sprintf("Assigned to %s %s.", nameOf(names, d.To), how)
	case leads.ActivityConverted:
		return "Converted: enrolled as student " + d.Student + "."
	case leads.ActivityNote:
		return with("Note", d.Text)
	case leads.ActivityCall:
		return with("Call, "+outcomeLabel(leads.CallOutcome(d.Outcome)), d.Text)
	case leads.ActivityEmailSent:
		return fmt.Sprintf("E-mail sent (%s).", d.Kind)
	case leads.ActivityEmailFailed:
		return fmt.Sprintf("E-mail could not be delivered (%s).", d.Kind)
	}
	return a.Type
}

func joinFields(fs []string) string {
	switch len(fs) {
	case 0:
		return "nothing"
	case 1:
		return fs[0]
	}
	out := fs[0]
	for i, f := range fs[1:] {
		if i == len(fs)-2 {
			out += " and " + f
		} else {
			out += ", " + f
		}
	}
	return out
}

func statusLabel(s leads.Status) string {
	switch s {
	case leads.StatusPending:
		return "Pending"
	case leads.StatusContacted:
		return "Contacted"
	case leads.StatusConverted:
		return "Converted"
	case leads.StatusLost:
		return "Lost"
	}
	return string(s)
}

func outcomeLabel(o leads.CallOutcome) string {
	switch o {
	case leads.CallReached:
		return "reached"
	case leads.CallNoAnswer:
		return "no answer"
	case leads.CallVoicemail:
		return "left a voicemail"
	case leads.CallWrongNumber:
		return "wrong number"
	}
	return string(o)
}

// staffNames maps staff ids to names.
func staffNames(staff []leads.Staff) map[string]string {
	m := make(map[string]string, len(staff))
	for _, s := range staff {
		m[s.ID] = s.FullName
	}
	return m
}

// nameOf is the staff member's name, else the id, else "No one".
func nameOf(names map[string]string, id *string) string {
	switch {
	case id == nil || *id == "":
		return "No one"
	case names[*id] != "":
		return names[*id]
	}
	return *id
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// overdue reports whether the lead waits too long for its first contact.
func overdue(l leads.Lead, now time.Time, within time.Duration) bool {
	return l.Status == leads.StatusPending && l.ContactedAt == nil && l.CreatedAt.Before(now.Add(-within))
}

// humanDuration says roughly how long d is: "5 min", "3 h", "2 d".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d d", int(d.Hours()/24))
}
