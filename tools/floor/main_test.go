package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/leads/leads/internal/testdb"
)

// TestFloorAnswersLoadgen: the three answers have the shapes loadgen reads
// (ids and a total from the list, a document by id, a save that writes its
// body), so a floor run measures requests that worked.
func TestFloorAnswersLoadgen(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testdb.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := createTable(ctx, pool, "floor_test", 900); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler(pool, "floor_test"))
	defer srv.Close()

	var list struct {
		Data struct {
			Leads []struct {
				ID string `json:"id"`
			} `json:"leads"`
			Total int `json:"total"`
		} `json:"data"`
	}
	call(t, http.MethodGet, srv.URL+"/leads?page=2&limit=10", "", http.StatusOK, &list)
	if list.Data.Total != rows || len(list.Data.Leads) != 10 || list.Data.Leads[0].ID == "" {
		t.Fatalf("list: total %d, %d leads (%+v); want %d and 10 with ids", list.Data.Total, len(list.Data.Leads), list.Data.Leads, rows)
	}

	var one struct {
		Data struct {
			ID   string `json:"id"`
			Note string `json:"note"`
		} `json:"data"`
	}
	call(t, http.MethodGet, srv.URL+"/leads/lead-7", "", http.StatusOK, &one)
	if one.Data.ID != "lead-7" || len(one.Data.Note) != 870 {
		t.Fatalf("get: id %q, note of %d bytes; want lead-7 and 870", one.Data.ID, len(one.Data.Note))
	}
	call(t, http.MethodGet, srv.URL+"/leads/nobody", "", http.StatusNotFound, nil)

	call(t, http.MethodPost, srv.URL+"/leads/save-from-onboarding", `{"step":2}`, http.StatusOK, &one)
	var saved int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM floor_test WHERE body = '{"step":2}'`).Scan(&saved); err != nil || saved != 1 {
		t.Fatalf("save: %d rows hold the body (%v), want 1", saved, err)
	}
}

// call sends a request and decodes the answer's JSON into out (when not nil).
func call(t *testing.T, method, url, body string, want int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
}
