package web

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// Every endpoint, every role: 401 without a token, 403 below its role, and the
// endpoint's answer at its role. Rows run in order, so the lead exists for the
// ones that need it and the erasure comes last.
func TestRolesOnEveryEndpoint(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		lead := e.do(request{method: "POST", path: "/leads/save-from-onboarding", token: e.token("stu-1", auth.RoleStudent), body: `{"step":1}`})
		var l leads.Lead
		lead.data(t, &l)

		tokens := map[auth.Role]string{
			auth.RoleStudent: e.token("stu-2", auth.RoleStudent),
			auth.RoleStaff:   e.token("staff-1", auth.RoleStaff),
			auth.RoleAdmin:   e.token("admin-1", auth.RoleAdmin),
		}
		roles := []auth.Role{auth.RoleStudent, auth.RoleStaff, auth.RoleAdmin}
		tests := []struct {
			method, path, body string
			min                auth.Role // "" for public endpoints
			status             int       // at role min
		}{
			{"POST", "/leads/save-from-onboarding", `{"step":1}`, auth.RoleStudent, http.StatusCreated},
			{"GET", "/leads/me", "", auth.RoleStudent, http.StatusOK},
			{"GET", "/leads", "", auth.RoleStaff, http.StatusOK},
			{"GET", "/leads/user/stu-1", "", auth.RoleStaff, http.StatusOK},
			{"GET", "/leads/" + l.ID, "", auth.RoleStaff, http.StatusOK},
			{"PUT", "/leads/" + l.ID + "/status", `{"status":"CONTACTED"}`, auth.RoleStaff, http.StatusOK},
			{"PUT", "/leads/" + l.ID + "/convert", `{"studentId":"student-1"}`, auth.RoleStaff, http.StatusOK},
			{"PUT", "/users/u-new", `{"fullName":"New User","email":"new@example.com"}`, auth.RoleAdmin, http.StatusCreated},
			{"PUT", "/locations/kano", `{"name":"Kano"}`, auth.RoleAdmin, http.StatusCreated},
			{"PUT", "/centers/kano-center", `{"name":"Kano Center","locationId":"kano"}`, auth.RoleAdmin, http.StatusCreated},
			{"PUT", "/courses/fashion", `{"name":"Fashion Design","centerId":"kano-center"}`, auth.RoleAdmin, http.StatusCreated},
			{"PUT", "/students/student-9", `{"userId":"u-new"}`, auth.RoleAdmin, http.StatusCreated},
			{"GET", "/locations", "", "", http.StatusOK},
			{"GET", "/centers?locationId=kano", "", "", http.StatusOK},
			{"GET", "/courses?centerId=kano-center", "", "", http.StatusOK},
			{"DELETE", "/leads/" + l.ID, "", auth.RoleAdmin, http.StatusOK},
		}
		for _, tt := range tests {
			t.Run(tt.method+" "+tt.path, func(t *testing.T) {
				if tt.min == "" {
					e.run(t, scenario{name: "anonymous", req: request{method: tt.method, path: tt.path}, status: tt.status, want: []string{`"success":true`}})
					return
				}
				e.run(t, scenario{name: "no token", req: request{method: tt.method, path: tt.path, body: tt.body},
					status: http.StatusUnauthorized, want: []string{`"statusCode":401`, `"error":"Unauthorized"`}})
				for _, role := range roles {
					if role.AtLeast(tt.min) {
						break
					}
					e.run(t, scenario{name: string(role), req: request{method: tt.method, path: tt.path, token: tokens[role], body: tt.body},
						status: http.StatusForbidden, want: []string{`"statusCode":403`, `"error":"Forbidden"`}})
				}
				e.run(t, scenario{name: string(tt.min), req: request{method: tt.method, path: tt.path, token: tokens[tt.min], body: tt.body},
					status: tt.status})
			})
		}
	})
}

// rawToken signs arbitrary claims with alg and key (nil key: alg none).
func rawToken(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestInvalidTokens(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		now := time.Now()
		exp := now.Add(time.Hour).Unix()
		expired, err := auth.Mint(testSecret, auth.Principal{UserID: "stu-1", Role: auth.RoleStudent}, time.Hour, now.Add(-2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		good := e.token("stu-1", auth.RoleStudent)
		parts := strings.Split(good, ".")
		none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
		tokens := map[string]string{
			"expired":        expired,
			"alg none":       none,
			"bad signature":  rawToken(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret!!"), jwt.MapClaims{"sub": "stu-1", "exp": exp}),
			"tampered":       parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"stu-2","role":"admin","exp":9999999999}`)) + "." + parts[2],
			"HS384":          rawToken(t, jwt.SigningMethodHS384, testSecret, jwt.MapClaims{"sub": "stu-1", "exp": exp}),
			"no exp":         rawToken(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "stu-1"}),
			"no sub":         rawToken(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"exp": exp}),
			"unknown role":   rawToken(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "stu-1", "role": "superuser", "exp": exp}),
			"not a JWT":      "hello",
			"staff as admin": rawToken(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "stu-1", "role": "Admin", "exp": exp}),
		}
		for name, tok := range tokens {
			e.run(t, scenario{name: name, req: request{method: "GET", path: "/leads/me", token: tok},
				status: http.StatusUnauthorized, want: []string{`"statusCode":401`, `"success":false`}})
			e.run(t, scenario{name: name + " (cookie)", req: request{method: "GET", path: "/leads/me", cookie: tok},
				status: http.StatusUnauthorized})
		}
		e.runAll(t, []scenario{
			{name: "basic scheme", req: request{method: "GET", path: "/leads/me", header: map[string]string{"Authorization": "Basic " + good}}, status: http.StatusUnauthorized},
			{name: "empty bearer", req: request{method: "GET", path: "/leads/me", header: map[string]string{"Authorization": "Bearer "}}, status: http.StatusUnauthorized},
			{name: "lower-case bearer is fine", req: request{method: "GET", path: "/leads/me", header: map[string]string{"Authorization": "bearer " + good}}, status: http.StatusOK},
		})
	})
}

// The header wins over the cookie; the cookie alone is enough on the API.
func TestHeaderWinsOverCookie(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		student, staff := e.token("stu-1", auth.RoleStudent), e.token("staff-1", auth.RoleStaff)
		e.runAll(t, []scenario{
			{name: "cookie alone", req: request{method: "GET", path: "/leads/me", cookie: student}, status: http.StatusOK, want: []string{`"data":null`}},
			{name: "staff header, student cookie", req: request{method: "GET", path: "/leads", token: staff, cookie: student}, status: http.StatusOK},
			{name: "student header, staff cookie", req: request{method: "GET", path: "/leads", token: student, cookie: staff}, status: http.StatusForbidden},
			{name: "bad header, good cookie", req: request{method: "GET", path: "/leads/me", token: "nope", cookie: student}, status: http.StatusUnauthorized},
		})
	})
}

func TestJustInTimeUsers(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.seed(context.Background())
		admin := e.token("admin-1", auth.RoleAdmin)
		ada := e.token("jit-1", auth.RoleStudent, "Ada Obi", "ada@example.com", "+2348011111111")
		e.runAll(t, []scenario{
			{name: "no record, no claims", req: request{method: "POST", path: "/leads/save-from-onboarding", token: e.token("jit-0", auth.RoleStudent), body: `{}`},
				status: http.StatusNotFound, want: []string{`"message":"User not found"`}},
			{name: "email claim alone creates nothing", req: request{method: "POST", path: "/leads/save-from-onboarding",
				token: e.tokenWith("jit-0", nil, ptr("x@example.com"), nil), body: `{}`},
				status: http.StatusNotFound, want: []string{`"message":"User not found"`}},
			{name: "name and email create the user", req: request{method: "POST", path: "/leads/save-from-onboarding", token: ada, body: `{"step":1}`},
				status: http.StatusCreated, want: []string{`"fullName":"Ada Obi"`, `"email":"ada@example.com"`, `"phone":"+2348011111111"`}},
			{name: "changed name refreshes the record", req: request{method: "POST", path: "/leads/save-from-onboarding",
				token: e.token("jit-1", auth.RoleStudent, "Ada Obi-Okafor", "ada@example.com"), body: `{}`},
				status: http.StatusOK, want: []string{`"fullName":"Ada Obi-Okafor"`, `"phone":"+2348011111111"`}},
		})

		// A second instance of the service on the same database: an admin
		// replaces the record through it, and the first instance applies the
		// same claims again on the next request (no per-process memory of
		// what was provisioned).
		same := e.token("jit-1", auth.RoleStudent, "Ada Obi-Okafor", "ada@example.com")
		e.run(t, scenario{name: "claims seen once", req: request{method: "GET", path: "/leads/me", token: same}, status: http.StatusOK})
		other := newEnv(t, e.store)
		other.run(t, scenario{name: "admin replaces on the other instance", req: request{method: "PUT", path: "/users/jit-1", token: admin,
			body: `{"fullName":"Someone Else","email":"else@example.com"}`}, status: http.StatusOK})
		e.run(t, scenario{name: "a read with the claims refreshes the record", req: request{method: "GET", path: "/leads/me", token: same},
			status: http.StatusOK})
		e.run(t, scenario{name: "the save sees the claims", req: request{method: "POST", path: "/leads/save-from-onboarding",
			token: e.token("jit-1", auth.RoleStudent), body: `{}`},
			status: http.StatusOK, want: []string{`"fullName":"Ada Obi-Okafor"`, `"email":"ada@example.com"`}})

		// A read provisions its caller along with its statement; one refused
		// before it reaches the store provisions all the same.
		e.runAll(t, []scenario{
			{name: "a refused read", req: request{method: "GET", path: "/leads?step=9", token: e.token("jit-2", auth.RoleStaff, "Bola Ade", "bola@example.com")},
				status: http.StatusBadRequest, want: []string{`"step"`}},
			{name: "has created the record", req: request{method: "POST", path: "/leads/save-from-onboarding", token: e.token("jit-2", auth.RoleStudent), body: `{}`},
				status: http.StatusCreated, want: []string{`"fullName":"Bola Ade"`, `"email":"bola@example.com"`}},
			{name: "a read of another's lead, forbidden", req: request{method: "GET", path: "/leads/user/jit-1", token: e.token("jit-3", auth.RoleStudent, "Chi Eze", "chi@example.com")},
				status: http.StatusForbidden},
			{name: "has created the record too", req: request{method: "POST", path: "/leads/save-from-onboarding", token: e.token("jit-3", auth.RoleStudent), body: `{}`},
				status: http.StatusCreated, want: []string{`"fullName":"Chi Eze"`}},
		})
	})
}

// tokenWith mints a student token with exactly the given profile claims.
func (e *env) tokenWith(sub string, name, email, phone *string) string {
	e.t.Helper()
	tok, err := auth.Mint(testSecret, auth.Principal{UserID: sub, Role: auth.RoleStudent, Name: name, Email: email, Phone: phone}, time.Hour, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}
