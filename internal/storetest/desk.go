package storetest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leads/leads/internal/leads"
)

// The staff desk (contract §7): roster, assignment, timeline, notes, calls and
// the list's filters.

// roster puts the catalogue and a roster: centre c1 has three active staff
// (in id order a-ada, b-bola, c-chi) and one inactive (bb-inactive, between
// them in id order); c2 has e-eze, who also works at c1 but inactive there is
// not a thing: e-eze is active and only at c2.
func roster(t *testing.T, s leads.Store) {
	t.Helper()
	catalogue(t, s)
	for _, m := range []leads.Staff{
		{ID: "a-ada", FullName: "Ada", Email: "ada@example.com", CenterIDs: []string{"c1"}, Active: true},
		{ID: "c-chi", FullName: "Chi", Email: "chi@example.com", CenterIDs: []string{"c1"}, Active: true},
		{ID: "b-bola", FullName: "Bola", Email: "bola@example.com", CenterIDs: []string{"c1"}, Active: true},
		{ID: "bb-inactive", FullName: "Inactive", Email: "in@example.com", CenterIDs: []string{"c1"}, Active: false},
		{ID: "e-eze", FullName: "Eze", Email: "eze@example.com", CenterIDs: []string{"c2"}, Active: true},
	} {
		if _, err := leads.PutStaff(t.Context(), s, m, at(0)); err != nil {
			t.Fatalf("PutStaff(%s): %v", m.ID, err)
		}
	}
}

// timeline returns the lead's whole timeline, oldest first.
func timeline(t *testing.T, s leads.Store, leadID string) []leads.Activity {
	t.Helper()
	page, err := s.Activities(t.Context(), leadID, 1, 100)
	if err != nil {
		t.Fatalf("Activities(%s): %v", leadID, err)
	}
	if page.Total != len(page.Activities) {
		t.Fatalf("Activities: total %d, %d on the page", page.Total, len(page.Activities))
	}
	acts := slices.Clone(page.Activities)
	slices.Reverse(acts)
	return acts
}

// entry is an expected timeline entry: its type, actor and data (compared as
// JSON objects).
type entry struct {
	typ, actor, data string
}

// checkTimeline compares the lead's timeline, oldest first, with want.
func checkTimeline(t *testing.T, s leads.Store, leadID string, want ...entry) {
	t.Helper()
	got := timeline(t, s, leadID)
	var g, w []string
	for _, a := range got {
		var data any
		if err := json.Unmarshal(a.Data, &data); err != nil {
			t.Fatalf("activity %s data is not JSON: %s", a.ID, a.Data)
		}
		norm, _ := json.Marshal(data)
		g = append(g, a.Type+" by "+a.Actor+" "+string(norm))
		if a.LeadID != leadID || a.ID == "" || a.At.IsZero() {
			t.Errorf("activity %+v: wrong lead, no id or no time", a)
		}
	}
	for _, e := range want {
		var data any
		if err := json.Unmarshal([]byte(e.data), &data); err != nil {
			t.Fatalf("bad expected data %s", e.data)
		}
		norm, _ := json.Marshal(data)
		w = append(w, e.typ+" by "+e.actor+" "+string(norm))
	}
	if !slices.Equal(g, w) {
		t.Errorf("timeline:\n got %s\nwant %s", strings.Join(g, "\n     "), strings.Join(w, "\n     "))
	}
}

func saveAs(t *testing.T, s leads.Store, userID string, in leads.SaveInput, now time.Time) leads.Lead {
	t.Helper()
	l, _ := save(t, s, userID, in, now)
	return l
}

func assignee(l leads.Lead) string {
	if l.AssignedTo == nil {
		return "-"
	}
	return *l.AssignedTo
}

func testAssignRoundRobin(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	roster(t, s)
	var got []string
	for i := range 7 {
		uid := fmt.Sprintf("u%d", i)
		user(t, s, uid, nil)
		got = append(got, assignee(saveAs(t, s, uid, leads.SaveInput{CenterID: ptr("c1")}, at(i))))
	}
	// In id order, skipping the inactive member, wrapping around.
	if want := []string{"a-ada", "b-bola", "c-chi", "a-ada", "b-bola", "c-chi", "a-ada"}; !slices.Equal(got, want) {
		t.Errorf("c1 assignments %v, want %v", got, want)
	}
	user(t, s, "at-c2", nil)
	if l := saveAs(t, s, "at-c2", leads.SaveInput{CenterID: ptr("c2")}, at(10)); assignee(l) != "e-eze" || l.AssignedAt == nil || !l.AssignedAt.Equal(at(10)) {
		t.Errorf("c2 lead assigned to %s at %v, want e-eze at %v", assignee(l), l.AssignedAt, at(10))
	}
	if _, err := s.PutCenter(ctx, leads.Center{ID: "c3", Name: "Nobody's Centre"}); err != nil {
		t.Fatal(err)
	}
	user(t, s, "at-c3", nil)
	if l := saveAs(t, s, "at-c3", leads.SaveInput{CenterID: ptr("c3")}, at(11)); l.AssignedTo != nil {
		t.Errorf("a centre without staff: assigned to %s, want no one", assignee(l))
	}

	// A lead with no centre waits; its first centre assigns it, a later
	// change of centre does not.
	user(t, s, "late", nil)
	l := saveAs(t, s, "late", leads.SaveInput{Step: ptr(1)}, at(12))
	if l.AssignedTo != nil {
		t.Errorf("no centre: assigned to %s", assignee(l))
	}
	if l = saveAs(t, s, "late", leads.SaveInput{CenterID: ptr("c1")}, at(13)); assignee(l) != "b-bola" {
		t.Errorf("first centre: assigned to %s, want b-bola (the next turn)", assignee(l))
	}
	if l = saveAs(t, s, "late", leads.SaveInput{CenterID: ptr("c2")}, at(14)); assignee(l) != "b-bola" {
		t.Errorf("a second centre re-assigned to %s, want b-bola kept", assignee(l))
	}

	// A manual choice, even of no one, is never overridden.
	user(t, s, "manual", nil)
	m := saveAs(t, s, "manual", leads.SaveInput{}, at(15))
	if _, err := leads.Assign(ctx, s, m.ID, nil, "staff-boss", at(16)); err != nil {
		t.Fatal(err)
	}
	if m = saveAs(t, s, "manual", leads.SaveInput{CenterID: ptr("c1")}, at(17)); m.AssignedTo != nil {
		t.Errorf("a manual unassignment was overridden by %s", assignee(m))
	}

	// Deactivating a member takes them out of the turn at once.
	if _, err := leads.PutStaff(ctx, s, leads.Staff{ID: "c-chi", FullName: "Chi", Email: "chi@example.com", CenterIDs: []string{"c1"}}, at(18)); err != nil {
		t.Fatal(err)
	}
	got = nil
	for i := range 3 {
		uid := fmt.Sprintf("after-%d", i)
		user(t, s, uid, nil)
		got = append(got, assignee(saveAs(t, s, uid, leads.SaveInput{CenterID: ptr("c1")}, at(20+i))))
	}
	if want := []string{"a-ada", "b-bola", "a-ada"}; !slices.Equal(got, want) {
		t.Errorf("after c-chi left: %v, want %v", got, want)
	}
}

func testAssignConcurrent(t *testing.T, open Opener) {
	s := open(t)
	roster(t, s)
	const n = 21 // seven each for the three active staff of c1
	for i := range n {
		user(t, s, fmt.Sprintf("u%d", i), nil)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			l, _, err := leads.SaveFromOnboarding(t.Context(), s, leads.Claims{UserID: fmt.Sprintf("u%d", i)},
				leads.SaveInput{CenterID: ptr("c1")}, at(i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("save %d: %v", i, err)
				return
			}
			counts[assignee(l)]++
		})
	}
	close(start)
	wg.Wait()
	if want := map[string]int{"a-ada": 7, "b-bola": 7, "c-chi": 7}; !maps.Equal(counts, want) {
		t.Errorf("%d concurrent first saves spread %v, want %v", n, counts, want)
	}
}

// testAssignTurnSurvivesReopen: the turn is in the database, so a restart of
// the service continues it.
func testAssignTurnSurvivesReopen(t *testing.T, open Opener, reopen Reopener) {
	s := open(t)
	roster(t, s)
	for i, want := range []string{"a-ada", "b-bola"} {
		uid := fmt.Sprintf("u%d", i)
		user(t, s, uid, nil)
		if got := assignee(saveAs(t, s, uid, leads.SaveInput{CenterID: ptr("c1")}, at(i))); got != want {
			t.Fatalf("before reopen: %s, want %s", got, want)
		}
	}
	s = reopen(t, s)
	user(t, s, "u2", nil)
	if got := assignee(saveAs(t, s, "u2", leads.SaveInput{CenterID: ptr("c1")}, at(2))); got != "c-chi" {
		t.Errorf("after reopen: %s, want c-chi (the turn went on)", got)
	}
}

func testTimeline(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	roster(t, s)
	if _, err := s.PutStudent(ctx, leads.Student{ID: "s1"}, at(0)); err != nil {
		t.Fatal(err)
	}
	user(t, s, "u1", nil)
	l := saveAs(t, s, "u1", leads.SaveInput{Step: ptr(1), CenterID: ptr("c1")}, at(1))
	saveAs(t, s, "u1", leads.SaveInput{Step: ptr(1), CenterID: ptr("c1")}, at(2)) // changes nothing but the save times
	saveAs(t, s, "u1", leads.SaveInput{Step: ptr(2), CourseID: ptr("k1"), StudentAddress: ptr("1 Main St")}, at(3))
	if _, err := leads.UpdateStatus(ctx, s, l.ID, leads.StatusChange{Status: leads.StatusLost, Reason: ptr("moved away")}, "b-bola", at(4)); err != nil {
		t.Fatal(err)
	}
	saveAs(t, s, "u1", leads.SaveInput{Step: ptr(3)}, at(5)) // back from LOST
	if _, err := leads.UpdateStatus(ctx, s, l.ID, leads.StatusChange{Status: leads.StatusPending}, "b-bola", at(6)); err != nil {
		t.Fatal(err) // no move, nothing recorded
	}
	if _, err := leads.Assign(ctx, s, l.ID, ptr("c-chi"), "boss", at(7)); err != nil {
		t.Fatal(err)
	}
	if _, err := leads.Assign(ctx, s, l.ID, ptr("c-chi"), "boss", at(8)); err != nil {
		t.Fatal(err) // the same again: nothing recorded
	}
	if _, err := leads.AddNote(ctx, s, l.ID, "Prefers a call after 5pm", "c-chi", at(9)); err != nil {
		t.Fatal(err)
	}
	if _, err := leads.LogCall(ctx, s, l.ID, leads.Call{Outcome: leads.CallNoAnswer}, "c-chi", at(10)); err != nil {
		t.Fatal(err)
	}
	if _, err := leads.LogCall(ctx, s, l.ID, leads.Call{Outcome: leads.CallReached, Text: ptr("Will pay next week")}, "c-chi", at(11)); err != nil {
		t.Fatal(err)
	}
	if _, err := leads.Convert(ctx, s, l.ID, "s1", "c-chi", at(12)); err != nil {
		t.Fatal(err)
	}
	if _, err := leads.Convert(ctx, s, l.ID, "s1", "c-chi", at(13)); err != nil {
		t.Fatal(err) // again: nothing recorded
	}
	checkTimeline(t, s, l.ID,
		entry{"lead.created", "u1", `{"step":1}`},
		entry{"lead.assigned", "u1", `{"from":null,"to":"a-ada","how":"auto"}`},
		entry{"lead.saved", "u1", `{"step":2,"fields":["studentAddress","courseId","courseName","onboardingStep","stepReached"]}`},
		entry{"status.changed", "b-bola", `{"from":"PENDING","to":"LOST","reason":"moved away"}`},
		entry{"lead.saved", "u1", `{"step":3,"fields":["onboardingStep","status","stepReached"]}`},
		entry{"status.changed", "u1", `{"from":"LOST","to":"PENDING"}`},
		entry{"lead.assigned", "boss", `{"from":"a-ada","to":"c-chi","how":"manual"}`},
		entry{"note.added", "c-chi", `{"text":"Prefers a call after 5pm"}`},
		entry{"call.logged", "c-chi", `{"outcome":"no_answer"}`},
		entry{"call.logged", "c-chi", `{"outcome":"reached","text":"Will pay next week"}`},
		entry{"status.changed", "c-chi", `{"from":"PENDING","to":"CONTACTED"}`},
		entry{"status.changed", "c-chi", `{"from":"CONTACTED","to":"CONVERTED"}`},
		entry{"lead.converted", "c-chi", `{"studentId":"s1"}`},
	)
	got, err := s.Lead(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, got, map[string]any{"notes": "Prefers a call after 5pm", "contactedAt": at(11), "contactedBy": "c-chi",
		"assignedTo": "c-chi", "assignedAt": at(7), "stepReached": 3, "status": "CONVERTED"})

	// Pages of the timeline, newest first.
	p, err := s.Activities(ctx, l.ID, 2, 5)
	if err != nil || p.Total != 13 || len(p.Activities) != 5 || p.Activities[0].Type != "note.added" {
		t.Errorf("page 2 of 5: %+v, %v", p, err)
	}
	_, err = s.Activities(ctx, "no-such-lead", 1, 10)
	wantErr(t, "timeline of no lead", err, leads.ErrLeadNotFound)

	// Completing onboarding records the conversion as the student's doing.
	user(t, s, "u2", nil)
	l2 := saveAs(t, s, "u2", leads.SaveInput{}, at(20))
	if _, err := leads.CompleteOnboarding(ctx, s, "u2", at(21)); err != nil {
		t.Fatal(err)
	}
	acts := timeline(t, s, l2.ID)
	if len(acts) != 3 || acts[1].Type != "status.changed" || acts[2].Type != "lead.converted" || acts[2].Actor != "u2" {
		t.Errorf("completion timeline %+v", acts)
	}

	// Erasure takes the timeline with it.
	if err := leads.DeleteLead(ctx, s, l.ID, at(99)); err != nil {
		t.Fatal(err)
	}
	_, err = s.Activities(ctx, l.ID, 1, 10)
	wantErr(t, "timeline after erasure", err, leads.ErrLeadNotFound)
	l3 := saveAs(t, s, "u1", leads.SaveInput{}, at(30))
	checkTimeline(t, s, l3.ID, entry{"lead.created", "u1", `{"step":1}`})
}

// testTimelineAtomic: an activity is written with its change or not at all.
func testTimelineAtomic(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	roster(t, s)
	user(t, s, "u1", nil)
	l := saveAs(t, s, "u1", leads.SaveInput{}, at(0))
	before := len(timeline(t, s, l.ID))

	boom := errors.New("boom")
	err := s.Update(ctx, func(ctx context.Context, tx leads.Tx) error {
		if err := tx.AddActivities(ctx, leads.EmailActivity(l.ID, false, "test", "x@example.com", at(1))); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, "a failing transaction", err, boom)
	_, err = leads.Convert(ctx, s, l.ID, "no-such-student", "staff", at(2))
	wantErr(t, "convert to no student", err, leads.ErrStudentNotFound)
	_, err = leads.Assign(ctx, s, l.ID, ptr("bb-inactive"), "staff", at(3))
	wantErr(t, "assign to an inactive member", err, leads.ErrUnknownStaff)
	_, err = leads.Assign(ctx, s, l.ID, ptr("nobody"), "staff", at(3))
	wantErr(t, "assign to no member", err, leads.ErrUnknownStaff)
	_, err = leads.AddNote(ctx, s, "no-such-lead", "x", "staff", at(4))
	wantErr(t, "note on no lead", err, leads.ErrLeadNotFound)
	if after := len(timeline(t, s, l.ID)); after != before {
		t.Errorf("failed changes left %d activities", after-before)
	}
	got, err := s.Lead(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameLead(t, got, l)
}

func testNotesAndCalls(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	user(t, s, "u1", nil)
	l := saveAs(t, s, "u1", leads.SaveInput{}, at(0))
	a, err := leads.AddNote(ctx, s, l.ID, "first", "staff-1", at(1))
	if err != nil || a.Type != leads.ActivityNote || a.Actor != "staff-1" || !a.At.Equal(at(1)) || string(a.Data) != `{"text":"first"}` {
		t.Errorf("AddNote = %+v, %v", a, err)
	}
	leads.AddNote(ctx, s, l.ID, "second", "staff-2", at(2))
	got, _ := s.Lead(ctx, l.ID)
	checkFields(t, got, map[string]any{"notes": "second", "updatedAt": at(2), "status": "PENDING"})

	// Calls that do not reach the applicant move nothing; a reached call is
	// the first contact, by the caller; a later reached call keeps it.
	for i, o := range []leads.CallOutcome{leads.CallNoAnswer, leads.CallVoicemail, leads.CallWrongNumber} {
		if _, err := leads.LogCall(ctx, s, l.ID, leads.Call{Outcome: o}, "staff-1", at(3+i)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = s.Lead(ctx, l.ID)
	checkFields(t, got, map[string]any{"status": "PENDING", "contactedAt": nil})
	call, err := leads.LogCall(ctx, s, l.ID, leads.Call{Outcome: leads.CallReached}, "staff-2", at(7))
	if err != nil || call.Type != leads.ActivityCall {
		t.Fatalf("reached call: %+v, %v", call, err)
	}
	got, _ = s.Lead(ctx, l.ID)
	checkFields(t, got, map[string]any{"status": "CONTACTED", "contactedAt": at(7), "contactedBy": "staff-2"})
	leads.UpdateStatus(ctx, s, l.ID, leads.StatusChange{Status: leads.StatusLost}, "staff-1", at(8))
	leads.LogCall(ctx, s, l.ID, leads.Call{Outcome: leads.CallReached}, "staff-3", at(9))
	got, _ = s.Lead(ctx, l.ID)
	checkFields(t, got, map[string]any{"status": "LOST", "contactedAt": at(7), "contactedBy": "staff-2"})
	_, err = leads.LogCall(ctx, s, "no-such-lead", leads.Call{Outcome: leads.CallReached}, "staff-1", at(10))
	wantErr(t, "call to no lead", err, leads.ErrLeadNotFound)
}

func testRoster(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	catalogue(t, s)
	created, err := leads.PutStaff(ctx, s, leads.Staff{ID: "m1", FullName: "Ada", Email: "ada@example.com",
		CenterIDs: []string{"c2", "c1"}, Active: true}, at(0))
	if err != nil || !created {
		t.Fatalf("create: %v, %v", created, err)
	}
	created, err = leads.PutStaff(ctx, s, leads.Staff{ID: "m1", FullName: "Ada Obi", Email: "ada@example.com",
		CenterIDs: []string{"c1"}, Active: false}, at(1))
	if err != nil || created {
		t.Fatalf("replace: %v, %v", created, err)
	}
	_, err = leads.PutStaff(ctx, s, leads.Staff{ID: "m2", FullName: "Bola", Email: "b@example.com",
		CenterIDs: []string{"c1", "nope", "c2", "nada"}, Active: true}, at(2))
	var e *leads.Error
	if !errors.As(err, &e) || e.Code != leads.CodeInvalid || len(e.Fields) != 2 ||
		e.Fields[0].Field != "centerIds[1]" || e.Fields[1].Field != "centerIds[3]" {
		t.Errorf("unknown centres: %v, want errors naming centerIds[1] and centerIds[3]", err)
	}
	leads.PutStaff(ctx, s, leads.Staff{ID: "m0", FullName: "Zed", Email: "z@example.com", CenterIDs: []string{}, Active: true}, at(3))
	got, err := s.Roster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []leads.Staff{
		{ID: "m0", FullName: "Zed", Email: "z@example.com", CenterIDs: []string{}, Active: true},
		{ID: "m1", FullName: "Ada Obi", Email: "ada@example.com", CenterIDs: []string{"c1"}, Active: false},
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("roster %s, want %s", g, w)
	}
}

// testListFilters checks every filter of the list, alone and combined, and
// every order, against the same leads filtered and sorted here, in Go.
func testListFilters(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	roster(t, s)
	if _, err := s.PutStudent(ctx, leads.Student{ID: "s1"}, at(0)); err != nil {
		t.Fatal(err)
	}
	names := []string{"Ada 50%_Obi", "Ọlá Adé", `Tunde "TJ" Bello`, "Mercy Okafor", "Chinedu Eze", "ada lovelace"}
	var ids []string
	for i := range 36 {
		uid := fmt.Sprintf("u%02d", i)
		var phone *string
		if i%4 != 0 {
			phone = ptr(fmt.Sprintf("+23480%08d", i*7))
		}
		u := leads.User{ID: uid, FullName: names[i%len(names)] + fmt.Sprint(" ", i), Email: uid + "@example.com", Phone: phone}
		if _, err := s.PutUser(ctx, u, at(0)); err != nil {
			t.Fatal(err)
		}
		in := leads.SaveInput{Step: ptr(1 + i%3)}
		switch i % 3 {
		case 0:
			in.CenterID, in.CourseID = ptr("c1"), ptr("k1")
		case 1:
			in.CenterID, in.CourseID = ptr("c2"), ptr("k2")
		}
		// Created one hour apart across a month; saved later, in another order.
		created := at(i * 60)
		l := saveAs(t, s, uid, in, created)
		saveAs(t, s, uid, leads.SaveInput{}, at((36-i)*90+7))
		switch i % 7 {
		case 1:
			leads.LogCall(ctx, s, l.ID, leads.Call{Outcome: leads.CallReached}, "c-chi", created.Add(time.Hour))
		case 2:
			leads.UpdateStatus(ctx, s, l.ID, leads.StatusChange{Status: leads.StatusLost}, "a-ada", created.Add(time.Hour))
		case 3:
			leads.Convert(ctx, s, l.ID, fmt.Sprint("s", 1), "a-ada", created.Add(time.Hour))
		case 4:
			leads.Assign(ctx, s, l.ID, nil, "boss", created.Add(time.Hour))
		case 5:
			leads.Assign(ctx, s, l.ID, ptr("e-eze"), "boss", created.Add(time.Hour))
		}
		ids = append(ids, l.ID)
	}
	var all []leads.Lead
	for _, id := range ids {
		l, err := s.Lead(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, l)
	}
	overdue := at(20 * 60)
	filters := []leads.ListFilter{
		{},
		{Status: leads.StatusPending},
		{CenterID: "c1"},
		{Status: leads.StatusContacted, CenterID: "c2"},
		{CourseID: "k2"},
		{CourseID: "no-such-course"},
		{AssignedTo: "a-ada"},
		{AssignedTo: "e-eze", Status: leads.StatusPending},
		{Unassigned: true},
		{Step: 2},
		{CreatedFrom: ptr(at(5 * 60)), CreatedTo: ptr(at(20 * 60))},
		{CreatedFrom: ptr(at(30 * 60))},
		{CreatedTo: ptr(at(3 * 60))},
		{OverdueBefore: &overdue},
		{OverdueBefore: &overdue, CenterID: "c1", Step: 1},
		{Q: "ada"},
		{Q: "ADA 50"},
		{Q: "50%_"},
		{Q: "%"},
		{Q: "_"},
		{Q: "ọlá"},
		{Q: `"TJ"`},
		{Q: "u1"},
		{Q: "@example.com"},
		{Q: "+2348"},
		{Q: "nobody at all"},
		{Q: "Eze", Unassigned: true},
		{Q: "e", Step: 3, CreatedFrom: ptr(at(60))},
		{Sort: leads.SortOldest},
		{Sort: leads.SortLastSavedDesc, Status: leads.StatusPending},
		{Sort: leads.SortLastSaved, CenterID: "c2"},
	}
	for _, f := range filters {
		name := fmt.Sprintf("%+v", f)
		want := matching(all, f)
		for _, limit := range []int{100, 7} {
			f.Page, f.Limit = 1, limit
			var got []string
			for {
				page, err := s.ListLeads(ctx, f)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if page.Total != len(want) {
					t.Errorf("%s: total %d, want %d", name, page.Total, len(want))
				}
				for _, l := range page.Leads {
					got = append(got, l.ID)
				}
				if len(page.Leads) < limit {
					break
				}
				f.Page++
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s, %d a page: ids %v, want %v", name, limit, got, want)
			}
		}
		var exported []string
		if err := s.ExportLeads(ctx, f, func(l leads.Lead) error { exported = append(exported, l.ID); return nil }); err != nil {
			t.Fatalf("%s: export: %v", name, err)
		}
		if !slices.Equal(exported, want) {
			t.Errorf("%s: export %v, want %v", name, exported, want)
		}
	}
	stop := errors.New("stop")
	n := 0
	err := s.ExportLeads(ctx, leads.ListFilter{}, func(leads.Lead) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("export stops at fn's first error: %v after %d", err, n)
	}
}

// testSearchFollowsChanges: a search finds a lead by its name, e-mail and
// phone as they are now: a save that changes them (from the token's claims)
// moves the lead from the old texts' results and totals to the new ones',
// and an erased lead leaves them. (Each engine keeps the searched columns
// apart for its count, by triggers; this holds them to the leads.)
func testSearchFollowsChanges(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	claims := func(uid, name, email, phone string) leads.Claims {
		return leads.Claims{UserID: uid, Name: &name, Email: &email, Phone: &phone}
	}
	var ids []string
	for i, c := range []leads.Claims{
		claims("kemi", "Kemi Adeyemi", "kemi@example.com", "+2348011110000"),
		claims("bisi", "Bisi Adeyemi", "bisi@example.com", "+2348022220000"),
		claims("tayo", "Tayo Bello", "tayo@example.com", "+2348033330000"),
	} {
		l, _, err := leads.SaveFromOnboarding(ctx, s, c, leads.SaveInput{Step: ptr(1)}, at(i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
	}
	kemi, bisi := ids[0], ids[1]
	l, _, err := leads.SaveFromOnboarding(ctx, s, claims("kemi", "Kemi Okoro", "kemi.okoro@example.org", "+2348099990000"), leads.SaveInput{}, at(10))
	if err != nil {
		t.Fatal(err)
	}
	if l.FullName != "Kemi Okoro" || l.Email != "kemi.okoro@example.org" || l.Phone == nil || *l.Phone != "+2348099990000" {
		t.Fatalf("the save kept %q %q %v, want the claims' name, e-mail and phone", l.FullName, l.Email, l.Phone)
	}
	if err := leads.DeleteLead(ctx, s, ids[2], at(11)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"adeyemi", []string{bisi}},
		{"okoro", []string{kemi}},
		{"kemi@example.com", nil},
		{"example.org", []string{kemi}},
		{"11110000", nil},
		{"99990000", []string{kemi}},
		{"Bello", nil},
		{"tayo", nil},
		{"+23480", []string{bisi, kemi}},
	} {
		p, err := s.ListLeads(ctx, leads.ListFilter{Q: c.q, Page: 1, Limit: 20})
		if err != nil {
			t.Fatalf("q=%q: %v", c.q, err)
		}
		var got []string
		for _, l := range p.Leads {
			got = append(got, l.ID)
		}
		if p.Total != len(c.want) || !slices.Equal(got, c.want) {
			t.Errorf("q=%q: total %d, %v; want %d, %v", c.q, p.Total, got, len(c.want), c.want)
		}
	}
}

// testDeepPages: pages more than a thousand leads deep (read by the
// engines in another way, a deferred join) hold the same leads, in the same
// order, as the independent count, with and without filters and sorts, and
// the pages either side of where the way changes do too.
func testDeepPages(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	if _, err := s.PutCenter(ctx, leads.Center{ID: "c1", Name: "Centre 1"}); err != nil {
		t.Fatal(err)
	}
	const n = 1_060
	var all []leads.Lead
	err := s.Update(ctx, func(ctx context.Context, tx leads.Tx) error {
		all = all[:0] // the engine may run fn again
		for i := range n {
			uid := fmt.Sprintf("deep-%04d", i)
			name, email := "Deep "+uid, uid+"@example.com"
			if err := tx.ProvisionUser(ctx, leads.Claims{UserID: uid, Name: &name, Email: &email}, at(0)); err != nil {
				return err
			}
			l := leads.Lead{UserID: uid, FullName: name, Email: email, Status: []leads.Status{leads.StatusPending, leads.StatusLost}[i%2],
				Source: "onboarding_save_and_exit", OnboardingStep: 1, StepReached: 1,
				CreatedAt: at(i / 3), UpdatedAt: at(i / 3), LastSavedAt: at(i % 50)} // ties in both sorts
			if i%3 != 0 {
				l.CenterID, l.CenterName = ptr("c1"), ptr("Centre 1")
			}
			l, err := tx.InsertLead(ctx, l)
			if err != nil {
				return err
			}
			all = append(all, l)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []leads.ListFilter{
		{},
		{Status: leads.StatusPending},
		{CenterID: "c1"},
		{Sort: leads.SortOldest},
		{Sort: leads.SortLastSavedDesc},
		{Sort: leads.SortLastSaved, Status: leads.StatusLost},
	} {
		want := matching(all, f)
		for _, limit := range []int{7, 100} {
			// Every page from the 900th lead on: shallow ones, the change, deep ones.
			for f.Limit, f.Page = limit, 900/limit+1; ; f.Page++ {
				p, err := s.ListLeads(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				from := min(f.Offset(), len(want))
				var got []string
				for _, l := range p.Leads {
					got = append(got, l.ID)
				}
				if w := want[from:min(from+limit, len(want))]; p.Total != len(want) || !slices.Equal(got, w) {
					t.Fatalf("%+v: total %d, ids %v; want %d, %v", f, p.Total, got, len(want), w)
				}
				if len(got) < limit {
					break
				}
			}
		}
		testWalkAfter(t, s, all, f)
	}
	p, err := s.ListLeads(ctx, leads.ListFilter{After: "no-such-lead", Limit: 10})
	if !errors.Is(err, leads.ErrUnknownCursor) {
		t.Errorf("after an unknown id: %+v, %v; want ErrUnknownCursor", p, err)
	}
}

// testWalkAfter walks f's list by its keyset cursor (ListFilter.After, the
// last lead of each page) and checks the pages against the independent
// order: every lead once, in order, with the total on every page; an empty
// page after the last one; and a walk started after a lead the filter does
// not select, which goes on from that lead's place.
func testWalkAfter(t *testing.T, s leads.Store, all []leads.Lead, f leads.ListFilter) {
	t.Helper()
	ctx := t.Context()
	want := matching(all, f)
	page := func(after string, limit int) leads.LeadPage {
		t.Helper()
		g := f
		g.After, g.Page, g.Limit = after, 0, limit
		if after == "" { // the walk's first page is page 1
			g.Page = 1
		}
		p, err := s.ListLeads(ctx, g)
		if err != nil {
			t.Fatalf("%+v: %v", g, err)
		}
		if p.Total != len(want) || (p.Page == nil) != (after != "") || p.Limit != limit {
			t.Fatalf("%+v: total %d, page %v, limit %d; want %d, a page number only without after, %d", g, p.Total, p.Page, p.Limit, len(want), limit)
		}
		return p
	}
	var got []string
	for after := ""; len(got) <= len(all); { // a walk that does not move on stops there
		p := page(after, 97)
		for _, l := range p.Leads {
			got = append(got, l.ID)
		}
		if len(p.Leads) == 0 {
			break
		}
		after = p.Leads[len(p.Leads)-1].ID
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%+v: walked %d leads by after, want %d in the list's order", f, len(got), len(want))
	}
	// After a lead of any status: the selected leads past its place in the
	// unfiltered order.
	order := matching(all, leads.ListFilter{Sort: f.Sort})
	from := order[len(order)/2]
	selected := map[string]bool{}
	for _, id := range want {
		selected[id] = true
	}
	var rest []string
	for _, id := range order[len(order)/2+1:] {
		if selected[id] {
			rest = append(rest, id)
		}
	}
	var next []string
	for _, l := range page(from, 5).Leads {
		next = append(next, l.ID)
	}
	if w := rest[:min(5, len(rest))]; !slices.Equal(next, w) {
		t.Errorf("%+v after %s: %v, want %v", f, from, next, w)
	}
}

// matching filters and sorts the leads as the contract says, in Go: the
// independent count of testListFilters.
func matching(all []leads.Lead, f leads.ListFilter) []string {
	is := func(p *string, v string) bool { return p != nil && *p == v }
	contains := func(p *string, q string) bool {
		return p != nil && strings.Contains(strings.ToLower(*p), strings.ToLower(q))
	}
	var out []leads.Lead
	for _, l := range all {
		switch {
		case f.Status != "" && l.Status != f.Status,
			f.CenterID != "" && !is(l.CenterID, f.CenterID),
			f.CourseID != "" && !is(l.CourseID, f.CourseID),
			f.AssignedTo != "" && !is(l.AssignedTo, f.AssignedTo),
			f.Unassigned && l.AssignedTo != nil,
			f.Step != 0 && l.OnboardingStep != f.Step,
			f.CreatedFrom != nil && l.CreatedAt.Before(*f.CreatedFrom),
			f.CreatedTo != nil && l.CreatedAt.After(*f.CreatedTo),
			f.OverdueBefore != nil && (l.Status != leads.StatusPending || l.ContactedAt != nil || !l.CreatedAt.Before(*f.OverdueBefore)),
			f.Q != "" && !contains(&l.FullName, f.Q) && !contains(&l.Email, f.Q) && !contains(l.Phone, f.Q):
			continue
		}
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b leads.Lead) int {
		ta, tb := a.CreatedAt, b.CreatedAt
		if f.Sort.ByLastSaved() {
			ta, tb = a.LastSavedAt, b.LastSavedAt
		}
		c := cmp.Or(ta.Compare(tb), strings.Compare(a.ID, b.ID))
		if f.Sort.Desc() {
			return -c
		}
		return c
	})
	ids := []string{}
	for _, l := range out {
		ids = append(ids, l.ID)
	}
	return ids
}
