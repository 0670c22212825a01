// Command floor is the least the service's gets and re-saves can cost on
// this machine: an HTTP server that answers tools/loadgen's get, list and
// resave phases with one statement each to PostgreSQL through a pgx pool,
// and nothing else (no token, no decoding of columns or of the request's
// JSON, no JSON encoding, no log, no compression):
//
//   - GET /leads/{id}: the row's document;
//   - GET /leads?page=P&limit=L: L documents and the count of all rows, in
//     one statement (loadgen's get phase reads its ids from it);
//   - POST /leads/save-from-onboarding: the request's body written into a
//     row picked at random, and the row's document returned.
//
// Run against it, loadgen measures the HTTP exchange and one round trip to
// the database, which each such request of the service pays too;
// docs/benchmarks.md ("The machine's floor") compares the two.
//
//	floor -database-url 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//
// It prints its URL, serves until interrupted, then drops its table.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// rows is how many rows the table holds, lead-1 to lead-2000.
const rows = 2000

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run() error {
	dbURL := flag.String("database-url", "", "a PostgreSQL URL")
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	docBytes := flag.Int("doc-bytes", 900, "bytes of each row's document (the service's get answers about 850 gzipped)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pool, err := pgxpool.New(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	table := "floor_" + strconv.Itoa(os.Getpid())
	if err := createTable(ctx, pool, table, *docBytes); err != nil {
		return err
	}
	defer pool.Exec(context.Background(), `DROP TABLE `+table)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Printf("floor listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: handler(pool, table)}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// createTable creates table with its rows, each holding a document of about
// docBytes bytes.
func createTable(ctx context.Context, pool *pgxpool.Pool, table string, docBytes int) error {
	if _, err := pool.Exec(ctx, `CREATE TABLE `+table+` (id text PRIMARY KEY, doc text NOT NULL, body text)`); err != nil {
		return err
	}
	doc := `{"id":"%s","note":"` + strings.Repeat("x", max(0, docBytes-30)) + `"}`
	_, err := pool.Exec(ctx, `INSERT INTO `+table+` SELECT 'lead-' || i, format($1, 'lead-' || i) FROM generate_series(1, $2) AS i`, doc, rows)
	return err
}

// handler answers the three requests, one statement each.
func handler(pool *pgxpool.Pool, table string) http.Handler {
	get := `SELECT doc FROM ` + table + ` WHERE id = $1`
	page := `SELECT doc, (SELECT count(*) FROM ` + table + `) FROM ` + table + ` ORDER BY id LIMIT $1 OFFSET $2`
	save := `UPDATE ` + table + ` SET body = $2 WHERE id = $1 RETURNING doc`
	mux := http.NewServeMux()
	mux.HandleFunc("GET /leads/{id}", func(w http.ResponseWriter, r *http.Request) {
		var doc []byte
		if err := pool.QueryRow(r.Context(), get, r.PathValue("id")).Scan(&doc); err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		writeData(w, doc)
	})
	mux.HandleFunc("GET /leads", func(w http.ResponseWriter, r *http.Request) {
		p, _ := strconv.Atoi(r.URL.Query().Get("page"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit < 1 || limit > 100 {
			limit = 20
		}
		out := []byte(`{"leads":[`)
		var total int64
		var doc []byte
		rs, _ := pool.Query(r.Context(), page, limit, max(p-1, 0)*limit)
		_, err := pgx.ForEachRow(rs, []any{&doc, &total}, func() error {
			if out[len(out)-1] != '[' {
				out = append(out, ',')
			}
			out = append(out, doc...)
			return nil
		})
		if err != nil {
			http.Error(w, "failed", http.StatusInternalServerError)
			return
		}
		writeData(w, append(strconv.AppendInt(append(out, `],"total":`...), total, 10), '}'))
	})
	mux.HandleFunc("POST /leads/save-from-onboarding", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		var doc []byte
		if err := pool.QueryRow(r.Context(), save, "lead-"+strconv.Itoa(1+rand.IntN(rows)), body).Scan(&doc); err != nil {
			http.Error(w, "failed", http.StatusInternalServerError)
			return
		}
		writeData(w, doc)
	})
	return mux
}

// writeData answers 200 with {"data": data}.
func writeData(w http.ResponseWriter, data []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(append([]byte(`{"data":`), data...), '}'))
}
