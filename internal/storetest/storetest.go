// Package storetest is the conformance suite every leads.Store engine passes.
// An engine's test file supplies a factory of fresh, migrated, empty stores and
// calls Run (and Bench from a benchmark); every behaviour is tested here, through
// the interface only, so the engines cannot drift apart.
package storetest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leads/leads/internal/leads"
)

// Opener returns a fresh, migrated, empty store that is closed when t ends.
type Opener = func(t *testing.T) leads.Store

// Reopener closes s and opens its database again, as a restart of the
// service would; the new store is closed when t ends.
type Reopener = func(t *testing.T, s leads.Store) leads.Store

// Run runs every case of the suite, each in parallel on its own store.
func Run(t *testing.T, open Opener, reopen Reopener) {
	run(t, open, reopen, nil)
}

// RunLists runs the suite's cases of the list (its pages, exact totals,
// filters and searches, deep pages), each in parallel on its own store: for
// an engine's other ways of reading a list or a search, which open chooses.
func RunLists(t *testing.T, open Opener) {
	run(t, open, nil, []string{"ListPages", "ListTotalsStayExact", "ListFilters", "SearchFollowsChanges", "DeepPages"})
}

// run runs the cases of the suite named in only, or every case without it.
func run(t *testing.T, open Opener, reopen Reopener, only []string) {
	cases := []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"SaveCreatesThenUpdates", testSaveCreatesThenUpdates},
		{"SaveMergeRules", testSaveMergeRules},
		{"SaveMatchesApply", testSaveMatchesApply},
		{"SaveStatusAfterResave", testSaveStatusAfterResave},
		{"SaveUnknownUser", testSaveUnknownUser},
		{"SaveConcurrentOneUser", testSaveConcurrentOneUser},
		{"SaveConcurrentManyUsers", testSaveConcurrentManyUsers},
		{"LeadLookup", testLeadLookup},
		{"ListPages", testListPages},
		{"ListTotalsStayExact", testListTotalsStayExact},
		{"UpdateStatus", testUpdateStatus},
		{"Convert", testConvert},
		{"CompleteOnboarding", testCompleteOnboarding},
		{"DeleteLead", testDeleteLead},
		{"PutReference", testPutReference},
		{"PutReferenceInvalid", testPutReferenceInvalid},
		{"ListReference", testListReference},
		{"ProvisionUser", testProvisionUser},
		{"ReadsProvision", testReadsProvision},
		{"Secret", testSecret},
		{"Resave", testResave},
		{"TimesAndJSON", testTimesAndJSON},
		{"Roster", testRoster},
		{"AssignRoundRobin", testAssignRoundRobin},
		{"AssignConcurrent", testAssignConcurrent},
		{"AssignTurnSurvivesReopen", func(t *testing.T, open Opener) { testAssignTurnSurvivesReopen(t, open, reopen) }},
		{"Timeline", testTimeline},
		{"TimelineAtomic", testTimelineAtomic},
		{"NotesAndCalls", testNotesAndCalls},
		{"ListFilters", testListFilters},
		{"SearchFollowsChanges", testSearchFollowsChanges},
		{"DeepPages", testDeepPages},
		{"Stats", testStats},
	}
	ran := 0
	for _, c := range cases {
		if only != nil && !slices.Contains(only, c.name) {
			continue
		}
		ran++
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, open)
		})
	}
	if only != nil && ran != len(only) {
		t.Errorf("the suite has %d of the cases %v", ran, only)
	}
}

// at is the suite's clock: i minutes after a fixed origin whose odd microseconds
// check that the engines keep them.
func at(i int) time.Time {
	return time.Date(2026, 1, 2, 10, 16, 0, 123456000, time.UTC).Add(time.Duration(i) * time.Minute)
}

func ptr[T any](v T) *T { return &v }

// user puts a user with a name and e-mail derived from id.
func user(t *testing.T, s leads.Store, id string, phone *string) leads.User {
	t.Helper()
	u := leads.User{ID: id, FullName: "Name of " + id, Email: id + "@example.com", Phone: phone}
	if _, err := s.PutUser(t.Context(), u, at(0)); err != nil {
		t.Fatalf("PutUser(%s): %v", id, err)
	}
	return u
}

// save saves and fails the test on error.
func save(t *testing.T, s leads.Store, userID string, in leads.SaveInput, now time.Time) (leads.Lead, bool) {
	t.Helper()
	l, created, err := leads.SaveFromOnboarding(t.Context(), s, leads.Claims{UserID: userID}, in, now)
	if err != nil {
		t.Fatalf("SaveFromOnboarding(%s): %v", userID, err)
	}
	return l, created
}

// catalogue puts two locations, two centres and two courses.
func catalogue(t *testing.T, s leads.Store) {
	t.Helper()
	ctx := t.Context()
	for _, l := range []leads.Location{{ID: "fct", Name: "FCT Abuja"}, {ID: "lag", Name: "Lagos"}} {
		if _, err := s.PutLocation(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []leads.Center{{ID: "c1", Name: "Abuja Centre", LocationID: ptr("fct")}, {ID: "c2", Name: "Ikeja Centre", LocationID: ptr("lag")}} {
		if _, err := s.PutCenter(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []leads.Course{{ID: "k1", Name: "Welding", CenterID: ptr("c1")}, {ID: "k2", Name: "Solar Installation", CenterID: ptr("c2")}} {
		if _, err := s.PutCourse(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
}

// fields returns the lead's JSON object, key by key.
func fields(t *testing.T, l leads.Lead) map[string]json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkFields compares the JSON keys named in want (nil means null).
func checkFields(t *testing.T, l leads.Lead, want map[string]any) {
	t.Helper()
	got := fields(t, l)
	for _, k := range slices.Sorted(maps.Keys(want)) {
		w, err := json.Marshal(want[k])
		if err != nil {
			t.Fatal(err)
		}
		if string(got[k]) != string(w) {
			t.Errorf("%s = %s, want %s", k, got[k], w)
		}
	}
}

// sameLead fails unless got and want are the same lead in every field.
func sameLead(t *testing.T, got, want leads.Lead) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("lead differs:\n got %s\nwant %s", g, w)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

func testSaveCreatesThenUpdates(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	u := user(t, s, "u1", ptr("+2348000000001"))

	first, created := save(t, s, u.ID, leads.SaveInput{}, at(0))
	if !created || first.ID == "" {
		t.Fatalf("first save: created=%v id=%q, want a new lead", created, first.ID)
	}
	checkFields(t, first, map[string]any{
		"userId": "u1", "fullName": u.FullName, "email": u.Email, "phone": *u.Phone,
		"status": "PENDING", "source": leads.DefaultSource, "onboardingStep": 1, "hasGuardian": false,
		"createdAt": at(0), "updatedAt": at(0), "lastSavedAt": at(0),
	})

	// The user's record changes and loses its phone: the lead follows the
	// record but keeps the phone it had.
	if created, err := s.PutUser(ctx, leads.User{ID: "u1", FullName: "Mercy Okafor", Email: "mercy@example.com"}, at(0)); err != nil || created {
		t.Fatalf("PutUser replace: created=%v err=%v", created, err)
	}
	second, created := save(t, s, u.ID, leads.SaveInput{}, at(1))
	if created || second.ID != first.ID {
		t.Fatalf("second save: created=%v id=%q, want an update of %q", created, second.ID, first.ID)
	}
	checkFields(t, second, map[string]any{
		"fullName": "Mercy Okafor", "email": "mercy@example.com", "phone": *u.Phone,
		"createdAt": at(0), "updatedAt": at(1), "lastSavedAt": at(1),
	})

	if _, err := s.PutUser(ctx, leads.User{ID: "u1", FullName: "Mercy Okafor", Email: "mercy@example.com", Phone: ptr("+2348000000002")}, at(0)); err != nil {
		t.Fatal(err)
	}
	third, _ := save(t, s, u.ID, leads.SaveInput{}, at(2))
	checkFields(t, third, map[string]any{"phone": "+2348000000002"})
}

func testSaveMergeRules(t *testing.T, open Opener) {
	full := leads.SaveInput{
		TrainingLocation: ptr("fct"), CenterID: ptr("c1"), CenterIDField: "selectedCenter.id", CenterName: ptr("Abuja Centre"),
		StudentAddress: ptr("12 Main St"), CourseID: ptr("k1"), CourseName: ptr("Welding"), HasGuardian: ptr(true),
		GuardianName: ptr("Jane Doe"), GuardianPhone: ptr("+2348011111111"), GuardianEmail: ptr("jane@example.com"),
		GuardianAddress: ptr("1 Side St"), Step: ptr(2), Source: ptr("web"),
	}
	fullWant := map[string]any{
		"trainingLocation": "fct", "trainingLocationName": "FCT Abuja", "centerId": "c1", "centerName": "Abuja Centre",
		"studentAddress": "12 Main St", "courseId": "k1", "courseName": "Welding", "hasGuardian": true,
		"guardianName": "Jane Doe", "guardianPhone": "+2348011111111", "guardianEmail": "jane@example.com",
		"guardianAddress": "1 Side St", "onboardingStep": 2, "source": "web",
	}
	other := leads.SaveInput{
		TrainingLocation: ptr("lag"), CenterID: ptr("c2"), CenterIDField: "profile.centre", CenterName: ptr("Ikeja Centre"),
		StudentAddress: ptr("9 Other Rd"), CourseID: ptr("k2"), CourseName: ptr("Solar Installation"), HasGuardian: ptr(true),
		GuardianName: ptr("John Roe"), GuardianPhone: ptr("+2348022222222"), GuardianEmail: ptr("john@example.com"),
		GuardianAddress: ptr("2 Far St"), Step: ptr(3), Source: ptr("mobile"),
	}
	with := func(base map[string]any, changes map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range changes {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name  string
		saves []leads.SaveInput
		want  map[string]any
		warn  []string // fields SaveWarnings names after the last save
	}{
		{"first save takes every field", []leads.SaveInput{full}, fullWant, nil},
		{"nil keeps every field", []leads.SaveInput{full, {}}, fullWant, nil},
		{"value overwrites every field", []leads.SaveInput{full, other}, map[string]any{
			"trainingLocation": "lag", "trainingLocationName": "Lagos", "centerId": "c2", "centerName": "Ikeja Centre",
			"studentAddress": "9 Other Rd", "courseId": "k2", "courseName": "Solar Installation", "hasGuardian": true,
			"guardianName": "John Roe", "guardianPhone": "+2348022222222", "guardianEmail": "john@example.com",
			"guardianAddress": "2 Far St", "onboardingStep": 3, "source": "mobile",
		}, nil},
		{"one guardian field overwrites only itself", []leads.SaveInput{full, {GuardianPhone: ptr("+2348099999999")}},
			with(fullWant, map[string]any{"guardianPhone": "+2348099999999"}), nil},
		{"hasGuardian false overwrites true", []leads.SaveInput{full, {HasGuardian: ptr(false)}},
			with(fullWant, map[string]any{"hasGuardian": false}), nil},
		{"hasGuardian true without name or address", []leads.SaveInput{{HasGuardian: ptr(true)}},
			map[string]any{"hasGuardian": true, "guardianName": nil}, []string{"profile.guardianName", "profile.guardianAddress"}},
		{"defaults on create", []leads.SaveInput{{}}, map[string]any{
			"onboardingStep": 1, "hasGuardian": false, "source": leads.DefaultSource, "status": "PENDING",
			"trainingLocation": nil, "centerId": nil, "centerName": nil, "courseId": nil, "courseName": nil,
			"studentAddress": nil, "guardianName": nil, "notes": nil,
		}, nil},
		{"step kept when nil", []leads.SaveInput{{Step: ptr(3)}, {}}, map[string]any{"onboardingStep": 3}, nil},
		{"step overwrites", []leads.SaveInput{{Step: ptr(3)}, {Step: ptr(1)}}, map[string]any{"onboardingStep": 1}, nil},
		{"source kept when nil", []leads.SaveInput{{Source: ptr("web")}, {}}, map[string]any{"source": "web"}, nil},
		{"source overwrites", []leads.SaveInput{{}, {Source: ptr("mobile")}}, map[string]any{"source": "mobile"}, nil},
		{"known names win over payload names", []leads.SaveInput{{
			TrainingLocation: ptr("fct"), CenterID: ptr("c1"), CenterIDField: "selectedCenter.id", CenterName: ptr("Wrong Centre"),
			CourseID: ptr("k1"), CourseName: ptr("Wrong Course"),
		}}, map[string]any{"trainingLocationName": "FCT Abuja", "centerId": "c1", "centerName": "Abuja Centre",
			"courseId": "k1", "courseName": "Welding"}, nil},
		{"unknown selectedCenter.id keeps the payload name", []leads.SaveInput{full,
			{CenterID: ptr("nope"), CenterIDField: "selectedCenter.id", CenterName: ptr("Payload Centre")}},
			with(fullWant, map[string]any{"centerId": nil, "centerName": "Payload Centre"}), []string{"selectedCenter.id"}},
		{"unknown profile.centre without a name", []leads.SaveInput{full, {CenterID: ptr("nope"), CenterIDField: "profile.centre"}},
			with(fullWant, map[string]any{"centerId": nil, "centerName": nil}), []string{"profile.centre"}},
		{"unknown course keeps the payload name", []leads.SaveInput{full, {CourseID: ptr("nope"), CourseName: ptr("Payload Course")}},
			with(fullWant, map[string]any{"courseId": nil, "courseName": "Payload Course"}), []string{"selectedCourse.id"}},
		{"unknown location kept as given without a name", []leads.SaveInput{full, {TrainingLocation: ptr("mars")}},
			with(fullWant, map[string]any{"trainingLocation": "mars", "trainingLocationName": nil}), []string{"profile.trainingLocation"}},
		{"centre name alone overwrites only the name", []leads.SaveInput{full, {CenterName: ptr("Renamed Centre")}},
			with(fullWant, map[string]any{"centerId": "c1", "centerName": "Renamed Centre"}), nil},
		{"course name alone overwrites only the name", []leads.SaveInput{full, {CourseName: ptr("Renamed Course")}},
			with(fullWant, map[string]any{"courseId": "k1", "courseName": "Renamed Course"}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			catalogue(t, s)
			user(t, s, "u1", nil)
			var l leads.Lead
			for i, in := range tt.saves {
				l, _ = save(t, s, "u1", in, at(i))
			}
			checkFields(t, l, tt.want)
			stored, err := s.LeadByUser(t.Context(), "u1")
			if err != nil {
				t.Fatal(err)
			}
			sameLead(t, stored, l)
			var warned []string
			for _, w := range leads.SaveWarnings(tt.saves[len(tt.saves)-1], l) {
				warned = append(warned, w.Field)
			}
			if !slices.Equal(warned, tt.warn) {
				t.Errorf("warnings on %v, want %v", warned, tt.warn)
			}
		})
	}
}

// testSaveMatchesApply holds the engine's save to the domain's merge rule: a
// long random run of saves (known and unknown references, every field given or
// not, status moves between them) must store exactly what SaveInput.Apply says,
// computed here from the catalogue the test wrote.
func testSaveMatchesApply(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	catalogue(t, s)
	u := user(t, s, "u1", ptr("+2348000000001"))
	if _, err := s.PutStudent(ctx, leads.Student{ID: "s1"}, at(0)); err != nil {
		t.Fatal(err)
	}
	known := map[string]leads.References{
		"fct": {Location: &leads.Location{ID: "fct", Name: "FCT Abuja"}},
		"c1":  {Center: &leads.Center{ID: "c1", Name: "Abuja Centre"}},
		"k2":  {Course: &leads.Course{ID: "k2", Name: "Solar Installation"}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(vals ...string) *string {
		if i := rng.IntN(len(vals) + 1); i < len(vals) {
			return &vals[i]
		}
		return nil
	}
	var stored *leads.Lead
	for i := range 60 {
		in := leads.SaveInput{
			TrainingLocation: pick("fct", "mars"), CenterID: pick("c1", "nope"), CenterIDField: "selectedCenter.id",
			CenterName: pick("Payload Centre"), StudentAddress: pick("1 Main St", "2 Side St"),
			CourseID: pick("k2", "nope"), CourseName: pick("Payload Course"), GuardianName: pick("Jane", "John"),
			GuardianPhone: pick("+2348011111111"), GuardianEmail: pick("g@example.com"), GuardianAddress: pick("3 Far St"),
			Source: pick("web", "mobile"), PaymentPlan: pick("full", "instalments"),
		}
		if b := pick("t", "f"); b != nil {
			in.HasGuardian = ptr(*b == "t")
		}
		if st := pick("1", "2", "3"); st != nil {
			in.Step = ptr(int((*st)[0] - '0'))
		}
		var refs leads.References
		for _, id := range []*string{in.TrainingLocation, in.CenterID, in.CourseID} {
			if id == nil {
				continue
			}
			r := known[*id]
			refs.Location, refs.Center, refs.Course = cmp.Or(r.Location, refs.Location), cmp.Or(r.Center, refs.Center), cmp.Or(r.Course, refs.Course)
		}
		want := in.Apply(stored, leads.User{ID: u.ID, FullName: u.FullName, Email: u.Email, Phone: u.Phone}, refs, at(2*i))
		got, created := save(t, s, "u1", in, at(2*i))
		if created != (stored == nil) {
			t.Fatalf("save %d: created = %v", i, created)
		}
		want.ID = got.ID
		sameLead(t, got, want)
		if t.Failed() {
			t.Fatalf("save %d of %+v differs from SaveInput.Apply", i, in)
		}
		stored = &got
		// Now and then staff move the lead, so saves meet every status.
		var moved leads.Lead
		var err error
		switch rng.IntN(6) {
		case 0:
			moved, err = leads.UpdateStatus(ctx, s, got.ID, leads.StatusChange{Status: leads.StatusLost}, "staff-1", at(2*i+1))
		case 1:
			moved, err = leads.UpdateStatus(ctx, s, got.ID, leads.StatusChange{Status: leads.StatusContacted, ContactedBy: "staff-1"}, "staff-1", at(2*i+1))
		case 2:
			if i > 40 {
				moved, err = leads.Convert(ctx, s, got.ID, "s1", "staff-1", at(2*i+1))
			}
		default:
			continue
		}
		if err != nil && !errors.Is(err, leads.ErrLeadConverted) {
			t.Fatalf("status move after save %d: %v", i, err)
		}
		if err == nil && moved.ID != "" {
			stored = &moved
		}
	}
}

func testSaveStatusAfterResave(t *testing.T, open Opener) {
	tests := []struct {
		from leads.Status
		want leads.Status
	}{
		{leads.StatusPending, leads.StatusPending},
		{leads.StatusContacted, leads.StatusContacted},
		{leads.StatusLost, leads.StatusPending},
		{leads.StatusConverted, leads.StatusConverted},
	}
	for _, tt := range tests {
		t.Run(string(tt.from), func(t *testing.T) {
			t.Parallel()
			s := open(t)
			ctx := t.Context()
			user(t, s, "u1", nil)
			l, _ := save(t, s, "u1", leads.SaveInput{}, at(0))
			var err error
			if tt.from == leads.StatusConverted {
				if _, err = s.PutStudent(ctx, leads.Student{ID: "s1"}, at(0)); err == nil {
					l, err = leads.Convert(ctx, s, l.ID, "s1", "staff-1", at(1))
				}
			} else {
				l, err = leads.UpdateStatus(ctx, s, l.ID, leads.StatusChange{Status: tt.from, ContactedBy: "staff-1"}, "staff-1", at(1))
			}
			if err != nil || l.Status != tt.from {
				t.Fatalf("moving to %s: status %s, err %v", tt.from, l.Status, err)
			}
			again, created := save(t, s, "u1", leads.SaveInput{Step: ptr(2)}, at(2))
			if created {
				t.Fatal("re-save created a lead")
			}
			if again.Status != tt.want || again.Status != leads.StatusAfterSave(tt.from) {
				t.Errorf("status after re-save = %s, want %s (leads.StatusAfterSave)", again.Status, tt.want)
			}
			checkFields(t, again, map[string]any{"lastSavedAt": at(2), "updatedAt": at(2), "createdAt": at(0),
				"contactedAt": l.ContactedAt, "contactedBy": l.ContactedBy, "convertedAt": l.ConvertedAt,
				"convertedToStudentId": l.ConvertedToStudentID})
		})
	}
}

func testSaveUnknownUser(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	_, created, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: "ghost"}, leads.SaveInput{Step: ptr(2)}, at(0))
	wantErr(t, "save for a user with no record", err, leads.ErrUserNotFound)
	if created {
		t.Error("created = true on error")
	}
	user(t, s, "ghost", nil)
	_, err = s.LeadByUser(ctx, "ghost")
	wantErr(t, "LeadByUser after the failed save", err, leads.ErrLeadNotFound)
	page, err := s.ListLeads(ctx, leads.ListFilter{Page: 1, Limit: 10})
	if err != nil || page.Total != 0 || len(page.Leads) != 0 {
		t.Errorf("ListLeads after the failed save: %+v, %v; want nothing", page, err)
	}
}

func testSaveConcurrentOneUser(t *testing.T, open Opener) {
	s := open(t)
	user(t, s, "u1", nil)
	const n = 24
	type result struct {
		lead    leads.Lead
		created bool
		err     error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			l, created, err := leads.SaveFromOnboarding(t.Context(), s, leads.Claims{UserID: "u1"}, leads.SaveInput{Step: ptr(1 + i%3)}, at(i))
			results[i] = result{l, created, err}
		})
	}
	close(start)
	wg.Wait()
	creates := 0
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("save %d: %v", i, r.err)
		}
		if r.created {
			creates++
		}
		if r.lead.ID != results[0].lead.ID {
			t.Errorf("save %d returned lead %s, save 0 lead %s", i, r.lead.ID, results[0].lead.ID)
		}
	}
	if creates != 1 {
		t.Errorf("%d saves reported created, want exactly 1", creates)
	}
	page, err := s.ListLeads(t.Context(), leads.ListFilter{Page: 1, Limit: 100})
	if err != nil || page.Total != 1 || len(page.Leads) != 1 {
		t.Errorf("after %d concurrent saves: total %d, %d leads, err %v; want one lead", n, page.Total, len(page.Leads), err)
	}
}

func testSaveConcurrentManyUsers(t *testing.T, open Opener) {
	s := open(t)
	const users, savesEach = 8, 4
	for u := range users {
		user(t, s, fmt.Sprintf("u%d", u), nil)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	creates := map[string]int{}
	ids := map[string]map[string]bool{}
	for i := range users * savesEach {
		uid := fmt.Sprintf("u%d", i%users)
		wg.Go(func() {
			l, created, err := leads.SaveFromOnboarding(t.Context(), s, leads.Claims{UserID: uid}, leads.SaveInput{Step: ptr(1 + i%3)}, at(i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("save %d for %s: %v", i, uid, err)
				return
			}
			if created {
				creates[uid]++
			}
			if ids[uid] == nil {
				ids[uid] = map[string]bool{}
			}
			ids[uid][l.ID] = true
		})
	}
	wg.Wait()
	for u := range users {
		uid := fmt.Sprintf("u%d", u)
		if creates[uid] != 1 || len(ids[uid]) != 1 {
			t.Errorf("%s: %d creates and %d lead ids, want 1 and 1", uid, creates[uid], len(ids[uid]))
		}
	}
	page, err := s.ListLeads(t.Context(), leads.ListFilter{Page: 1, Limit: 100})
	if err != nil || page.Total != users || len(page.Leads) != users {
		t.Errorf("total %d, %d leads, err %v; want %d", page.Total, len(page.Leads), err, users)
	}
}

func testLeadLookup(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	user(t, s, "u1", nil)
	user(t, s, "u2", nil)
	l, _ := save(t, s, "u1", leads.SaveInput{StudentAddress: ptr("12 Main St")}, at(0))

	got, err := s.Lead(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameLead(t, got, l)
	got, err = s.LeadByUser(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	sameLead(t, got, l)

	_, err = s.Lead(ctx, "no-such-lead")
	wantErr(t, "Lead(unknown id)", err, leads.ErrLeadNotFound)
	_, err = s.LeadByUser(ctx, "u2")
	wantErr(t, "LeadByUser(user without a lead)", err, leads.ErrLeadNotFound)
	_, err = s.LeadByUser(ctx, "nobody")
	wantErr(t, "LeadByUser(unknown user)", err, leads.ErrLeadNotFound)
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func testListPages(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	const n = 8
	var want []string // newest first
	for i := range n {
		uid := fmt.Sprintf("u%d", i)
		user(t, s, uid, nil)
		// Two leads share each createdAt, so the id breaks the tie.
		l, _ := save(t, s, uid, leads.SaveInput{}, at(i/2))
		want = append(want, l.ID)
	}
	slices.SortFunc(want, func(a, b string) int { return strings.Compare(b, a) })
	leadsByID := map[string]leads.Lead{}
	for _, id := range want {
		l, err := s.Lead(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		leadsByID[id] = l
	}
	slices.SortStableFunc(want, func(a, b string) int { return leadsByID[b].CreatedAt.Compare(leadsByID[a].CreatedAt) })

	var got []string
	for page := 1; page <= 4; page++ {
		p, err := s.ListLeads(ctx, leads.ListFilter{Page: page, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != n || p.Page == nil || *p.Page != page || p.Limit != 3 {
			t.Errorf("page %d: total %d page %v limit %d, want %d %d 3", page, p.Total, p.Page, p.Limit, n, page)
		}
		if p.Leads == nil {
			t.Errorf("page %d: leads is nil, want an empty list", page)
		}
		wantLen := min(3, max(0, n-(page-1)*3))
		if len(p.Leads) != wantLen {
			t.Errorf("page %d: %d leads, want %d", page, len(p.Leads), wantLen)
		}
		for _, l := range p.Leads {
			got = append(got, l.ID)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages in order %v, want %v (newest first, ties by id descending)", got, want)
	}
}

// checkList lists with every combination of filters and compares the ids and
// totals with what the leads themselves (read by id) say.
func checkList(t *testing.T, s leads.Store, ids []string) {
	t.Helper()
	ctx := t.Context()
	var all []leads.Lead
	for _, id := range ids {
		l, err := s.Lead(ctx, id)
		if errors.Is(err, leads.ErrLeadNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, l)
	}
	slices.SortFunc(all, func(a, b leads.Lead) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	for _, status := range []leads.Status{"", leads.StatusPending, leads.StatusContacted, leads.StatusConverted, leads.StatusLost} {
		for _, center := range []string{"", "c1", "c2"} {
			var want []string
			for _, l := range all {
				if (status == "" || l.Status == status) && (center == "" || (l.CenterID != nil && *l.CenterID == center)) {
					want = append(want, l.ID)
				}
			}
			p, err := s.ListLeads(ctx, leads.ListFilter{Status: status, CenterID: center, Page: 1, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range p.Leads {
				got = append(got, l.ID)
			}
			if p.Total != len(want) || !slices.Equal(got, want) {
				t.Errorf("status=%q centerId=%q: total %d, ids %v; want %d, %v", status, center, p.Total, got, len(want), want)
			}
		}
	}
}

func testListTotalsStayExact(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	catalogue(t, s)
	if _, err := s.PutStudent(ctx, leads.Student{ID: "s1"}, at(0)); err != nil {
		t.Fatal(err)
	}
	centres := []*string{ptr("c1"), ptr("c1"), ptr("c2"), nil, ptr("c1"), ptr("nope")}
	ids := map[string]string{}
	var all []string
	for i, c := range centres {
		uid := fmt.Sprintf("u%d", i)
		user(t, s, uid, nil)
		l, _ := save(t, s, uid, leads.SaveInput{CenterID: c, CenterIDField: "selectedCenter.id"}, at(i))
		ids[uid] = l.ID
		all = append(all, l.ID)
	}
	checkList(t, s, all)

	t.Log("status changes")
	for uid, st := range map[string]leads.Status{"u1": leads.StatusContacted, "u2": leads.StatusLost, "u3": leads.StatusLost} {
		if _, err := leads.UpdateStatus(ctx, s, ids[uid], leads.StatusChange{Status: st, ContactedBy: "staff"}, "staff-1", at(10)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := leads.Convert(ctx, s, ids["u4"], "s1", "staff-1", at(11)); err != nil {
		t.Fatal(err)
	}
	checkList(t, s, all)

	t.Log("centre changes and a LOST lead saved again")
	save(t, s, "u0", leads.SaveInput{CenterID: ptr("c2"), CenterIDField: "selectedCenter.id"}, at(12))
	save(t, s, "u1", leads.SaveInput{CenterID: ptr("gone"), CenterIDField: "selectedCenter.id"}, at(12))
	save(t, s, "u3", leads.SaveInput{CenterID: ptr("c1"), CenterIDField: "profile.centre"}, at(12))
	save(t, s, "u2", leads.SaveInput{}, at(12))
	checkList(t, s, all)

	t.Log("deletes and a new lead")
	for _, uid := range []string{"u4", "u5"} {
		if err := leads.DeleteLead(ctx, s, ids[uid], at(99)); err != nil {
			t.Fatal(err)
		}
	}
	checkList(t, s, all)
	l, created := save(t, s, "u4", leads.SaveInput{CenterID: ptr("c1"), CenterIDField: "selectedCenter.id"}, at(13))
	if !created {
		t.Error("save after delete did not create")
	}
	checkList(t, s, append(all, l.ID))
}

func testUpdateStatus(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	user(t, s, "u1", nil)
	l, _ := save(t, s, "u1", leads.SaveInput{}, at(0))

	contacted, err := leads.UpdateStatus(ctx, s, l.ID, leads.StatusChange{Status: leads.StatusContacted, ContactedBy: "staff-1"}, "staff-1", at(1))
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, contacted, map[string]any{"status": "CONTACTED", "contactedAt": at(1), "contactedBy": "staff-1",
		"updatedAt": at(1), "createdAt": at(0), "lastSavedAt": at(0)})

	steps := []struct {
		status leads.Status
		by     string
	}{{leads.StatusLost, "staff-2"}, {leads.StatusPending, "staff-3"}, {leads.StatusContacted, "staff-4"}}
	prev := contacted
	for i, st := range steps {
		ch := leads.StatusChange{Status: st.status, ContactedBy: st.by}
		got, err := leads.UpdateStatus(ctx, s, l.ID, ch, "staff-1", at(2+i))
		if err != nil {
			t.Fatal(err)
		}
		checkFields(t, got, map[string]any{"status": st.status, "contactedAt": at(1), "contactedBy": "staff-1", "updatedAt": at(2 + i)})
		// The engine applies the domain's rule, whatever SQL it uses for it.
		want, err := ch.Apply(prev, at(2+i))
		if err != nil {
			t.Fatal(err)
		}
		sameLead(t, got, want)
		prev = got
		stored, err := s.Lead(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameLead(t, stored, got)
	}

	if _, err := s.PutStudent(ctx, leads.Student{ID: "s1"}, at(0)); err != nil {
		t.Fatal(err)
	}
	converted, err := leads.Convert(ctx, s, l.ID, "s1", "staff-1", at(9))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []leads.Status{leads.StatusPending, leads.StatusContacted, leads.StatusLost} {
		_, err = leads.UpdateStatus(ctx, s, l.ID, leads.StatusChange{Status: st, ContactedBy: "staff-5"}, "staff-1", at(10))
		wantErr(t, "UpdateStatus of a converted lead to "+string(st), err, leads.ErrLeadConverted)
	}
	stored, err := s.Lead(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameLead(t, stored, converted)

	_, err = leads.UpdateStatus(ctx, s, "no-such-lead", leads.StatusChange{Status: leads.StatusLost}, "staff-1", at(11))
	wantErr(t, "UpdateStatus of an unknown lead", err, leads.ErrLeadNotFound)
}

func testConvert(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	user(t, s, "u1", nil)
	user(t, s, "u2", nil)
	for _, id := range []string{"s1", "s2"} {
		if _, err := s.PutStudent(ctx, leads.Student{ID: id}, at(0)); err != nil {
			t.Fatal(err)
		}
	}
	l, _ := save(t, s, "u1", leads.SaveInput{}, at(0))
	other, _ := save(t, s, "u2", leads.SaveInput{}, at(0))

	converted, err := leads.Convert(ctx, s, l.ID, "s1", "staff-1", at(1))
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, converted, map[string]any{"status": "CONVERTED", "convertedAt": at(1), "convertedToStudentId": "s1", "updatedAt": at(1)})

	again, err := leads.Convert(ctx, s, l.ID, "s1", "staff-1", at(2))
	if err != nil {
		t.Fatalf("converting again to the same student: %v", err)
	}
	sameLead(t, again, converted)

	_, err = leads.Convert(ctx, s, l.ID, "s2", "staff-1", at(3))
	wantErr(t, "Convert to another student", err, leads.ErrConvertedToOther)

	_, err = leads.Convert(ctx, s, other.ID, "no-such-student", "staff-1", at(4))
	wantErr(t, "Convert to a missing student", err, leads.ErrStudentNotFound)
	_, err = leads.Convert(ctx, s, "no-such-lead", "s1", "staff-1", at(5))
	wantErr(t, "Convert of a missing lead", err, leads.ErrLeadNotFound)

	for id, want := range map[string]leads.Lead{l.ID: converted, other.ID: other} {
		stored, err := s.Lead(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		sameLead(t, stored, want)
	}
}

func testCompleteOnboarding(t *testing.T, open Opener) {
	t.Run("creates a student and converts", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx := t.Context()
		user(t, s, "u1", nil)
		save(t, s, "u1", leads.SaveInput{}, at(0))
		l, err := leads.CompleteOnboarding(ctx, s, "u1", at(1))
		if err != nil {
			t.Fatal(err)
		}
		if l.ConvertedToStudentID == nil || *l.ConvertedToStudentID == "" {
			t.Fatalf("no student: %+v", l)
		}
		checkFields(t, l, map[string]any{"status": "CONVERTED", "convertedAt": at(1)})
		// The new student is the user's: a second one for the same user conflicts.
		_, err = s.PutStudent(ctx, leads.Student{ID: "another", UserID: ptr("u1")}, at(0))
		if leads.ErrorCode(err) != leads.CodeConflict {
			t.Errorf("second student for u1: got %v, want a conflict", err)
		}
		again, err := leads.CompleteOnboarding(ctx, s, "u1", at(2))
		if err != nil {
			t.Fatal(err)
		}
		sameLead(t, again, l)
	})
	t.Run("uses the user's existing student", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		user(t, s, "u1", nil)
		if _, err := s.PutStudent(t.Context(), leads.Student{ID: "s-existing", UserID: ptr("u1")}, at(0)); err != nil {
			t.Fatal(err)
		}
		save(t, s, "u1", leads.SaveInput{}, at(0))
		l, err := leads.CompleteOnboarding(t.Context(), s, "u1", at(1))
		if err != nil {
			t.Fatal(err)
		}
		checkFields(t, l, map[string]any{"status": "CONVERTED", "convertedToStudentId": "s-existing", "convertedAt": at(1)})
	})
	t.Run("concurrent calls end with one student", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		user(t, s, "u1", nil)
		save(t, s, "u1", leads.SaveInput{}, at(0))
		const n = 10
		results := make([]leads.Lead, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { results[i], errs[i] = leads.CompleteOnboarding(t.Context(), s, "u1", at(1+i)) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("call %d: %v", i, errs[i])
			}
			sameLead(t, results[i], results[0])
		}
		stored, err := s.LeadByUser(t.Context(), "u1")
		if err != nil {
			t.Fatal(err)
		}
		sameLead(t, stored, results[0])
	})
	t.Run("no lead", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		user(t, s, "u1", nil)
		_, err := leads.CompleteOnboarding(t.Context(), s, "u1", at(1))
		wantErr(t, "CompleteOnboarding without a lead", err, leads.ErrLeadNotFound)
		_, err = leads.CompleteOnboarding(t.Context(), s, "nobody", at(1))
		wantErr(t, "CompleteOnboarding of an unknown user", err, leads.ErrLeadNotFound)
	})
}

func testDeleteLead(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	catalogue(t, s)
	user(t, s, "u1", nil)
	old, _ := save(t, s, "u1", leads.SaveInput{TrainingLocation: ptr("fct"), CenterID: ptr("c1"), CenterIDField: "selectedCenter.id",
		StudentAddress: ptr("12 Main St"), CourseID: ptr("k1"), HasGuardian: ptr(true), GuardianName: ptr("Jane"),
		GuardianPhone: ptr("+2348011111111"), GuardianEmail: ptr("jane@example.com"), GuardianAddress: ptr("1 Side St"),
		Step: ptr(3), Source: ptr("web")}, at(0))
	if _, err := leads.UpdateStatus(ctx, s, old.ID, leads.StatusChange{Status: leads.StatusContacted, ContactedBy: "staff-1"}, "staff-1", at(1)); err != nil {
		t.Fatal(err)
	}

	if err := leads.DeleteLead(ctx, s, old.ID, at(99)); err != nil {
		t.Fatal(err)
	}
	_, err := s.Lead(ctx, old.ID)
	wantErr(t, "Lead after delete", err, leads.ErrLeadNotFound)
	_, err = s.LeadByUser(ctx, "u1")
	wantErr(t, "LeadByUser after delete", err, leads.ErrLeadNotFound)
	wantErr(t, "deleting twice", leads.DeleteLead(ctx, s, old.ID, at(99)), leads.ErrLeadNotFound)
	wantErr(t, "deleting an unknown lead", leads.DeleteLead(ctx, s, "no-such-lead", at(99)), leads.ErrLeadNotFound)
	if p, err := s.ListLeads(ctx, leads.ListFilter{Page: 1, Limit: 10}); err != nil || p.Total != 0 || len(p.Leads) != 0 {
		t.Errorf("list after delete: total %d, %d leads, err %v", p.Total, len(p.Leads), err)
	}

	fresh, created := save(t, s, "u1", leads.SaveInput{}, at(2))
	if !created || fresh.ID == old.ID {
		t.Fatalf("save after delete: created=%v id=%s (old %s), want a new lead", created, fresh.ID, old.ID)
	}
	checkFields(t, fresh, map[string]any{
		"trainingLocation": nil, "trainingLocationName": nil, "centerId": nil, "centerName": nil, "studentAddress": nil,
		"courseId": nil, "courseName": nil, "hasGuardian": false, "guardianName": nil, "guardianPhone": nil,
		"guardianEmail": nil, "guardianAddress": nil, "onboardingStep": 1, "status": "PENDING",
		"source": leads.DefaultSource, "notes": nil, "contactedAt": nil, "contactedBy": nil, "convertedAt": nil,
		"convertedToStudentId": nil, "createdAt": at(2), "lastSavedAt": at(2),
	})
}

func testPutReference(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	tests := []struct {
		name string
		put  func(i int) (bool, error) // i = 0 creates, 1 replaces
	}{
		{"user", func(i int) (bool, error) {
			return s.PutUser(ctx, leads.User{ID: "u1", FullName: fmt.Sprintf("User %d", i), Email: "u1@example.com"}, at(0))
		}},
		{"location", func(i int) (bool, error) {
			return s.PutLocation(ctx, leads.Location{ID: "fct", Name: fmt.Sprintf("Location %d", i)})
		}},
		{"center", func(i int) (bool, error) {
			return s.PutCenter(ctx, leads.Center{ID: "c1", Name: fmt.Sprintf("Centre %d", i), LocationID: ptr("fct")})
		}},
		{"course", func(i int) (bool, error) {
			return s.PutCourse(ctx, leads.Course{ID: "k1", Name: fmt.Sprintf("Course %d", i), CenterID: ptr("c1")})
		}},
		{"student", func(i int) (bool, error) {
			if i == 0 {
				return s.PutStudent(ctx, leads.Student{ID: "s1"}, at(0))
			}
			return s.PutStudent(ctx, leads.Student{ID: "s1", UserID: ptr("u1")}, at(0))
		}},
	}
	for _, tt := range tests {
		for i, want := range []bool{true, false} {
			if created, err := tt.put(i); err != nil || created != want {
				t.Errorf("put %s #%d: created=%v err=%v, want created=%v", tt.name, i+1, created, err, want)
			}
		}
	}

	// The replacements are what is read back, and a lead pointing at the
	// replaced rows keeps pointing at them.
	l, _ := save(t, s, "u1", leads.SaveInput{TrainingLocation: ptr("fct"), CenterID: ptr("c1"), CenterIDField: "selectedCenter.id", CourseID: ptr("k1")}, at(0))
	checkFields(t, l, map[string]any{"fullName": "User 1", "trainingLocationName": "Location 1",
		"centerId": "c1", "centerName": "Centre 1", "courseId": "k1", "courseName": "Course 1"})
	if _, err := s.PutCenter(ctx, leads.Center{ID: "c1", Name: "Centre 2"}); err != nil {
		t.Fatal(err)
	}
	stored, err := s.Lead(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameLead(t, stored, l)
	centres, err := s.Centers(ctx, "")
	if err != nil || len(centres) != 1 || centres[0].Name != "Centre 2" || centres[0].LocationID != nil {
		t.Errorf("centres after replace: %+v, %v", centres, err)
	}
}

func testPutReferenceInvalid(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	catalogue(t, s)
	user(t, s, "u1", nil)
	tests := []struct {
		name  string
		put   func() (bool, error)
		code  leads.Code
		field string
	}{
		{"centre in an unknown location", func() (bool, error) {
			return s.PutCenter(ctx, leads.Center{ID: "c9", Name: "X", LocationID: ptr("nope")})
		}, leads.CodeInvalid, "locationId"},
		{"known centre moved to an unknown location", func() (bool, error) {
			return s.PutCenter(ctx, leads.Center{ID: "c1", Name: "X", LocationID: ptr("nope")})
		}, leads.CodeInvalid, "locationId"},
		{"course at an unknown centre", func() (bool, error) {
			return s.PutCourse(ctx, leads.Course{ID: "k9", Name: "X", CenterID: ptr("nope")})
		}, leads.CodeInvalid, "centerId"},
		{"student of an unknown user", func() (bool, error) {
			return s.PutStudent(ctx, leads.Student{ID: "s9", UserID: ptr("nope")}, at(0))
		}, leads.CodeInvalid, "userId"},
		{"first student of u1", func() (bool, error) {
			return s.PutStudent(ctx, leads.Student{ID: "s1", UserID: ptr("u1")}, at(0))
		}, "", ""},
		{"second student of u1", func() (bool, error) {
			return s.PutStudent(ctx, leads.Student{ID: "s2", UserID: ptr("u1")}, at(0))
		}, leads.CodeConflict, ""},
		{"the first student again", func() (bool, error) {
			return s.PutStudent(ctx, leads.Student{ID: "s1", UserID: ptr("u1")}, at(0))
		}, "", ""},
	}
	for _, tt := range tests {
		_, err := tt.put()
		if tt.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		var e *leads.Error
		if !errors.As(err, &e) || e.Code != tt.code {
			t.Errorf("%s: got %v, want a *leads.Error with code %s", tt.name, err, tt.code)
			continue
		}
		if tt.field != "" && (len(e.Fields) != 1 || e.Fields[0].Field != tt.field) {
			t.Errorf("%s: fields %v, want %s", tt.name, e.Fields, tt.field)
		}
	}
	// Nothing of the refused writes was kept.
	if created, err := s.PutStudent(ctx, leads.Student{ID: "s2"}, at(0)); err != nil || !created {
		t.Errorf("s2 after its refused put: created=%v err=%v, want a create", created, err)
	}
	centres, err := s.Centers(ctx, "fct")
	if err != nil || len(centres) != 1 || centres[0].ID != "c1" || centres[0].Name != "Abuja Centre" {
		t.Errorf("centres of fct after refused puts: %+v, %v", centres, err)
	}
}

func testListReference(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	catalogue(t, s)
	for _, put := range []func() (bool, error){
		func() (bool, error) { return s.PutLocation(ctx, leads.Location{ID: "ab", Name: "Abia"}) },
		func() (bool, error) {
			return s.PutCenter(ctx, leads.Center{ID: "c3", Name: "Asokoro Centre", LocationID: ptr("fct")})
		},
		func() (bool, error) { return s.PutCenter(ctx, leads.Center{ID: "c4", Name: "Online"}) },
		func() (bool, error) {
			return s.PutCourse(ctx, leads.Course{ID: "k3", Name: "Carpentry", CenterID: ptr("c1"),
				Description: ptr("Joinery, furniture and site carpentry; 60% workshop."), Duration: ptr("12 weeks, evenings"), Fee: ptr("₦150,000")})
		},
		func() (bool, error) { return s.PutCourse(ctx, leads.Course{ID: "k4", Name: "Anywhere"}) },
	} {
		if _, err := put(); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(n int, id func(int) string) []string {
		out := []string{}
		for i := range n {
			out = append(out, id(i))
		}
		return out
	}
	locs, err := s.Locations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	centres := func(loc string) []string {
		cs, err := s.Centers(ctx, loc)
		if err != nil || cs == nil {
			t.Fatalf("Centers(%q): %v, %v", loc, cs, err)
		}
		return ids(len(cs), func(i int) string { return cs[i].ID })
	}
	courses := func(centre string) []string {
		cs, err := s.Courses(ctx, centre)
		if err != nil || cs == nil {
			t.Fatalf("Courses(%q): %v, %v", centre, cs, err)
		}
		return ids(len(cs), func(i int) string { return cs[i].ID })
	}
	tests := []struct {
		name      string
		got, want []string
	}{
		{"locations by name", ids(len(locs), func(i int) string { return locs[i].Name }), []string{"Abia", "FCT Abuja", "Lagos"}},
		{"all centres by name", centres(""), []string{"c1", "c3", "c2", "c4"}},
		{"centres of fct", centres("fct"), []string{"c1", "c3"}},
		{"centres of an unknown location", centres("nope"), []string{}},
		{"all courses by name", courses(""), []string{"k4", "k3", "k2", "k1"}},
		{"courses of c1", courses("c1"), []string{"k3", "k1"}},
		{"courses of a centre with none", courses("c4"), []string{}},
	}
	for _, tt := range tests {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	// A course's details read back; a course without them has none.
	ks, err := s.Courses(ctx, "c1")
	if err != nil || len(ks) != 2 {
		t.Fatalf("courses of c1: %+v, %v", ks, err)
	}
	if k := ks[0]; k.ID != "k3" || deref(k.Description) != "Joinery, furniture and site carpentry; 60% workshop." ||
		deref(k.Duration) != "12 weeks, evenings" || deref(k.Fee) != "₦150,000" {
		t.Errorf("course details not read back: %+v", k)
	}
	if k := ks[1]; k.Description != nil || k.Duration != nil || k.Fee != nil {
		t.Errorf("a course without details has some: %+v", k)
	}
	if _, err := s.PutCourse(ctx, leads.Course{ID: "k3", Name: "Carpentry", CenterID: ptr("c1")}); err != nil {
		t.Fatal(err)
	}
	if ks, err := s.Courses(ctx, "c1"); err != nil || ks[0].Description != nil || ks[0].Fee != nil {
		t.Errorf("a replacement without details keeps old ones: %+v, %v", ks, err)
	}
	cs, err := s.Centers(ctx, "fct")
	if err != nil || len(cs) == 0 || cs[0].LocationID == nil || *cs[0].LocationID != "fct" {
		t.Errorf("centre location id not read back: %+v, %v", cs, err)
	}
}

func testProvisionUser(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	steps := []struct {
		name               string
		claimName, email   *string
		phone              *string
		wantErr            error
		wantName, wantMail string
		wantPhone          *string
	}{
		{"a name alone creates nothing", ptr("Ada"), nil, ptr("+234801"), leads.ErrUserNotFound, "", "", nil},
		{"an e-mail alone creates nothing", nil, ptr("ada@example.com"), nil, leads.ErrUserNotFound, "", "", nil},
		{"name and e-mail create", ptr("Ada"), ptr("ada@example.com"), nil, nil, "Ada", "ada@example.com", nil},
		{"the same claims change nothing", ptr("Ada"), ptr("ada@example.com"), nil, nil, "Ada", "ada@example.com", nil},
		{"a phone alone is added", nil, nil, ptr("+234802"), nil, "Ada", "ada@example.com", ptr("+234802")},
		{"a new name alone overwrites the name", ptr("Ada Obi"), nil, nil, nil, "Ada Obi", "ada@example.com", ptr("+234802")},
		{"a new e-mail alone overwrites the e-mail", nil, ptr("ada.obi@example.com"), nil, nil, "Ada Obi", "ada.obi@example.com", ptr("+234802")},
		{"all claims overwrite", ptr("Ada O."), ptr("ada.o@example.com"), ptr("+234803"), nil, "Ada O.", "ada.o@example.com", ptr("+234803")},
	}
	// Each mode provisions its own user: on its own (any request with claims),
	// or folded into the save's transaction.
	for _, folded := range []bool{false, true} {
		uid := fmt.Sprintf("u-folded-%v", folded)
		for i, st := range steps {
			c := leads.Claims{UserID: uid, Name: st.claimName, Email: st.email, Phone: st.phone}
			saveClaims := leads.Claims{UserID: uid}
			if folded {
				saveClaims = c
			} else if err := s.ProvisionUser(ctx, c, at(i)); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			l, _, err := leads.SaveFromOnboarding(ctx, s, saveClaims, leads.SaveInput{}, at(i))
			if st.wantErr != nil {
				wantErr(t, st.name, err, st.wantErr)
				continue
			}
			if err != nil {
				t.Fatalf("%s (folded %v): save: %v", st.name, folded, err)
			}
			checkFields(t, l, map[string]any{"fullName": st.wantName, "email": st.wantMail, "phone": st.wantPhone})
			// A lead keeps a phone the record loses, so each step reads a fresh lead.
			if err := leads.DeleteLead(ctx, s, l.ID, at(99)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.ProvisionUser(ctx, leads.Claims{UserID: "u2"}, at(0)); err != nil {
		t.Errorf("no claims at all: %v", err)
	}
}

// testReadsProvision: Lead, LeadByUser and ListLeads do the provisioning
// their context carries (leads.WithProvision) before they read, found or
// not, and take it so that it is done once.
func testReadsProvision(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	user(t, s, "u1", nil)
	l, _ := save(t, s, "u1", leads.SaveInput{}, at(0))
	reads := []struct {
		name string
		read func(ctx context.Context) error
	}{
		{"Lead", func(ctx context.Context) error { _, err := s.Lead(ctx, l.ID); return err }},
		{"Lead not found", func(ctx context.Context) error {
			_, err := s.Lead(ctx, "00000000-0000-7000-8000-000000000000")
			return ignore(err, leads.ErrLeadNotFound)
		}},
		{"LeadByUser", func(ctx context.Context) error { _, err := s.LeadByUser(ctx, "u1"); return err }},
		{"LeadByUser not found", func(ctx context.Context) error {
			_, err := s.LeadByUser(ctx, "nobody")
			return ignore(err, leads.ErrLeadNotFound)
		}},
		{"ListLeads", func(ctx context.Context) error {
			_, err := s.ListLeads(ctx, leads.ListFilter{Page: 1, Limit: 10})
			return err
		}},
		{"ListLeads empty page", func(ctx context.Context) error {
			_, err := s.ListLeads(ctx, leads.ListFilter{Page: 99, Limit: 10})
			return err
		}},
	}
	for i, r := range reads {
		uid := fmt.Sprintf("reader-%d", i)
		name, email := "Reader "+r.name, uid+"@example.com"
		ctx := leads.WithProvision(ctx, leads.Claims{UserID: uid, Name: &name, Email: &email}, at(i))
		if err := r.read(ctx); err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		if _, _, ok := leads.TakeProvision(ctx); ok {
			t.Errorf("%s left the provisioning to be done", r.name)
		}
		got, _, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: uid}, leads.SaveInput{}, at(i))
		if err != nil || got.FullName != name || got.Email != email {
			t.Errorf("%s: the user's record after the read gives %q %q, %v; want %q %q", r.name, got.FullName, got.Email, err, name, email)
		}
	}
}

// ignore returns err unless it is target.
func ignore(err, target error) error {
	if errors.Is(err, target) {
		return nil
	}
	return err
}

func testTimesAndJSON(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	user(t, s, "u1", nil)
	times := []time.Time{
		time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC),
		time.Date(2026, 3, 4, 5, 6, 7, 1000, time.UTC),           // one microsecond
		time.Date(2026, 12, 31, 23, 59, 59, 999999000, time.UTC), // last microsecond of a year
	}
	var id string
	for i, now := range times {
		l, _ := save(t, s, "u1", leads.SaveInput{}, now)
		id = l.ID
		if i == 0 && (!l.CreatedAt.Equal(now) || l.CreatedAt.Location() != time.UTC) {
			t.Errorf("createdAt = %v, want %v in UTC", l.CreatedAt, now)
		}
		stored, err := s.Lead(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !stored.LastSavedAt.Equal(now) || !stored.UpdatedAt.Equal(now) || stored.LastSavedAt.Location() != time.UTC {
			t.Errorf("lastSavedAt %v, updatedAt %v; want %v in UTC", stored.LastSavedAt, stored.UpdatedAt, now)
		}
		sameLead(t, stored, l)
	}
	contacted, err := leads.UpdateStatus(ctx, s, id, leads.StatusChange{Status: leads.StatusContacted, ContactedBy: "staff-1"}, "staff-1", times[1])
	if err != nil {
		t.Fatal(err)
	}
	if contacted.ContactedAt == nil || !contacted.ContactedAt.Equal(times[1]) || contacted.ContactedAt.Location() != time.UTC {
		t.Errorf("contactedAt = %v, want %v in UTC", contacted.ContactedAt, times[1])
	}

	// A fresh lead's JSON has every column, unset ones as null.
	user(t, s, "u2", nil)
	fresh, _ := save(t, s, "u2", leads.SaveInput{}, times[0])
	m := fields(t, fresh)
	columns := []string{"id", "userId", "fullName", "email", "phone", "trainingLocation",
		"trainingLocationName", "centerId", "centerName", "studentAddress", "courseId", "courseName",
		"hasGuardian", "guardianName", "guardianPhone", "guardianEmail", "guardianAddress",
		"onboardingStep", "lastSavedAt", "status", "source", "notes", "contactedAt", "contactedBy",
		"convertedAt", "convertedToStudentId", "createdAt", "updatedAt"}
	for _, c := range columns {
		if _, ok := m[c]; !ok {
			t.Errorf("JSON key %q missing", c)
		}
	}
	for _, c := range []string{"phone", "trainingLocation", "centerId", "notes", "contactedAt", "convertedAt", "convertedToStudentId"} {
		if string(m[c]) != "null" {
			t.Errorf("%s = %s, want null", c, m[c])
		}
	}
	if string(m["createdAt"]) != `"2026-03-04T05:06:07.123456Z"` {
		t.Errorf("createdAt = %s, want RFC 3339 UTC with microseconds", m["createdAt"])
	}
}

// Bench benchmarks the store's hot paths on a table of 100,000 leads. open
// returns an empty migrated store; seed bulk-inserts n leads (and their users,
// with a spread of statuses, centres and creation times) in the engine's own
// SQL. The store is seeded once and shared by the sub-benchmarks.
func Bench(b *testing.B, open func(tb testing.TB) leads.Store, seed func(tb testing.TB, s leads.Store, n int)) {
	const n = 100_000
	s := open(b)
	ctx := context.Background()
	seed(b, s, n)
	if p, err := s.ListLeads(ctx, leads.ListFilter{Page: 1, Limit: 1}); err != nil || p.Total < n {
		b.Fatalf("after seeding %d leads: total %d, err %v", n, p.Total, err)
	}

	// A sample of seeded leads, spread over the table, for lookups and updates.
	var sample []leads.Lead
	for _, page := range []int{1, n / 400, n / 200, n/100 - 1} {
		p, err := s.ListLeads(ctx, leads.ListFilter{Page: page, Limit: 100})
		if err != nil {
			b.Fatal(err)
		}
		sample = append(sample, p.Leads...)
	}
	if len(sample) == 0 {
		b.Fatal("seed left no leads")
	}
	var centre string
	for _, l := range sample {
		if l.CenterID != nil {
			centre = *l.CenterID
			break
		}
	}
	clock := time.Now()
	now := func(i int) time.Time { return leads.Timestamp(clock.Add(time.Duration(i) * time.Microsecond)) }

	// Each run of SaveCreate needs users without leads; runs are told apart by
	// a counter, since the framework may call the function more than once.
	runs := 0
	b.Run("SaveCreate", func(b *testing.B) {
		runs++
		users := make([]string, b.N)
		for i := range users {
			users[i] = fmt.Sprintf("bench-new-%d-%d", runs, i)
			if _, err := s.PutUser(ctx, leads.User{ID: users[i], FullName: "New " + users[i], Email: users[i] + "@example.com"}, at(0)); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for i := range b.N {
			if _, created, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: users[i]}, leads.SaveInput{Step: ptr(1)}, now(i)); err != nil || !created {
				b.Fatalf("created=%v err=%v", created, err)
			}
		}
	})
	in := leads.SaveInput{TrainingLocation: ptr("bench-location"), CenterID: ptr(centre), CenterIDField: "selectedCenter.id",
		StudentAddress: ptr("12 Main St"), HasGuardian: ptr(false), Step: ptr(2)}
	b.Run("SaveUpdate", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, created, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: sample[i%len(sample)].UserID}, in, now(i)); err != nil || created {
				b.Fatalf("created=%v err=%v", created, err)
			}
		}
	})
	// A save that changes a field each time (the step, 2 and 3 in turn):
	// the full way, with its update and timeline entry.
	b.Run("SaveChange", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			change := in
			change.Step = ptr(2 + (i/len(sample)+1)%2)
			if _, created, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: sample[i%len(sample)].UserID}, change, now(i)); err != nil || created {
				b.Fatalf("created=%v err=%v", created, err)
			}
		}
	})
	b.Run("SaveUpdateParallel", func(b *testing.B) {
		var mu sync.Mutex
		next := 0
		b.RunParallel(func(pb *testing.PB) {
			mu.Lock()
			i := next * 7919
			next++
			mu.Unlock()
			for ; pb.Next(); i++ {
				if _, created, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: sample[i%len(sample)].UserID}, in, now(i)); err != nil || created {
					b.Errorf("created=%v err=%v", created, err)
					return
				}
			}
		})
	})
	b.Run("Get", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := s.Lead(ctx, sample[i%len(sample)].ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("LeadByUser", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := s.LeadByUser(ctx, sample[i%len(sample)].UserID); err != nil {
				b.Fatal(err)
			}
		}
	})
	lists := []struct {
		name string
		f    leads.ListFilter
	}{
		{"List/FirstPage", leads.ListFilter{Page: 1, Limit: leads.DefaultLimit}},
		{"List/Status", leads.ListFilter{Status: leads.StatusPending, Page: 1, Limit: leads.DefaultLimit}},
		{"List/Centre", leads.ListFilter{CenterID: centre, Page: 1, Limit: leads.DefaultLimit}},
		{"List/StatusAndCentre", leads.ListFilter{Status: leads.StatusPending, CenterID: centre, Page: 1, Limit: leads.DefaultLimit}},
		{"List/Page50", leads.ListFilter{Page: 50, Limit: leads.DefaultLimit}},
	}
	for _, l := range lists {
		b.Run(l.name, func(b *testing.B) {
			for b.Loop() {
				p, err := s.ListLeads(ctx, l.f)
				if err != nil || p.Total == 0 || len(p.Leads) == 0 {
					b.Fatalf("total %d, %d leads, err %v", p.Total, len(p.Leads), err)
				}
			}
		})
	}
}

// testSecret: a key is made on first use, of the size asked, and every later
// call, and every one of racing first calls, gets the same key; names do not
// share keys.
func testSecret(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	const racers = 8
	keys := make([][]byte, racers)
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() { keys[i], errs[i] = s.Secret(ctx, "unsubscribe", 32, at(i)) })
	}
	wg.Wait()
	for i := range racers {
		if errs[i] != nil {
			t.Fatalf("racer %d: %v", i, errs[i])
		}
		if len(keys[i]) != 32 || !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("racer %d got key %x, racer 0 %x", i, keys[i], keys[0])
		}
	}
	if bytes.Equal(keys[0], make([]byte, 32)) {
		t.Error("the key is all zeros")
	}
	again, err := s.Secret(ctx, "unsubscribe", 32, at(99))
	if err != nil || !bytes.Equal(again, keys[0]) {
		t.Errorf("a later call: %x, %v; want the first key", again, err)
	}
	other, err := s.Secret(ctx, "another", 16, at(99))
	if err != nil || len(other) != 16 || bytes.Equal(other, keys[0][:16]) {
		t.Errorf("another name: %x, %v; want a key of its own", other, err)
	}
}

// testResave: Save and Exit pressed again with nothing new takes the short
// way (Store.Resave, one statement): the same lead as SaveInput.Apply gives,
// its save times moved, no new timeline entry. Then Resave is held to Apply
// over random saves built from the stored lead, some changing a field, with
// claims that match the user's record or not, through status moves: it
// writes exactly when Apply would change nothing but the save times and the
// claims are the record's, and then writes Apply's lead.
func testResave(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	catalogue(t, s)
	u := user(t, s, "u1", ptr("+2348000000001"))
	in := leads.SaveInput{TrainingLocation: ptr("fct"), CenterID: ptr("c1"), CenterIDField: "selectedCenter.id",
		CourseID: ptr("nope"), CourseName: ptr("Payload Course"), StudentAddress: ptr("1 Main St"), Step: ptr(2), PaymentPlan: ptr("full")}
	first, created := save(t, s, "u1", in, at(0))
	if !created {
		t.Fatal("first save did not create")
	}
	if _, ok, err := s.Resave(ctx, leads.Claims{UserID: "nobody"}, leads.SaveInput{}, at(1)); err != nil || ok {
		t.Errorf("Resave of a user with no lead: %v, %v; want false", ok, err)
	}
	before, err := s.Activities(ctx, first.ID, 1, 50)
	if err != nil {
		t.Fatal(err)
	}
	refs := leads.References{Location: &leads.Location{ID: "fct", Name: "FCT Abuja"}, Center: &leads.Center{ID: "c1", Name: "Abuja Centre"}}
	again, created := save(t, s, "u1", in, at(5))
	want := in.Apply(&first, u, refs, at(5))
	sameLead(t, again, want)
	if created || !again.LastSavedAt.Equal(at(5)) || !again.UpdatedAt.Equal(at(5)) {
		t.Errorf("the same save again: created %v, lastSavedAt %v, updatedAt %v; want at(5)", created, again.LastSavedAt, again.UpdatedAt)
	}
	if read, err := s.Lead(ctx, first.ID); err != nil {
		t.Fatal(err)
	} else {
		sameLead(t, read, want)
	}
	after, err := s.Activities(ctx, first.ID, 1, 50)
	if err != nil {
		t.Fatal(err)
	}
	if after.Total != before.Total {
		t.Errorf("a save that changed nothing wrote %d timeline entries", after.Total-before.Total)
	}
	testResaveMatchesApply(t, s, u, at(6))

	// A save that changes one field takes the long way and records it.
	in.StudentAddress = ptr("2 Side St")
	changed, _ := save(t, s, "u1", in, at(1000))
	checkFields(t, changed, map[string]any{"studentAddress": "2 Side St"})
	latest, err := s.Activities(ctx, first.ID, 1, 50)
	if err != nil {
		t.Fatal(err)
	}
	if latest.Activities[0].Type != leads.ActivitySaved {
		t.Errorf("a save that changed a field: newest entry %q; want lead.saved", latest.Activities[0].Type)
	}
}

// testResaveMatchesApply holds Resave to Apply, from the user's lead as it
// is, for times from start on.
func testResaveMatchesApply(t *testing.T, s leads.Store, u leads.User, start time.Time) {
	ctx := t.Context()
	names := map[string]string{"fct": "FCT Abuja", "lag": "Lagos", "c1": "Abuja Centre", "c2": "Ikeja Centre", "k1": "Welding", "k2": "Solar Installation"}
	rng := rand.New(rand.NewPCG(3, 4))
	half := func() bool { return rng.IntN(2) == 0 }
	var touched, skipped int
	for i := range 300 {
		now := start.Add(time.Duration(2*i) * time.Second)
		stored, err := s.LeadByUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		// An input of the stored values (the frontend sends them all again),
		// a random half of them.
		var in leads.SaveInput
		if half() {
			in.TrainingLocation = stored.TrainingLocation
		}
		refIn := func(id, name *string) (*string, *string) {
			switch {
			case !half():
				return nil, nil
			case id != nil:
				return id, nil
			case name != nil && half():
				return ptr("nope"), name // an unknown id, saved with the payload's name
			default:
				return nil, name
			}
		}
		in.CenterID, in.CenterName = refIn(stored.CenterID, stored.CenterName)
		in.CenterIDField = "selectedCenter.id"
		in.CourseID, in.CourseName = refIn(stored.CourseID, stored.CourseName)
		for _, f := range []struct{ dst, v **string }{{&in.StudentAddress, &stored.StudentAddress}, {&in.GuardianName, &stored.GuardianName},
			{&in.GuardianPhone, &stored.GuardianPhone}, {&in.GuardianEmail, &stored.GuardianEmail},
			{&in.GuardianAddress, &stored.GuardianAddress}, {&in.PaymentPlan, &stored.PaymentPlan}} {
			if half() {
				*f.dst = *f.v
			}
		}
		if half() {
			in.HasGuardian = ptr(stored.HasGuardian)
		}
		if half() {
			in.Step = ptr(stored.OnboardingStep)
		}
		if half() {
			in.Source = ptr(stored.Source)
		}
		// Half the time, one thing differs.
		switch rng.IntN(24) {
		case 0:
			in.TrainingLocation = ptr([]string{"fct", "lag", "mars"}[rng.IntN(3)])
		case 1:
			in.CenterID = ptr([]string{"c1", "c2", "nope"}[rng.IntN(3)])
		case 2:
			in.CenterName = ptr([]string{"Abuja Centre", "Payload Centre"}[rng.IntN(2)])
		case 3:
			in.CourseID = ptr([]string{"k1", "k2", "nope"}[rng.IntN(3)])
		case 4:
			in.CourseName = ptr([]string{"Welding", "Payload Course"}[rng.IntN(2)])
		case 5:
			in.StudentAddress = ptr([]string{"1 Main St", "2 Side St"}[rng.IntN(2)])
		case 6:
			in.HasGuardian = ptr(half())
		case 7:
			in.GuardianName = ptr([]string{"Jane", "John"}[rng.IntN(2)])
		case 8:
			in.Step = ptr(1 + rng.IntN(3))
		case 9:
			in.Source = ptr([]string{"web", leads.DefaultSource}[rng.IntN(2)])
		case 10:
			in.PaymentPlan = ptr([]string{"full", "instalments"}[rng.IntN(2)])
		case 11:
			in.GuardianEmail = ptr("g@example.com")
		}
		c := leads.Claims{UserID: u.ID}
		switch rng.IntN(6) {
		case 0:
			c.Name, c.Email = ptr(u.FullName), ptr(u.Email)
		case 1:
			c.Phone = u.Phone
		case 2:
			c.Name = ptr("Someone Else")
		}
		var r leads.References
		for _, id := range []*string{in.TrainingLocation, in.CenterID, in.CourseID} {
			if id == nil || names[*id] == "" {
				continue
			}
			switch {
			case id == in.TrainingLocation && (*id == "fct" || *id == "lag"):
				r.Location = &leads.Location{ID: *id, Name: names[*id]}
			case id == in.CenterID && (*id == "c1" || *id == "c2"):
				r.Center = &leads.Center{ID: *id, Name: names[*id]}
			case id == in.CourseID && (*id == "k1" || *id == "k2"):
				r.Course = &leads.Course{ID: *id, Name: names[*id]}
			}
		}
		applied := in.Apply(&stored, u, r, now)
		wantOK := c.Matches(u) && len(leads.ChangedFields(stored, applied)) == 0
		got, ok, err := s.Resave(ctx, c, in, now)
		if err != nil {
			t.Fatalf("Resave %d: %v", i, err)
		}
		if ok != wantOK {
			t.Fatalf("Resave %d of %+v (claims %+v) on %+v: %v, want %v (changed %v)", i, in, c, stored, ok, wantOK, leads.ChangedFields(stored, applied))
		}
		read, err := s.Lead(ctx, stored.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			touched++
			sameLead(t, got, applied)
			sameLead(t, read, applied)
		} else {
			skipped++
			sameLead(t, read, stored)
			// The full way moves the lead on, so later inputs meet new values.
			if _, _, err := leads.SaveFromOnboarding(ctx, s, leads.Claims{UserID: u.ID}, in, now); err != nil {
				t.Fatalf("save %d: %v", i, err)
			}
		}
		if t.Failed() {
			t.Fatalf("Resave %d of %+v differs from SaveInput.Apply", i, in)
		}
		// Now and then the user's record gets another phone (or none),
		// which a save copies to the lead.
		if rng.IntN(12) == 0 {
			u.Phone = []*string{nil, ptr("+2348000000001"), ptr("+2348000000002")}[rng.IntN(3)]
			if _, err := s.PutUser(ctx, u, now); err != nil {
				t.Fatal(err)
			}
		}
		// Now and then staff move the lead, so saves meet every status.
		if rng.IntN(8) == 0 {
			st := leads.StatusChange{Status: leads.StatusLost}
			if half() {
				st = leads.StatusChange{Status: leads.StatusContacted, ContactedBy: "staff-1"}
			}
			// A move the rules refuse (a domain error) is as good as none.
			var refused *leads.Error
			if _, err := leads.UpdateStatus(ctx, s, stored.ID, st, "staff-1", now.Add(time.Second)); err != nil && !errors.As(err, &refused) {
				t.Fatalf("status move %d: %v", i, err)
			}
		}
	}
	t.Logf("%d resaves written, %d sent the full way", touched, skipped)
	if touched < 30 || skipped < 30 {
		t.Errorf("%d resaves written, %d not: want both ways exercised", touched, skipped)
	}
}
