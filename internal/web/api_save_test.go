package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

const savePath = "/leads/save-from-onboarding"

// Every validation rule answers 400 (or 413) naming the field, and nothing is
// saved.
func TestSaveValidation(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		tok := e.token("stu-1", auth.RoleStudent)
		bad := func(name, body string, fields ...string) scenario {
			want := []string{`"statusCode":400`, `"error":"Bad Request"`}
			for _, f := range fields {
				want = append(want, fmt.Sprintf(`"field":%q`, f))
			}
			return scenario{name: name, req: request{method: "POST", path: savePath, token: tok, body: body}, status: http.StatusBadRequest, want: want}
		}
		long := func(n int) string { return strings.Repeat("é", n) }
		scs := []scenario{
			bad("step 0", `{"step":0}`, "step"),
			bad("step 4", `{"step":4}`, "step"),
			bad("step 1.5", `{"step":1.5}`, "step"),
			bad("step as a string", `{"step":"2"}`, "step"),
			bad("step as a bool", `{"step":true}`, "step"),
			bad("guardian email", `{"profile":{"guardianEmail":"not-an-email"}}`, "profile.guardianEmail"),
			bad("256-character string", fmt.Sprintf(`{"profile":{"guardianName":%q}}`, long(256)), "profile.guardianName"),
			bad("501-character address", fmt.Sprintf(`{"profile":{"studentAddress":%q}}`, long(501)), "profile.studentAddress"),
			bad("501-character guardian address", fmt.Sprintf(`{"profile":{"guardianAddress":%q}}`, long(501)), "profile.guardianAddress"),
			bad("256-character centre id", fmt.Sprintf(`{"selectedCenter":{"id":%q}}`, long(256)), "selectedCenter.id"),
			bad("hasGuardian as a string", `{"profile":{"hasGuardian":"yes"}}`, "profile.hasGuardian"),
			bad("profile as a string", `{"profile":"x"}`, "profile"),
			bad("selectedCourse as a number", `{"selectedCourse":5}`, "selectedCourse"),
			bad("source as a number", `{"source":1}`, "source"),
			bad("trainingLocation as an object", `{"profile":{"trainingLocation":{}}}`, "profile.trainingLocation"),
			bad("every bad field at once", `{"step":9,"profile":{"guardianEmail":"x","hasGuardian":1}}`, "step", "profile.guardianEmail", "profile.hasGuardian"),
			bad("array body", `[1,2]`, "body"),
			bad("null body", `null`, "body"),
			{name: "malformed JSON", req: request{method: "POST", path: savePath, token: tok, body: `{"step":`},
				status: http.StatusBadRequest, want: []string{`"message":"Malformed JSON body"`}},
			{name: "two values", req: request{method: "POST", path: savePath, token: tok, body: `{}{}`},
				status: http.StatusBadRequest},
			{name: "empty body", req: request{method: "POST", path: savePath, token: tok},
				status: http.StatusBadRequest},
			{name: "over 64 KiB", req: request{method: "POST", path: savePath, token: tok, body: `{"source":"` + strings.Repeat("a", 64<<10) + `"}`},
				status: http.StatusRequestEntityTooLarge, want: []string{`"statusCode":413`, `"error":"Request Entity Too Large"`}},
			{name: "nothing was saved", req: request{method: "GET", path: "/leads/me", token: tok}, status: http.StatusOK, want: []string{`"data":null`}},
			{name: "255 and 500 characters are fine", req: request{method: "POST", path: savePath, token: tok,
				body: fmt.Sprintf(`{"profile":{"guardianName":%q,"studentAddress":%q},"step":2.0}`, long(255), long(500))},
				status: http.StatusCreated, want: []string{`"onboardingStep":2`}},
		}
		e.runAll(t, scs)
	})
}

// The save rules of the contract, one save after another on one lead.
func TestSaveFlow(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		tok := e.token("stu-1", auth.RoleStudent)
		save := func(name, body string, status int, want []string, deny ...string) scenario {
			return scenario{name: name, req: request{method: "POST", path: savePath, token: tok, body: body}, status: status, want: want, deny: deny}
		}
		e.runAll(t, []scenario{
			save("first save creates", `{"profile":{"trainingLocation":"fct","hasGuardian":false},"step":1,"paymentPlan":"full","userId":"stu-2"}`,
				http.StatusCreated, []string{`"success":true`, `"message":"Lead saved successfully"`, `"userId":"stu-1"`,
					`"fullName":"Mercy Okafor"`, `"email":"mercy@example.com"`, `"phone":"+2348000000001"`,
					`"trainingLocation":"fct"`, `"trainingLocationName":"FCT Abuja"`, `"onboardingStep":1`,
					`"status":"PENDING"`, `"source":"onboarding_save_and_exit"`, `"centerId":null`, `"notes":null`, `"contactedAt":null`},
				`"warnings"`),
			save("second save updates; the stored name wins", `{"selectedCenter":{"id":"abuja-center","name":"Wrong Name"},"selectedCourse":{"id":"web-dev","name":"x"},"step":2}`,
				http.StatusOK, []string{`"centerId":"abuja-center"`, `"centerName":"Abuja Center"`, `"courseId":"web-dev"`,
					`"courseName":"Web Development"`, `"trainingLocation":"fct"`, `"onboardingStep":2`}, `"warnings"`),
			save("null, absent and empty keep stored values",
				`{"profile":{"trainingLocation":null,"studentAddress":"","centre":null,"hasGuardian":null},"selectedCenter":null,"selectedCourse":{"id":""},"step":null,"source":null}`,
				http.StatusOK, []string{`"trainingLocation":"fct"`, `"trainingLocationName":"FCT Abuja"`, `"centerId":"abuja-center"`,
					`"courseId":"web-dev"`, `"onboardingStep":2`, `"hasGuardian":false`}),
			save("a guardian without name or address is saved with warnings", `{"profile":{"hasGuardian":true,"guardianPhone":"+2348022222222","guardianEmail":"g@example.com"}}`,
				http.StatusOK, []string{`"hasGuardian":true`, `"guardianEmail":"g@example.com"`,
					`"warnings":[{"field":"profile.guardianName"`, `{"field":"profile.guardianAddress"`}),
			save("partial update keeps the guardian", `{"profile":{"guardianName":"Jane Okafor","guardianAddress":"1 Road"},"step":3}`,
				http.StatusOK, []string{`"guardianName":"Jane Okafor"`, `"guardianPhone":"+2348022222222"`, `"onboardingStep":3`}, `"warnings"`),
			save("hasGuardian false overwrites", `{"profile":{"hasGuardian":false}}`,
				http.StatusOK, []string{`"hasGuardian":false`, `"guardianName":"Jane Okafor"`}),
			save("an unknown centre is dropped with a warning", `{"selectedCenter":{"id":"nowhere","name":"Nowhere Centre"}}`,
				http.StatusOK, []string{`"centerId":null`, `"centerName":"Nowhere Centre"`, `{"field":"selectedCenter.id"`, `"courseId":"web-dev"`}),
			save("unknown course and location", `{"profile":{"trainingLocation":"mars"},"selectedCourse":{"id":"juggling"}}`,
				http.StatusOK, []string{`"trainingLocation":"mars"`, `"trainingLocationName":null`, `"courseId":null`,
					`{"field":"profile.trainingLocation"`, `{"field":"selectedCourse.id"`}),
			save("profile.centre is the centre id without selectedCenter", `{"profile":{"centre":"lagos-center"}}`,
				http.StatusOK, []string{`"centerId":"lagos-center"`, `"centerName":"Lagos Center"`}, `"warnings"`),
			save("an unknown profile.centre warns on that field", `{"profile":{"centre":"atlantis"}}`,
				http.StatusOK, []string{`"centerId":null`, `{"field":"profile.centre"`}),
			save("the source is kept when given", `{"source":"landing_page"}`, http.StatusOK, []string{`"source":"landing_page"`}),
		})
	})
}

func TestSaveUserNotFound(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.run(t, scenario{name: "no user record", req: request{method: "POST", path: savePath, token: e.token("ghost", auth.RoleStudent), body: `{"step":1}`},
			status: http.StatusNotFound, want: []string{`"statusCode":404`, `"message":"User not found"`}})
	})
}

// Concurrent first saves of one user: all succeed, one creates, one lead.
func TestConcurrentSaves(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		tok := e.token("stu-1", auth.RoleStudent)
		const n = 8
		statuses := make(chan int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				statuses <- e.do(request{method: "POST", path: savePath, token: tok, body: fmt.Sprintf(`{"step":%d}`, i%3+1)}).status
			})
		}
		wg.Wait()
		close(statuses)
		created := 0
		for s := range statuses {
			switch s {
			case http.StatusCreated:
				created++
			case http.StatusOK:
			default:
				t.Errorf("a concurrent save answered %d", s)
			}
		}
		if created != 1 {
			t.Errorf("%d saves answered 201, want exactly 1", created)
		}
		var page leads.LeadPage
		e.do(request{method: "GET", path: "/leads", token: e.token("staff-1", auth.RoleStaff)}).data(t, &page)
		if page.Total != 1 {
			t.Errorf("%d leads after concurrent saves, want 1", page.Total)
		}
	})
}

// POST /api/onboarding/save-lead answers as the guide's Next.js route.
func TestFrontendRoute(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		const path = "/api/onboarding/save-lead"
		student := e.token("stu-1", auth.RoleStudent)
		post := func(name string, req request, status int, want ...string) scenario {
			req.method, req.path = "POST", path
			return scenario{name: name, req: req, status: status, want: want}
		}
		e.runAll(t, []scenario{
			post("no cookie", request{body: `{}`}, http.StatusUnauthorized, `{"error":"Unauthorized"}`),
			post("bearer header is not enough", request{token: student, body: `{}`}, http.StatusUnauthorized, `{"error":"Unauthorized"}`),
			post("bad cookie", request{cookie: "nope", body: `{}`}, http.StatusUnauthorized, `{"error":"Unauthorized"}`),
			post("first save", request{cookie: student, body: `{"profile":{"trainingLocation":"fct"},"step":1,"userId":"stu-2"}`}, http.StatusOK,
				`{"success":true,"data":{"success":true,"message":"Lead saved successfully","data":{`, `"userId":"stu-1"`, `"trainingLocationName":"FCT Abuja"`),
			post("update with warnings", request{cookie: student, body: `{"selectedCourse":{"id":"unknown"}}`}, http.StatusOK,
				`"warnings":[{"field":"selectedCourse.id"`),
			post("validation", request{cookie: student, body: `{"step":7,"profile":{"guardianEmail":"x"}}`}, http.StatusBadRequest,
				`{"error":"Validation failed","errors":[{"field":"step"`, `{"field":"profile.guardianEmail","message":"must be a valid email address"}`),
			post("malformed", request{cookie: student, body: `{`}, http.StatusBadRequest, `{"error":"Malformed JSON body"}`),
			post("too large", request{cookie: student, body: `{"source":"` + strings.Repeat("a", 70000) + `"}`}, http.StatusRequestEntityTooLarge, `{"error":"`),
			post("unknown user", request{cookie: e.token("ghost", auth.RoleStudent), body: `{}`}, http.StatusNotFound, `{"error":"User not found"}`),
		})
	})
}

// The payment plan chosen on step 3 is saved with the lead (issue 12): a save
// stores it, GET returns it to the applicant and to staff, a save without it
// keeps it, and a later choice replaces it.
func TestSavePaymentPlan(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		tok := e.token("stu-1", auth.RoleStudent)
		staff := e.token("staff-1", auth.RoleStaff)
		save := func(name, body string, status int, want ...string) scenario {
			return scenario{name: name, req: request{method: "POST", path: savePath, token: tok, body: body}, status: status, want: want}
		}
		me := func(name string, want ...string) scenario {
			return scenario{name: name, req: request{method: "GET", path: "/leads/me", token: tok}, status: http.StatusOK, want: want}
		}
		e.runAll(t, []scenario{
			save("a save without a plan stores none", `{"step":1}`, http.StatusCreated, `"paymentPlan":null`),
			save("a save with a plan stores it", `{"step":3,"paymentPlan":"instalments"}`, http.StatusOK, `"paymentPlan":"instalments"`),
			me("GET /leads/me returns it", `"paymentPlan":"instalments"`, `"onboardingStep":3`),
			save("a save without a plan keeps it", `{"profile":{"studentAddress":"1 Road"}}`, http.StatusOK, `"paymentPlan":"instalments"`),
			save("null keeps it too", `{"paymentPlan":null}`, http.StatusOK, `"paymentPlan":"instalments"`),
			save("a new choice replaces it", `{"paymentPlan":"full"}`, http.StatusOK, `"paymentPlan":"full"`),
			me("GET /leads/me returns the new one", `"paymentPlan":"full"`),
		})

		var l leads.Lead
		e.do(request{method: "GET", path: "/leads/me", token: tok}).data(t, &l)
		if l.PaymentPlan == nil || *l.PaymentPlan != "full" {
			t.Fatalf("GET /leads/me: paymentPlan %v, want full", deref(l.PaymentPlan))
		}
		stored, err := e.store.LeadByUser(context.Background(), "stu-1")
		if err != nil || stored.PaymentPlan == nil || *stored.PaymentPlan != "full" {
			t.Errorf("stored lead: paymentPlan %v (err %v), want full", deref(stored.PaymentPlan), err)
		}
		e.run(t, scenario{name: "staff see it", req: request{method: "GET", path: "/leads/" + l.ID, token: staff},
			status: http.StatusOK, want: []string{`"paymentPlan":"full"`}})

		// The page's own route (what onboarding.js posts) stores it as well.
		e.run(t, scenario{name: "the frontend route stores it",
			req:    request{method: "POST", path: "/api/onboarding/save-lead", cookie: tok, body: `{"paymentPlan":"instalments"}`},
			status: http.StatusOK, want: []string{`"paymentPlan":"instalments"`}})
		if got, err := e.store.Lead(context.Background(), l.ID); err != nil || deref(got.PaymentPlan) != "instalments" {
			t.Errorf("after the frontend save: paymentPlan %v (err %v), want instalments", deref(got.PaymentPlan), err)
		}
	})
}
