package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/schema"
)

// leadColumns is the column list every lead query returns, in scanLead's order.
const leadColumns = `id, user_id, full_name, email, phone, training_location, training_location_name,
	center_id, center_name, student_address, course_id, course_name, has_guardian, guardian_name,
	guardian_phone, guardian_email, guardian_address, onboarding_step, last_saved_at, status, source,
	notes, contacted_at, contacted_by, converted_at, converted_to_student_id, created_at, updated_at,
	payment_plan, assigned_to, assigned_at, assigned_how, step_reached, unsubscribed_at`

// leadValues returns a lead's fields in leadColumns order, as stored.
func leadValues(l leads.Lead) []any {
	return []any{l.ID, l.UserID, l.FullName, l.Email, l.Phone, l.TrainingLocation, l.TrainingLocationName,
		l.CenterID, l.CenterName, l.StudentAddress, l.CourseID, l.CourseName, l.HasGuardian, l.GuardianName,
		l.GuardianPhone, l.GuardianEmail, l.GuardianAddress, l.OnboardingStep, timeText(l.LastSavedAt), string(l.Status), l.Source,
		l.Notes, optTimeText(l.ContactedAt), l.ContactedBy, optTimeText(l.ConvertedAt), l.ConvertedToStudentID,
		timeText(l.CreatedAt), timeText(l.UpdatedAt),
		l.PaymentPlan, l.AssignedTo, optTimeText(l.AssignedAt), schema.NullIfEmpty(l.AssignedHow), l.StepReached,
		optTimeText(l.UnsubscribedAt)}
}

type scanner interface{ Scan(dest ...any) error }

// scanLead reads one row of leadColumns, after the extra leading columns of
// first (if any).
func scanLead(row scanner, first ...any) (leads.Lead, error) {
	return newLeadScanner(first...).scan(row)
}

// leadScanner reads rows of leadColumns (after the extra leading columns of
// first) through destinations it holds, so that a list or an export sets
// them up once rather than for each row.
type leadScanner struct {
	l    leads.Lead
	how  *string
	dest []any
}

func newLeadScanner(first ...any) *leadScanner {
	sc := &leadScanner{}
	l := &sc.l
	sc.dest = append(first, &l.ID, &l.UserID, &l.FullName, &l.Email, &l.Phone, &l.TrainingLocation,
		&l.TrainingLocationName, &l.CenterID, &l.CenterName, &l.StudentAddress, &l.CourseID, &l.CourseName,
		&l.HasGuardian, &l.GuardianName, &l.GuardianPhone, &l.GuardianEmail, &l.GuardianAddress,
		&l.OnboardingStep, scanTime{&l.LastSavedAt}, &l.Status, &l.Source, &l.Notes, scanOptTime{&l.ContactedAt},
		&l.ContactedBy, scanOptTime{&l.ConvertedAt}, &l.ConvertedToStudentID, scanTime{&l.CreatedAt}, scanTime{&l.UpdatedAt},
		&l.PaymentPlan, &l.AssignedTo, scanOptTime{&l.AssignedAt}, &sc.how, &l.StepReached, scanOptTime{&l.UnsubscribedAt})
	return sc
}

// scan reads the next row, from a zero Lead each time so that no pointer a
// field holds is shared with the lead of the row before.
func (sc *leadScanner) scan(row scanner) (leads.Lead, error) {
	sc.l, sc.how = leads.Lead{}, nil
	if err := row.Scan(sc.dest...); err != nil {
		return leads.Lead{}, err
	}
	l := sc.l
	if sc.how != nil {
		l.AssignedHow = *sc.how
	}
	return l, nil
}

// querier is a pool, a connection or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// oneLead runs a query of at most one lead; no row is ErrLeadNotFound.
func oneLead(ctx context.Context, q querier, query string, args ...any) (leads.Lead, error) {
	l, err := scanLead(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return leads.Lead{}, leads.ErrLeadNotFound
	}
	if err != nil {
		return leads.Lead{}, fmt.Errorf("sqlite: read lead: %w", err)
	}
	return l, nil
}

// Lead returns the lead with the given id.
func (s *Store) Lead(ctx context.Context, id string) (leads.Lead, error) {
	if err := s.provisionPending(ctx); err != nil {
		return leads.Lead{}, err
	}
	return oneLead(ctx, s.read, `SELECT `+leadColumns+` FROM leads WHERE id = ?1`, id)
}

// LeadByUser returns the user's lead.
func (s *Store) LeadByUser(ctx context.Context, userID string) (leads.Lead, error) {
	if err := s.provisionPending(ctx); err != nil {
		return leads.Lead{}, err
	}
	return oneLead(ctx, s.read, `SELECT `+leadColumns+` FROM leads WHERE user_id = ?1`, userID)
}

// Resave runs schema.ResaveSQL in the batcher's next transaction.
func (s *Store) Resave(ctx context.Context, c leads.Claims, in leads.SaveInput, now time.Time) (leads.Lead, bool, error) {
	var l leads.Lead
	var found bool
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) (err error) {
		l, found, err = resaveIn(ctx, tx, c, in, now)
		return err
	})
	if err != nil {
		return leads.Lead{}, false, fmt.Errorf("sqlite: resave: %w", err)
	}
	return l, found, nil
}

// resaveIn runs schema.ResaveSQL in tx.
func resaveIn(ctx context.Context, tx *sql.Tx, c leads.Claims, in leads.SaveInput, now time.Time) (leads.Lead, bool, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "?" + strconv.Itoa(len(args)) }
	query := schema.ResaveSQL(in, c, timeText(now), leadColumns, arg, func(a, b string) string { return a + " IS " + b })
	l, err := scanLead(tx.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return leads.Lead{}, false, nil
	}
	return l, err == nil, err
}

// Update runs fn in the batcher's next transaction (batch.go), in a savepoint
// of its own.
func (s *Store) Update(ctx context.Context, fn func(ctx context.Context, tx leads.Tx) error) error {
	return s.write(ctx, func(ctx context.Context, t *sql.Tx) error { return fn(ctx, &tx{tx: t, s: s}) })
}

// tx is a leads.Tx on the writer's transaction. The single writer makes every
// transaction exclusive, so a read here is as good as a lock.
type tx struct {
	tx *sql.Tx
	s  *Store
	// read holds the values of the leads this change read, by id, so that
	// UpdateLead sets only the columns that changed: SQLite rewrites every
	// index with a column the UPDATE sets, changed or not, and a lead has a
	// dozen indexes.
	read map[string][]any
}

// remember keeps the values of a lead the change read.
func (t *tx) remember(l leads.Lead) {
	if t.read == nil {
		t.read = map[string][]any{}
	}
	t.read[l.ID] = leadValues(l)
}

// ProvisionUser runs provisionSQL.
func (t *tx) ProvisionUser(ctx context.Context, c leads.Claims, now time.Time) error {
	query, args := provisionSQL(c, now)
	if _, err := t.tx.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("sqlite: provision user: %w", err)
	}
	return nil
}

// LockForSave reads the user's record and lead, and the rows the save's ids
// name (the writer's transaction is exclusive: nothing else changes them).
func (t *tx) LockForSave(ctx context.Context, userID string, locationID, centerID, courseID *string) (leads.User, *leads.Lead, leads.References, error) {
	u, err := t.lockUser(ctx, userID)
	if err != nil {
		return leads.User{}, nil, leads.References{}, err
	}
	var stored *leads.Lead
	l, err := t.LockLeadOfUser(ctx, userID)
	switch {
	case err == nil:
		stored = &l
	case !errors.Is(err, leads.ErrLeadNotFound):
		return leads.User{}, nil, leads.References{}, err
	}
	refs, err := t.references(ctx, locationID, centerID, courseID)
	if err != nil {
		return leads.User{}, nil, leads.References{}, err
	}
	return u, stored, refs, nil
}

// lockUser reads the user's record.
func (t *tx) lockUser(ctx context.Context, id string) (leads.User, error) {
	u := leads.User{ID: id}
	err := t.tx.QueryRowContext(ctx, `SELECT full_name, email, phone FROM users WHERE id = ?1`, id).
		Scan(&u.FullName, &u.Email, &u.Phone)
	if errors.Is(err, sql.ErrNoRows) {
		return leads.User{}, leads.ErrUserNotFound
	}
	if err != nil {
		return leads.User{}, fmt.Errorf("sqlite: read user: %w", err)
	}
	return u, nil
}

// LockLead reads a lead by id.
func (t *tx) LockLead(ctx context.Context, id string) (leads.Lead, error) {
	l, err := oneLead(ctx, t.tx, `SELECT `+leadColumns+` FROM leads WHERE id = ?1`, id)
	if err == nil {
		t.remember(l)
	}
	return l, err
}

// LockLeadOfUser reads a user's lead.
func (t *tx) LockLeadOfUser(ctx context.Context, userID string) (leads.Lead, error) {
	l, err := oneLead(ctx, t.tx, `SELECT `+leadColumns+` FROM leads WHERE user_id = ?1`, userID)
	if err == nil {
		t.remember(l)
	}
	return l, err
}

// references reads the rows a save's ids name, in one statement.
func (t *tx) references(ctx context.Context, locationID, centerID, courseID *string) (leads.References, error) {
	var r [6]*string
	err := t.tx.QueryRowContext(ctx, `SELECT l.id, l.name, c.id, c.name, co.id, co.name
		FROM (SELECT 1) AS one
		LEFT JOIN locations l ON l.id = ?1
		LEFT JOIN centers c ON c.id = ?2
		LEFT JOIN courses co ON co.id = ?3`, locationID, centerID, courseID).
		Scan(&r[0], &r[1], &r[2], &r[3], &r[4], &r[5])
	if err != nil {
		return leads.References{}, fmt.Errorf("sqlite: read references: %w", err)
	}
	return leads.NewReferences(r), nil
}

// InsertLead stores a new lead under a new id.
func (t *tx) InsertLead(ctx context.Context, l leads.Lead) (leads.Lead, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return leads.Lead{}, fmt.Errorf("sqlite: new lead id: %w", err)
	}
	l.ID = id.String()
	_, err = t.tx.ExecContext(ctx, `INSERT INTO leads (`+leadColumns+`)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34)`, leadValues(l)...)
	if err != nil {
		return leads.Lead{}, fmt.Errorf("sqlite: insert lead: %w", err)
	}
	return l, nil
}

// UpdateLead stores the fields of the lead that differ from what the change
// read of it (every field, for a lead it did not read).
func (t *tx) UpdateLead(ctx context.Context, l leads.Lead) error {
	values := leadValues(l)
	before, known := t.read[l.ID]
	set, args := make([]string, 0, len(leadColumnNames)), []any{l.ID}
	for i, column := range leadColumnNames {
		if i == 0 || known && sameValue(before[i], values[i]) {
			continue // the id, or a column that keeps its value
		}
		args = append(args, values[i])
		set = append(set, column+" = ?"+strconv.Itoa(len(args)))
	}
	t.remember(l)
	if len(set) == 0 {
		return nil
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE leads SET `+strings.Join(set, ", ")+` WHERE id = ?1`, args...); err != nil {
		return fmt.Errorf("sqlite: update lead: %w", err)
	}
	return nil
}

// leadColumnNames are leadColumns one by one.
var leadColumnNames = strings.Split(strings.Join(strings.Fields(leadColumns), ""), ",")

// sameValue reports whether two values of leadValues are equal (a nil
// pointer is NULL).
func sameValue(a, b any) bool {
	deref := func(v any) any {
		if r := reflect.ValueOf(v); r.Kind() == reflect.Pointer {
			if r.IsNil() {
				return nil
			}
			return r.Elem().Interface()
		}
		return v
	}
	return deref(a) == deref(b)
}

// DeleteLead erases the lead; rows recorded about it go with it (ON DELETE
// CASCADE).
func (t *tx) DeleteLead(ctx context.Context, id string) error {
	if err := t.deleteJobsOf(ctx, id); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `DELETE FROM leads WHERE id = ?1`, id)
	if err != nil {
		return fmt.Errorf("sqlite: delete lead: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: delete lead: %w", err)
	}
	if n == 0 {
		return leads.ErrLeadNotFound
	}
	return nil
}

// StudentExists reports whether the student is in the reference table.
func (t *tx) StudentExists(ctx context.Context, id string) (bool, error) {
	var ok bool
	err := t.tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM students WHERE id = ?1)`, id).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("sqlite: find student: %w", err)
	}
	return ok, nil
}

// StudentOfUser finds the user's student, or creates one.
func (t *tx) StudentOfUser(ctx context.Context, userID string, now time.Time) (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("sqlite: new student id: %w", err)
	}
	// The unique index on students.user_id makes this a find-or-create.
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO students (id, user_id, created_at) VALUES (?1, ?2, ?3)
		ON CONFLICT (user_id) DO NOTHING`, id.String(), userID, timeText(now)); err != nil {
		return "", fmt.Errorf("sqlite: create student: %w", err)
	}
	var studentID string
	if err := t.tx.QueryRowContext(ctx, `SELECT id FROM students WHERE user_id = ?1`, userID).Scan(&studentID); err != nil {
		return "", fmt.Errorf("sqlite: find student: %w", err)
	}
	return studentID, nil
}
