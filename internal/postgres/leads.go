package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/schema"
)

// leadColumns is the column list every lead query returns, in scanLead's order.
const leadColumns = `id, user_id, full_name, email, phone, training_location, training_location_name,
	center_id, center_name, student_address, course_id, course_name, has_guardian, guardian_name,
	guardian_phone, guardian_email, guardian_address, onboarding_step, last_saved_at, status, source,
	notes, contacted_at, contacted_by, converted_at, converted_to_student_id, created_at, updated_at,
	payment_plan, assigned_to, assigned_at, assigned_how, step_reached, unsubscribed_at`

// LeadColumns are the columns a statement of the store returns a lead in
// (tools/loadgen's pgbench script returns the same).
const LeadColumns = leadColumns

// leadValues returns a lead's fields in leadColumns order, as stored.
func leadValues(l leads.Lead) []any {
	return []any{l.ID, l.UserID, l.FullName, l.Email, l.Phone, l.TrainingLocation, l.TrainingLocationName,
		l.CenterID, l.CenterName, l.StudentAddress, l.CourseID, l.CourseName, l.HasGuardian, l.GuardianName,
		l.GuardianPhone, l.GuardianEmail, l.GuardianAddress, l.OnboardingStep, l.LastSavedAt, string(l.Status), l.Source,
		l.Notes, l.ContactedAt, l.ContactedBy, l.ConvertedAt, l.ConvertedToStudentID,
		l.CreatedAt, l.UpdatedAt,
		l.PaymentPlan, l.AssignedTo, l.AssignedAt, schema.NullIfEmpty(l.AssignedHow), l.StepReached, l.UnsubscribedAt}
}

// scanLead reads one row of leadColumns, after the extra leading columns of
// first (if any).
func scanLead(row pgx.Row, first ...any) (leads.Lead, error) {
	return newLeadScanner(first...).scan(row)
}

// leadScanner reads rows of leadColumns (after the extra leading columns of
// first) into destinations it holds, set up once for a list or an export
// rather than for each row. They are pgx's own types (pgtype.Text for a
// nullable text, pgtype.Timestamptz, int32), for which pgx plans a direct
// decode: a *string or *time.Time field would be decoded through reflection
// and a wrapper for each value, which was a third of a list page's CPU.
type leadScanner struct {
	id, userID, fullName, email, status, source string
	hasGuardian                                 bool
	onboardingStep, stepReached                 int32
	text                                        [18]pgtype.Text       // the nullable texts, in leadColumns order
	times                                       [7]pgtype.Timestamptz // lastSavedAt, createdAt, updatedAt, then the nullable ones
	dest                                        []any
}

func newLeadScanner(first ...any) *leadScanner {
	sc := &leadScanner{}
	t, ts := &sc.text, &sc.times
	sc.dest = append(first, &sc.id, &sc.userID, &sc.fullName, &sc.email, &t[0], &t[1],
		&t[2], &t[3], &t[4], &t[5], &t[6], &t[7],
		&sc.hasGuardian, &t[8], &t[9], &t[10], &t[11],
		&sc.onboardingStep, &ts[0], &sc.status, &sc.source, &t[12], &ts[3],
		&t[13], &ts[4], &t[14], &ts[1], &ts[2],
		&t[15], &t[16], &ts[5], &t[17], &sc.stepReached, &ts[6])
	return sc
}

// scan reads the next row into a new Lead. The lead's optional texts and
// times point into two arrays of its own: two allocations a row instead of
// one for each value present.
func (sc *leadScanner) scan(row pgx.Row) (leads.Lead, error) {
	if err := row.Scan(sc.dest...); err != nil {
		return leads.Lead{}, err
	}
	texts := new([len(sc.text)]string)
	opt := func(i int) *string {
		if !sc.text[i].Valid {
			return nil
		}
		texts[i] = sc.text[i].String
		return &texts[i]
	}
	times := new([4]time.Time)
	optTime := func(i int) *time.Time {
		if !sc.times[3+i].Valid {
			return nil
		}
		times[i] = sc.times[3+i].Time.UTC()
		return &times[i]
	}
	l := leads.Lead{ID: sc.id, UserID: sc.userID, FullName: sc.fullName, Email: sc.email, Phone: opt(0),
		TrainingLocation: opt(1), TrainingLocationName: opt(2), CenterID: opt(3), CenterName: opt(4),
		StudentAddress: opt(5), CourseID: opt(6), CourseName: opt(7), HasGuardian: sc.hasGuardian,
		GuardianName: opt(8), GuardianPhone: opt(9), GuardianEmail: opt(10), GuardianAddress: opt(11),
		OnboardingStep: int(sc.onboardingStep), LastSavedAt: sc.times[0].Time.UTC(), Status: leads.Status(sc.status),
		Source: sc.source, Notes: opt(12), ContactedAt: optTime(0), ContactedBy: opt(13), ConvertedAt: optTime(1),
		ConvertedToStudentID: opt(14), CreatedAt: sc.times[1].Time.UTC(), UpdatedAt: sc.times[2].Time.UTC(),
		PaymentPlan: opt(15), AssignedTo: opt(16), AssignedAt: optTime(2), StepReached: int(sc.stepReached),
		UnsubscribedAt: optTime(3)}
	if how := opt(17); how != nil {
		l.AssignedHow = *how
	}
	return l, nil
}

// querier is what the pool and a transaction have in common.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// oneLead runs a query of at most one lead; no row is ErrLeadNotFound.
func oneLead(ctx context.Context, q querier, query string, args ...any) (leads.Lead, error) {
	l, err := scanLead(q.QueryRow(ctx, query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return leads.Lead{}, leads.ErrLeadNotFound
	}
	if err != nil {
		return leads.Lead{}, fmt.Errorf("postgres: read lead: %w", err)
	}
	return l, nil
}

// Lead returns the lead with the given id.
func (s *Store) Lead(ctx context.Context, id string) (leads.Lead, error) {
	return s.readLead(ctx, `SELECT `+leadColumns+` FROM leads WHERE id = $1`, id)
}

// readLead reads at most one lead through s.query (so with the caller's
// provisioning, if it is still to be done); no row is ErrLeadNotFound.
func (s *Store) readLead(ctx context.Context, query string, args ...any) (leads.Lead, error) {
	var l leads.Lead
	found := false
	err := s.query(ctx, func(rows pgx.Rows) (err error) {
		if found = rows.Next(); found {
			l, err = scanLead(rows)
		}
		return err
	}, query, args...)
	if err != nil {
		return leads.Lead{}, fmt.Errorf("postgres: read lead: %w", err)
	}
	if !found {
		return leads.Lead{}, leads.ErrLeadNotFound
	}
	return l, nil
}

// query runs a read and hands its rows to fn. When ctx carries the caller's
// provisioning (leads.WithProvision) still to be done, its statement goes
// ahead of the read in one batch: one round trip for both, and one implicit
// transaction, so the read runs only when the provisioning succeeded. fn's
// own error does not pass through pgx, which would drop its statement cache
// on a batch's error.
func (s *Store) query(ctx context.Context, fn func(pgx.Rows) error, sql string, args ...any) error {
	c, now, ok := leads.TakeProvision(ctx)
	if !ok {
		rows, err := s.pool.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		if err := fn(rows); err != nil {
			return err
		}
		rows.Close()
		return rows.Err()
	}
	var b pgx.Batch
	provision, provisionArgs := provisionSQL(c, now)
	b.Queue(provision, provisionArgs...)
	var fnErr error
	b.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		fnErr = fn(rows)
		return nil
	})
	if err := s.pool.SendBatch(ctx, &b).Close(); err != nil {
		return err
	}
	return fnErr
}

// LeadByUser returns the user's lead.
func (s *Store) LeadByUser(ctx context.Context, userID string) (leads.Lead, error) {
	return s.readLead(ctx, `SELECT `+leadColumns+` FROM leads WHERE user_id = $1`, userID)
}

// Resave runs schema.ResaveSQL: one statement, one round trip.
func (s *Store) Resave(ctx context.Context, c leads.Claims, in leads.SaveInput, now time.Time) (leads.Lead, bool, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	query := schema.ResaveSQL(in, c, now, leadColumns, arg, func(a, b string) string { return a + " IS NOT DISTINCT FROM " + b })
	l, err := scanLead(s.pool.QueryRow(ctx, query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return leads.Lead{}, false, nil
	}
	if err != nil {
		return leads.Lead{}, false, fmt.Errorf("postgres: resave: %w", err)
	}
	return l, true, nil
}

// Update runs fn in a transaction, and once more when PostgreSQL aborted it
// for a conflict with another transaction.
func (s *Store) Update(ctx context.Context, fn func(ctx context.Context, tx leads.Tx) error) error {
	return retryConflict(func() error {
		conn, err := s.pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release() // a connection left inside a transaction is closed, not reused
		change := &tx{conn: conn, s: s}
		defer func() {
			if change.tx != nil {
				_ = change.tx.Rollback(ctx) // after a commit, a no-op
			}
		}()
		if err := fn(ctx, change); err != nil {
			return err
		}
		if err := change.flush(ctx); err != nil {
			return err
		}
		if change.tx == nil {
			return nil // fn sent nothing
		}
		return change.tx.Commit(ctx)
	})
}

// tx is a leads.Tx on a pgx transaction. Its reads lock the rows they return
// (FOR NO KEY UPDATE: the foreign-key checks of other rows pointing at them
// still pass).
// The transaction begins with its first statement, and some of its writes
// are queued (pipeline.go).
type tx struct {
	conn    *pgxpool.Conn // the transaction's connection
	tx      pgx.Tx        // nil until BEGIN has been sent
	s       *Store
	pending queued
}

// ProvisionUser runs provisionSQL.
func (t *tx) ProvisionUser(ctx context.Context, c leads.Claims, now time.Time) error {
	query, args := provisionSQL(c, now)
	t.queue("provision user", query, args...)
	return nil
}

// LockLead reads and locks a lead by id.
func (t *tx) LockLead(ctx context.Context, id string) (leads.Lead, error) {
	return oneLead(ctx, t.db(), `SELECT `+leadColumns+` FROM leads WHERE id = $1 FOR NO KEY UPDATE`, id)
}

// LockLeadOfUser reads and locks a user's lead.
func (t *tx) LockLeadOfUser(ctx context.Context, userID string) (leads.Lead, error) {
	return oneLead(ctx, t.db(), `SELECT `+leadColumns+` FROM leads WHERE user_id = $1 FOR NO KEY UPDATE`, userID)
}

// LockForSave reads and locks the user's record and lead, and reads the
// rows the save's ids name: three statements in one round trip, with the
// writes queued before them (the provisioning).
func (t *tx) LockForSave(ctx context.Context, userID string, locationID, centerID, courseID *string) (leads.User, *leads.Lead, leads.References, error) {
	br, err := t.db().sendAll(ctx, func(b *pgx.Batch) {
		b.Queue(`SELECT full_name, email, phone FROM users WHERE id = $1 FOR NO KEY UPDATE`, userID)
		b.Queue(`SELECT `+leadColumns+` FROM leads WHERE user_id = $1 FOR NO KEY UPDATE`, userID)
		b.Queue(`SELECT l.id, l.name, c.id, c.name, co.id, co.name
			FROM (SELECT 1) AS one
			LEFT JOIN locations l ON l.id = $1
			LEFT JOIN centers c ON c.id = $2
			LEFT JOIN courses co ON co.id = $3`, locationID, centerID, courseID)
	})
	if err != nil {
		return leads.User{}, nil, leads.References{}, err
	}
	defer br.Close()
	u := leads.User{ID: userID}
	userErr := br.QueryRow().Scan(&u.FullName, &u.Email, &u.Phone)
	var stored *leads.Lead
	l, leadErr := scanLead(br.QueryRow())
	if leadErr == nil {
		stored = &l
	}
	var r [6]*string
	refsErr := br.QueryRow().Scan(&r[0], &r[1], &r[2], &r[3], &r[4], &r[5])
	switch {
	case errors.Is(userErr, pgx.ErrNoRows):
		return leads.User{}, nil, leads.References{}, leads.ErrUserNotFound
	case userErr != nil:
		return leads.User{}, nil, leads.References{}, fmt.Errorf("postgres: read user: %w", userErr)
	case leadErr != nil && !errors.Is(leadErr, pgx.ErrNoRows):
		return leads.User{}, nil, leads.References{}, fmt.Errorf("postgres: read lead: %w", leadErr)
	case refsErr != nil:
		return leads.User{}, nil, leads.References{}, fmt.Errorf("postgres: read references: %w", refsErr)
	}
	if err := br.Close(); err != nil {
		return leads.User{}, nil, leads.References{}, fmt.Errorf("postgres: read for the save: %w", err)
	}
	return u, stored, leads.NewReferences(r), nil
}

// InsertLead stores a new lead under a new id.
func (t *tx) InsertLead(ctx context.Context, l leads.Lead) (leads.Lead, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return leads.Lead{}, fmt.Errorf("postgres: new lead id: %w", err)
	}
	l.ID = id.String()
	t.queue("insert lead", `INSERT INTO leads (`+leadColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34)`, leadValues(l)...)
	return l, nil
}

// UpdateLead stores every field of the lead.
func (t *tx) UpdateLead(ctx context.Context, l leads.Lead) error {
	t.queue("update lead", `UPDATE leads SET user_id = $2, full_name = $3, email = $4, phone = $5,
		training_location = $6, training_location_name = $7, center_id = $8, center_name = $9,
		student_address = $10, course_id = $11, course_name = $12, has_guardian = $13, guardian_name = $14,
		guardian_phone = $15, guardian_email = $16, guardian_address = $17, onboarding_step = $18,
		last_saved_at = $19, status = $20, source = $21, notes = $22, contacted_at = $23, contacted_by = $24,
		converted_at = $25, converted_to_student_id = $26, created_at = $27, updated_at = $28,
		payment_plan = $29, assigned_to = $30, assigned_at = $31, assigned_how = $32, step_reached = $33,
		unsubscribed_at = $34 WHERE id = $1`, leadValues(l)...)
	return nil
}

// DeleteLead erases the lead; rows recorded about it go with it (ON DELETE
// CASCADE).
func (t *tx) DeleteLead(ctx context.Context, id string) error {
	if err := t.deleteJobsOf(ctx, id); err != nil {
		return err
	}
	tag, err := t.db().Exec(ctx, `DELETE FROM leads WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgres: delete lead: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return leads.ErrLeadNotFound
	}
	return nil
}

// StudentExists reports whether the student is in the reference table.
func (t *tx) StudentExists(ctx context.Context, id string) (bool, error) {
	var ok bool
	err := t.db().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM students WHERE id = $1)`, id).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("postgres: find student: %w", err)
	}
	return ok, nil
}

// StudentOfUser finds the user's student, or creates one.
func (t *tx) StudentOfUser(ctx context.Context, userID string, now time.Time) (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("postgres: new student id: %w", err)
	}
	// The unique index on students.user_id makes this a find-or-create; the
	// insert waits for a concurrent one for the user, which the next statement
	// then sees.
	if _, err := t.db().Exec(ctx, `INSERT INTO students (id, user_id, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO NOTHING`, id.String(), userID, now); err != nil {
		return "", fmt.Errorf("postgres: create student: %w", err)
	}
	var studentID string
	if err := t.db().QueryRow(ctx, `SELECT id FROM students WHERE user_id = $1`, userID).Scan(&studentID); err != nil {
		return "", fmt.Errorf("postgres: find student: %w", err)
	}
	return studentID, nil
}
