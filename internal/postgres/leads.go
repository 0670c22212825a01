package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leads/leads/internal/leads"
)

// leadColumns is the column list every lead query returns, in scanLead's order.
const leadColumns = `id, user_id, full_name, email, phone, training_location, training_location_name,
	center_id, center_name, student_address, course_id, course_name, has_guardian, guardian_name,
	guardian_phone, guardian_email, guardian_address, onboarding_step, last_saved_at, status, source,
	notes, contacted_at, contacted_by, converted_at, converted_to_student_id, created_at, updated_at`

// scanLead reads one row of leadColumns, after the extra leading columns of
// first (if any).
func scanLead(row pgx.Row, first ...any) (leads.Lead, error) {
	var l leads.Lead
	var status string
	dest := append(first, &l.ID, &l.UserID, &l.FullName, &l.Email, &l.Phone, &l.TrainingLocation,
		&l.TrainingLocationName, &l.CenterID, &l.CenterName, &l.StudentAddress, &l.CourseID, &l.CourseName,
		&l.HasGuardian, &l.GuardianName, &l.GuardianPhone, &l.GuardianEmail, &l.GuardianAddress,
		&l.OnboardingStep, &l.LastSavedAt, &status, &l.Source, &l.Notes, &l.ContactedAt, &l.ContactedBy,
		&l.ConvertedAt, &l.ConvertedToStudentID, &l.CreatedAt, &l.UpdatedAt)
	if err := row.Scan(dest...); err != nil {
		return leads.Lead{}, err
	}
	l.Status = leads.Status(status)
	// pgx reads timestamptz in the local zone; the contract speaks UTC.
	l.LastSavedAt, l.CreatedAt, l.UpdatedAt = l.LastSavedAt.UTC(), l.CreatedAt.UTC(), l.UpdatedAt.UTC()
	for _, t := range []*time.Time{l.ContactedAt, l.ConvertedAt} {
		if t != nil {
			*t = t.UTC()
		}
	}
	return l, nil
}

// saveSQL is the whole save: the user's fields, the reference names and the merge
// rules of leads.SaveInput in one upsert. Parameters:
// $1 new id, $2 user, $3 training location, $4 centre id, $5 centre name,
// $6 student address, $7 course id, $8 course name, $9 has guardian,
// $10-$13 guardian name, phone, email, address, $14 step, $15 source, $16 now.
// A parameter that is NULL means "not given". The SET expressions see the
// stored row as leads and the would-be new row as excluded.
const saveSQL = `
INSERT INTO leads (id, user_id, full_name, email, phone, training_location, training_location_name,
	center_id, center_name, student_address, course_id, course_name, has_guardian, guardian_name,
	guardian_phone, guardian_email, guardian_address, onboarding_step, last_saved_at, status, source,
	created_at, updated_at)
SELECT $1::text, u.id, u.full_name, u.email, u.phone, $3::text, l.name,
	c.id, COALESCE(c.name, $5::text), $6::text, co.id, COALESCE(co.name, $8::text), COALESCE($9::boolean, false),
	$10::text, $11::text, $12::text, $13::text, COALESCE($14::integer, 1), $16::timestamptz, 'PENDING',
	COALESCE($15::text, 'onboarding_save_and_exit'), $16::timestamptz, $16::timestamptz
FROM users u
LEFT JOIN locations l ON l.id = $3::text
LEFT JOIN centers c ON c.id = $4::text
LEFT JOIN courses co ON co.id = $7::text
WHERE u.id = $2::text
ON CONFLICT (user_id) DO UPDATE SET
	full_name = excluded.full_name,
	email = excluded.email,
	phone = COALESCE(excluded.phone, leads.phone),
	training_location = CASE WHEN $3::text IS NULL THEN leads.training_location ELSE excluded.training_location END,
	training_location_name = CASE WHEN $3::text IS NULL THEN leads.training_location_name ELSE excluded.training_location_name END,
	center_id = CASE WHEN $4::text IS NULL THEN leads.center_id ELSE excluded.center_id END,
	center_name = CASE WHEN $4::text IS NULL AND $5::text IS NULL THEN leads.center_name ELSE excluded.center_name END,
	student_address = COALESCE($6::text, leads.student_address),
	course_id = CASE WHEN $7::text IS NULL THEN leads.course_id ELSE excluded.course_id END,
	course_name = CASE WHEN $7::text IS NULL AND $8::text IS NULL THEN leads.course_name ELSE excluded.course_name END,
	has_guardian = COALESCE($9::boolean, leads.has_guardian),
	guardian_name = COALESCE($10::text, leads.guardian_name),
	guardian_phone = COALESCE($11::text, leads.guardian_phone),
	guardian_email = COALESCE($12::text, leads.guardian_email),
	guardian_address = COALESCE($13::text, leads.guardian_address),
	onboarding_step = COALESCE($14::integer, leads.onboarding_step),
	source = COALESCE($15::text, leads.source),
	status = CASE WHEN leads.status IN ('PENDING', 'LOST') THEN 'PENDING' ELSE leads.status END,
	last_saved_at = excluded.last_saved_at,
	updated_at = excluded.updated_at
RETURNING ` + leadColumns

// SaveFromOnboarding creates or updates the user's lead in one statement. The
// lead was created when the returned id is the one generated here.
func (s *Store) SaveFromOnboarding(ctx context.Context, userID string, in leads.SaveInput, now time.Time) (leads.Lead, bool, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return leads.Lead{}, false, fmt.Errorf("postgres: new lead id: %w", err)
	}
	newID := id.String()
	var l leads.Lead
	err = retryDeadlock(func() error {
		var err error
		l, err = scanLead(s.pool.QueryRow(ctx, saveSQL, newID, userID, in.TrainingLocation, in.CenterID,
			in.CenterName, in.StudentAddress, in.CourseID, in.CourseName, in.HasGuardian, in.GuardianName,
			in.GuardianPhone, in.GuardianEmail, in.GuardianAddress, in.Step, in.Source, now))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return leads.Lead{}, false, leads.ErrUserNotFound
	}
	if err != nil {
		return leads.Lead{}, false, fmt.Errorf("postgres: save lead: %w", err)
	}
	return l, l.ID == newID, nil
}

// Lead returns the lead with the given id.
func (s *Store) Lead(ctx context.Context, id string) (leads.Lead, error) {
	return oneLead(ctx, s.pool, `SELECT `+leadColumns+` FROM leads WHERE id = $1`, id)
}

// LeadByUser returns the user's lead.
func (s *Store) LeadByUser(ctx context.Context, userID string) (leads.Lead, error) {
	return oneLead(ctx, s.pool, `SELECT `+leadColumns+` FROM leads WHERE user_id = $1`, userID)
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

// filterWhere returns the WHERE clause of a list filter and its arguments,
// written out per case so the planner picks the matching index. It serves
// both the leads and lead_counts tables, which share the column names.
func filterWhere(f leads.ListFilter) (string, []any) {
	switch {
	case f.Status != "" && f.CenterID != "":
		return ` WHERE status = $1 AND center_id = $2`, []any{string(f.Status), f.CenterID}
	case f.Status != "":
		return ` WHERE status = $1`, []any{string(f.Status)}
	case f.CenterID != "":
		return ` WHERE center_id = $1`, []any{f.CenterID}
	}
	return ``, nil
}

// ListLeads returns a page of leads and the exact total. Each row carries the
// total, so page and total come from one statement (one snapshot); only a page
// with no rows needs a second statement to learn the total.
func (s *Store) ListLeads(ctx context.Context, f leads.ListFilter) (leads.LeadPage, error) {
	page := leads.LeadPage{Leads: []leads.Lead{}, Page: f.Page, Limit: f.Limit}
	where, args := filterWhere(f)
	count := `SELECT COALESCE(SUM(n), 0)::bigint FROM lead_counts` + where
	n := len(args)
	args = append(args, f.Limit, f.Offset())
	rows, err := s.pool.Query(ctx, `SELECT (`+count+`), `+leadColumns+` FROM leads`+where+
		` ORDER BY created_at DESC, id DESC LIMIT $`+strconv.Itoa(n+1)+` OFFSET $`+strconv.Itoa(n+2), args...)
	if err != nil {
		return page, fmt.Errorf("postgres: list leads: %w", err)
	}
	defer rows.Close()
	var total int64 = -1
	for rows.Next() {
		l, err := scanLead(rows, &total)
		if err != nil {
			return page, fmt.Errorf("postgres: list leads: %w", err)
		}
		page.Leads = append(page.Leads, l)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("postgres: list leads: %w", err)
	}
	if total < 0 {
		if err := s.pool.QueryRow(ctx, count, args[:n]...).Scan(&total); err != nil {
			return page, fmt.Errorf("postgres: count leads: %w", err)
		}
	}
	page.Total = int(total)
	return page, nil
}

// UpdateStatus changes the status in one conditional statement; the first move
// to CONTACTED records when and by whom (SET expressions see the old row).
// Only when it changes nothing does a second query tell why.
func (s *Store) UpdateStatus(ctx context.Context, id string, ch leads.StatusChange, now time.Time) (leads.Lead, error) {
	var l leads.Lead
	err := retryDeadlock(func() error {
		var err error
		l, err = oneLead(ctx, s.pool, `UPDATE leads SET
			status = $2::text,
			contacted_at = CASE WHEN contacted_at IS NULL AND $2::text = 'CONTACTED' THEN $4::timestamptz ELSE contacted_at END,
			contacted_by = CASE WHEN contacted_at IS NULL AND $2::text = 'CONTACTED' THEN $3::text ELSE contacted_by END,
			updated_at = $4::timestamptz
			WHERE id = $1 AND status <> 'CONVERTED'
			RETURNING `+leadColumns, id, string(ch.Status), ch.ContactedBy, now)
		return err
	})
	if !errors.Is(err, leads.ErrLeadNotFound) {
		return l, err
	}
	// Nothing updated: either there is no such lead or it is converted, which
	// is final, so the answer cannot change between the two statements.
	if _, err := s.Lead(ctx, id); err != nil {
		return leads.Lead{}, err
	}
	return leads.Lead{}, leads.ErrLeadConverted
}

// convertSQL converts a lead that is not converted yet: $1 lead, $2 student, $3 now.
const convertSQL = `UPDATE leads SET
	status = 'CONVERTED', converted_at = $3::timestamptz, converted_to_student_id = $2::text, updated_at = $3::timestamptz
	WHERE id = $1 AND status <> 'CONVERTED'
	RETURNING ` + leadColumns

// Convert marks the lead converted to the student in one conditional statement,
// following leads.Store.Convert. When it changes nothing, the lead is missing
// or already converted (a final state), and reading it tells which.
func (s *Store) Convert(ctx context.Context, id, studentID string, now time.Time) (leads.Lead, error) {
	var l leads.Lead
	err := retryDeadlock(func() error {
		var err error
		l, err = oneLead(ctx, s.pool, convertSQL, id, studentID, now)
		return err
	})
	switch {
	case errCode(err) == codeForeignKey:
		return leads.Lead{}, leads.ErrStudentNotFound
	case !errors.Is(err, leads.ErrLeadNotFound):
		return l, err
	}
	l, err = s.Lead(ctx, id)
	if err != nil {
		return leads.Lead{}, err
	}
	if l.ConvertedToStudentID != nil && *l.ConvertedToStudentID == studentID {
		return l, nil
	}
	return leads.Lead{}, leads.ErrConvertedToOther
}

// CompleteOnboarding finds or creates the user's student and converts the lead
// to it in one transaction. Locking the lead row first makes concurrent calls
// for one user queue; each later one then sees the lead converted.
func (s *Store) CompleteOnboarding(ctx context.Context, userID string, now time.Time) (leads.Lead, error) {
	var out leads.Lead
	err := retryDeadlock(func() error {
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			l, err := oneLead(ctx, tx, `SELECT `+leadColumns+` FROM leads WHERE user_id = $1 FOR UPDATE`, userID)
			if err != nil {
				return err
			}
			if l.Status == leads.StatusConverted {
				out = l
				return nil
			}
			id, err := uuid.NewV7()
			if err != nil {
				return fmt.Errorf("postgres: new student id: %w", err)
			}
			// The unique index on students.user_id makes this a find-or-create
			// that is safe against a concurrent PutStudent for the same user.
			var studentID string
			err = tx.QueryRow(ctx, `WITH ins AS (
					INSERT INTO students (id, user_id, created_at) VALUES ($1, $2, $3)
					ON CONFLICT (user_id) DO NOTHING RETURNING id)
				SELECT id FROM ins UNION ALL SELECT id FROM students WHERE user_id = $2`,
				id.String(), userID, now).Scan(&studentID)
			if errors.Is(err, pgx.ErrNoRows) {
				// A student for the user committed after this statement's
				// snapshot was taken; a new statement sees it.
				err = tx.QueryRow(ctx, `SELECT id FROM students WHERE user_id = $1`, userID).Scan(&studentID)
			}
			if err != nil {
				return fmt.Errorf("postgres: find or create student: %w", err)
			}
			out, err = oneLead(ctx, tx, convertSQL, l.ID, studentID, now)
			return err
		})
	})
	if err != nil {
		return leads.Lead{}, err
	}
	return out, nil
}

// DeleteLead erases the lead; the lead row is everything recorded about it.
func (s *Store) DeleteLead(ctx context.Context, id string) error {
	var n int64
	err := retryDeadlock(func() error {
		tag, err := s.pool.Exec(ctx, `DELETE FROM leads WHERE id = $1`, id)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete lead: %w", err)
	}
	if n == 0 {
		return leads.ErrLeadNotFound
	}
	return nil
}
