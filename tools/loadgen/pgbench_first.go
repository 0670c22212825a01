package main

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/postgres"
	"github.com/leads/leads/internal/schema"
)

// pgbenchFirstSave is the pgbench script of a first save's transaction, for
// PostgreSQL alone to run it as the service does. It is not written by hand:
// it makes one first save through the store on the database at dbURL with a
// tracer on its connection, and writes down every statement the save sent,
// round trip by round trip (a batch becomes a pgbench pipeline), with the
// values that belong to the sample user (ids, e-mail, centre, course, the
// assignee) replaced by SQL that computes them for a new user each
// transaction. So the script follows the save as it grows. The sample's
// lead is erased afterwards; its user record stays.
func pgbenchFirstSave(ctx context.Context, dbURL string, cat catalogue) (string, error) {
	rec := &recorder{}
	s, err := postgres.OpenTraced(ctx, dbURL, rec)
	if err != nil {
		return "", err
	}
	defer s.Close()
	const sample = 0 // the first centre and its first course
	c, co := cat.centerOf(sample), cat.coursesOf(cat.centerOf(sample).id)[0]
	in, err := leads.ParseOnboarding(mustJSON(firstPayload(cat, sample)))
	if err != nil {
		return "", fmt.Errorf("the first save's payload does not parse: %w", err)
	}
	// Two saves: the first warms the connection as a running service's are
	// (statements prepared, River's one-off check of the server, its
	// notification of the queue, which it sends once in a while), the
	// second is written down.
	var claims leads.Claims
	var email string
	var lead leads.Lead
	now := leads.Timestamp(time.Now())
	for i := range 2 {
		stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
		name := "Pgbench Sample"
		email = "pgbench.sample." + stamp + "@example.com"
		claims = leads.Claims{UserID: "pgbench-sample-" + stamp, Name: &name, Email: &email}
		rec.record(i == 1)
		l, created, err := leads.SaveFromOnboarding(ctx, s, claims, in, now)
		rec.record(false)
		if err != nil {
			return "", fmt.Errorf("the sample first save: %w", err)
		}
		if !created || l.AssignedTo == nil {
			return "", errors.New("the sample save created no lead with an assignee: is the catalogue (with its staff) in the database?")
		}
		if err := leads.DeleteLead(ctx, s, l.ID, now); err != nil {
			return "", fmt.Errorf("erase the sample lead: %w", err)
		}
		lead = l
	}

	byCentre := func(f func(center) string) string { return pick("c", cat.perCentre(f)) }
	locationName := map[string]string{}
	for _, l := range cat.locations {
		locationName[l.id] = l.name
	}
	firstCourse := func(c center) course { return cat.coursesOf(c.id)[0] }
	r := &renderer{tokens: []token{
		{claims.UserID, "'pgbench-' || :n"},
		{email, "'pgbench.' || :n || '@example.com'"},
		{lead.ID, "'00000000-0000-7000-8000-' || :n"},
		{*lead.AssignedTo, ":last_staff_id"},
		{c.id, byCentre(func(c center) string { return c.id })},
		{c.name, byCentre(func(c center) string { return c.name })},
		{c.locationID, byCentre(func(c center) string { return c.locationID })},
		{locationName[c.locationID], byCentre(func(c center) string { return locationName[c.locationID] })},
		{co.id, byCentre(func(c center) string { return firstCourse(c).id })},
		{co.name, byCentre(func(c center) string { return firstCourse(c).name })},
	}}
	// Other ids made for the save (its activities') are new each time too.
	k := 0
	for _, trip := range rec.trips {
		for _, st := range trip {
			for _, id := range uuids(st.args) {
				if !r.has(id) {
					k++
					r.tokens = append(r.tokens, token{id, fmt.Sprintf("'%08x-0000-7000-8000-' || :n", k)})
				}
			}
		}
	}
	if err := r.check(); err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var b strings.Builder
	b.WriteString("-- A first save's transaction as the service sends it, rendered by\n-- loadgen -pgbench-first from a traced save: one pipeline per round trip.\n")
	// n names the transaction's user and ids: drawn from 2⁶³, two of a
	// run's transactions meet with a chance of about one in a billion.
	b.WriteString("\\set n random(1, 9000000000000000000)\n")
	fmt.Fprintf(&b, "\\set c :n %% %d + 1\n", len(cat.centers))
	turn := schema.TakeTurn("$1")
	gset := false
	for _, trip := range rec.trips {
		if len(trip) > 1 {
			b.WriteString("\\startpipeline\n")
		}
		for _, st := range trip {
			text, err := r.statement(ctx, conn, st)
			if err != nil {
				return "", err
			}
			b.WriteString(text)
			if st.sql == turn {
				if len(trip) > 1 {
					return "", errors.New("the turn went in a batch: pgbench cannot \\gset its assignee in a pipeline")
				}
				b.WriteString("\n\\gset\n") // the assignee, for what follows
				gset = true
			} else {
				b.WriteString(";\n")
			}
		}
		if len(trip) > 1 {
			b.WriteString("\\endpipeline\n")
		}
	}
	script := b.String()
	if !gset {
		return "", errors.New("the save took no turn the script could read its assignee from")
	}
	if v := strayVariable(script); v != "" {
		return "", fmt.Errorf("the script names a pgbench variable %q that it does not set", v)
	}
	return script, nil
}

// recorder is a pgx tracer that keeps, while on, what each round trip sent.
type recorder struct {
	mu    sync.Mutex
	on    bool
	trips [][]traced
}

type traced struct {
	sql  string
	args []any
}

func (r *recorder) record(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = on
}

func (r *recorder) add(trip []traced) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.on {
		r.trips = append(r.trips, trip)
	}
}

func (r *recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.add([]traced{{d.SQL, d.Args}})
	return ctx
}

func (r *recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *recorder) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	var trip []traced
	for _, q := range d.Batch.QueuedQueries {
		trip = append(trip, traced{q.SQL, q.Arguments})
	}
	r.add(trip)
	return ctx
}

func (r *recorder) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *recorder) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// token is a value of the sample save and the SQL that computes it for the
// transaction's user.
type token struct{ value, sql string }

// renderer writes traced statements with their values inline.
type renderer struct {
	tokens []token
	types  map[uint32]string // parameter types by OID
}

func (r *renderer) has(v string) bool {
	for _, t := range r.tokens {
		if t.value == v {
			return true
		}
	}
	return false
}

// check refuses tokens that could be read two ways: an empty one, or two
// that are the same.
func (r *renderer) check() error {
	seen := map[string]bool{}
	for _, t := range r.tokens {
		if t.value == "" || seen[t.value] {
			return fmt.Errorf("the sample's value %q is empty or not its own: pick another sample", t.value)
		}
		seen[t.value] = true
	}
	// Longest first, so that a value containing another is matched whole.
	sort.SliceStable(r.tokens, func(i, j int) bool { return len(r.tokens[i].value) > len(r.tokens[j].value) })
	return nil
}

var placeholder = regexp.MustCompile(`\$[0-9]+`)

// statement is st's SQL with each $n replaced by its value as SQL, cast to
// the type PostgreSQL gives the parameter, and its comments left out
// (pgbench would read ":name" in one as a variable).
func (r *renderer) statement(ctx context.Context, conn *pgx.Conn, st traced) (string, error) {
	var lines []string
	for _, l := range strings.Split(st.sql, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	text := strings.TrimSpace(strings.Join(lines, "\n"))
	if len(st.args) == 0 {
		return text, nil
	}
	sd, err := conn.Prepare(ctx, "", st.sql)
	if err != nil {
		return "", fmt.Errorf("describe %q: %w", firstLine(st.sql), err)
	}
	if len(sd.ParamOIDs) != len(st.args) {
		return "", fmt.Errorf("%q: %d parameters, %d values", firstLine(st.sql), len(sd.ParamOIDs), len(st.args))
	}
	values := make([]string, len(st.args))
	for i, a := range st.args {
		v, err := r.value(a)
		if err != nil {
			return "", fmt.Errorf("%q, $%d: %w", firstLine(st.sql), i+1, err)
		}
		typ, err := r.typeName(ctx, conn, sd.ParamOIDs[i])
		if err != nil {
			return "", err
		}
		values[i] = "(" + v + ")::" + typ
	}
	return placeholder.ReplaceAllStringFunc(text, func(p string) string {
		i, _ := strconv.Atoi(p[1:])
		return values[i-1]
	}), nil
}

func (r *renderer) typeName(ctx context.Context, conn *pgx.Conn, oid uint32) (string, error) {
	if name, ok := r.types[oid]; ok {
		return name, nil
	}
	var name string
	if err := conn.QueryRow(ctx, `SELECT format_type($1, NULL)`, oid).Scan(&name); err != nil {
		return "", fmt.Errorf("name of type %d: %w", oid, err)
	}
	if r.types == nil {
		r.types = map[uint32]string{}
	}
	r.types[oid] = name
	return name, nil
}

// value is a Go value as the SQL of the same value, the sample's values in it
// computed for the transaction.
func (r *renderer) value(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "NULL", nil
	case string:
		return r.text(v), nil
	case []byte:
		if v == nil {
			return "NULL", nil
		}
		return r.text(string(v)), nil
	case json.RawMessage:
		if v == nil {
			return "NULL", nil
		}
		return r.text(string(v)), nil
	case time.Time:
		return "now()", nil // the service's save has one time, as a transaction's now() is
	case bool:
		return strconv.FormatBool(v), nil
	}
	// A nil pointer is NULL before it is asked for a driver value, which a
	// method on the value type could not give it.
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && rv.IsNil() {
		return "NULL", nil
	}
	if v, ok := v.(driver.Valuer); ok {
		dv, err := v.Value()
		if err != nil {
			return "", err
		}
		return r.value(dv)
	}
	switch rv.Kind() {
	case reflect.Pointer:
		return r.value(rv.Elem().Interface())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(rv.Float(), 'g', -1, 64), nil
	case reflect.String:
		return r.text(rv.String()), nil
	case reflect.Slice:
		if rv.IsNil() {
			return "NULL", nil
		}
		if rv.Len() == 0 {
			return "'{}'", nil
		}
		items := make([]string, rv.Len())
		for i := range items {
			item, err := r.value(rv.Index(i).Interface())
			if err != nil {
				return "", err
			}
			items[i] = item
		}
		return "ARRAY[" + strings.Join(items, ", ") + "]", nil
	}
	return "", fmt.Errorf("no SQL for a value of type %T", v)
}

// text is s as SQL: literals, and the tokens' SQL where the sample's values
// are.
func (r *renderer) text(s string) string {
	var parts []string
	lit := 0
	for i := 0; i < len(s); {
		matched := false
		for _, t := range r.tokens {
			if strings.HasPrefix(s[i:], t.value) {
				if lit < i {
					parts = append(parts, quote(s[lit:i]))
				}
				parts = append(parts, "("+t.sql+")")
				i += len(t.value)
				lit, matched = i, true
				break
			}
		}
		if !matched {
			i++
		}
	}
	if lit < len(s) || len(parts) == 0 {
		parts = append(parts, quote(s[lit:]))
	}
	return strings.Join(parts, " || ")
}

// quote is s as an SQL literal. A colon followed by a name's character ends
// a literal and the rest follows as another: pgbench would read ":name"
// as a variable, even between quotes.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			b.WriteString("''")
		case c == ':' && i+1 < len(s) && isNameByte(s[i+1]):
			b.WriteString(":' || '")
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

func isNameByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

var uuidText = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// uuids returns the UUIDs in the text of the values, in order.
func uuids(args []any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, uuidText.FindAllString(v, -1)...)
			return
		case []byte:
			out = append(out, uuidText.FindAllString(string(v), -1)...)
			return
		case json.RawMessage:
			out = append(out, uuidText.FindAllString(string(v), -1)...)
			return
		}
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Pointer:
			if !rv.IsNil() {
				walk(rv.Elem().Interface())
			}
		case reflect.Slice:
			for i := 0; i < rv.Len(); i++ {
				walk(rv.Index(i).Interface())
			}
		case reflect.String:
			walk(rv.String())
		}
	}
	for _, a := range args {
		walk(a)
	}
	return out
}

var pgbenchVariable = regexp.MustCompile(`::|:'|:([A-Za-z_][A-Za-z0-9_]*)`)

// strayVariable returns a name pgbench would read as a variable in script
// that the script does not set, or "".
func strayVariable(script string) string {
	for _, m := range pgbenchVariable.FindAllStringSubmatch(script, -1) {
		if m[1] != "" && m[1] != "n" && m[1] != "c" && m[1] != "last_staff_id" {
			return m[1]
		}
	}
	return ""
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
