package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/leads/leads/internal/auth"
)

func TestReferenceData(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.token("admin-1", auth.RoleAdmin)
		put := func(name, path, body string, status int, want ...string) scenario {
			return scenario{name: name, req: request{method: "PUT", path: path, token: admin, body: body}, status: status, want: want}
		}
		get := func(name, path string, want ...string) scenario {
			return scenario{name: name, req: request{method: "GET", path: path}, status: http.StatusOK, want: want}
		}
		e.runAll(t, []scenario{
			get("no locations yet", "/locations", `{"success":true,"data":[]}`),
			put("user created", "/users/u1", `{"fullName":"Mercy Okafor","email":"mercy@example.com","phone":"+234800"}`, http.StatusCreated,
				`"data":{"id":"u1","fullName":"Mercy Okafor","email":"mercy@example.com","phone":"+234800"}`),
			put("user replaced", "/users/u1", `{"fullName":"Mercy O.","email":"mercy@example.com"}`, http.StatusOK,
				`"data":{"id":"u1","fullName":"Mercy O.","email":"mercy@example.com","phone":null}`),
			put("user without a name", "/users/u2", `{"email":"x@example.com"}`, http.StatusBadRequest, `"field":"fullName"`),
			put("user without an email", "/users/u2", `{"fullName":"X"}`, http.StatusBadRequest, `"field":"email"`),
			put("user with a bad email", "/users/u2", `{"fullName":"X","email":"x"}`, http.StatusBadRequest, `"field":"email"`),
			put("user malformed", "/users/u2", `{"fullName":`, http.StatusBadRequest),
			put("location created", "/locations/fct", `{"name":"FCT Abuja"}`, http.StatusCreated, `"data":{"id":"fct","name":"FCT Abuja"}`),
			put("location replaced", "/locations/fct", `{"name":"Abuja (FCT)"}`, http.StatusOK, `"name":"Abuja (FCT)"`),
			put("location without a name", "/locations/kano", `{}`, http.StatusBadRequest, `"field":"name"`),
			put("location name too long", "/locations/kano", `{"name":"`+strings.Repeat("x", 256)+`"}`, http.StatusBadRequest, `"field":"name"`),
			put("centre in an unknown location", "/centers/c1", `{"name":"Abuja Center","locationId":"nowhere"}`, http.StatusBadRequest, `"field":"locationId"`),
			put("centre created", "/centers/c1", `{"name":"Abuja Center","locationId":"fct"}`, http.StatusCreated, `"locationId":"fct"`),
			put("centre without a location", "/centers/c2", `{"name":"Mobile Center"}`, http.StatusCreated, `"locationId":null`),
			put("centre without a name", "/centers/c3", `{"locationId":"fct"}`, http.StatusBadRequest, `"field":"name"`),
			put("course at an unknown centre", "/courses/k1", `{"name":"Web","centerId":"nowhere"}`, http.StatusBadRequest, `"field":"centerId"`),
			put("course created", "/courses/k1", `{"name":"Web Development","centerId":"c1"}`, http.StatusCreated, `"centerId":"c1"`),
			put("course replaced", "/courses/k1", `{"name":"Web Development 2","centerId":"c1"}`, http.StatusOK, `"name":"Web Development 2"`),
			put("course without a name", "/courses/k2", `{"centerId":"c1"}`, http.StatusBadRequest, `"field":"name"`),
			put("course with details", "/courses/k3", `{"name":"Solar","centerId":"c2","description":"Panels and inverters.","duration":"8 weeks","fee":"₦120,000"}`,
				http.StatusCreated, `"description":"Panels and inverters.","duration":"8 weeks","fee":"₦120,000"`),
			put("course with a description too long", "/courses/k4", `{"name":"X","description":"`+strings.Repeat("d", 1001)+`"}`,
				http.StatusBadRequest, `"field":"description"`),
			put("course with a fee that is not text", "/courses/k4", `{"name":"X","fee":150000}`, http.StatusBadRequest, `"field":"fee"`),
			put("student of an unknown user", "/students/s1", `{"userId":"nobody"}`, http.StatusBadRequest, `"field":"userId"`),
			put("student created", "/students/s1", `{"userId":"u1"}`, http.StatusCreated, `"data":{"id":"s1","userId":"u1"}`),
			put("student without a user", "/students/s2", `{}`, http.StatusCreated, `"userId":null`),
			put("a user belongs to one student", "/students/s3", `{"userId":"u1"}`, http.StatusConflict, `"statusCode":409`),
			put("student replaced", "/students/s2", `{}`, http.StatusOK),
			put("body not an object", "/students/s4", `[]`, http.StatusBadRequest, `"field":"body"`),
			get("locations", "/locations", `"data":[{"id":"fct","name":"Abuja (FCT)"}]`),
			get("centres of a location", "/centers?locationId=fct", `"data":[{"id":"c1","name":"Abuja Center","locationId":"fct"}]`),
			get("all centres by name", "/centers", `"data":[{"id":"c1","name":"Abuja Center","locationId":"fct"},{"id":"c2","name":"Mobile Center","locationId":null}]`),
			get("centres of an unknown location", "/centers?locationId=nowhere", `"data":[]`),
			get("courses of a centre", "/courses?centerId=c1", `"data":[{"id":"k1","name":"Web Development 2","centerId":"c1"}]`),
			get("courses of an unknown centre", "/courses?centerId=nowhere", `"data":[]`),
			get("a course's details", "/courses?centerId=c2", `{"id":"k3","name":"Solar","centerId":"c2","description":"Panels and inverters.","duration":"8 weeks","fee":"₦120,000"}`),
		})
	})
}
