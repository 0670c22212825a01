package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/leads/leads/internal/leads"
)

// leadColumns is the column list every lead query returns, in scanLead's order.
const leadColumns = `id, user_id, full_name, email, phone, training_location, training_location_name,
	center_id, center_name, student_address, course_id, course_name, has_guardian, guardian_name,
	guardian_phone, guardian_email, guardian_address, onboarding_step, last_saved_at, status, source,
	notes, contacted_at, contacted_by, converted_at, converted_to_student_id, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

// scanLead reads one row of leadColumns.
func scanLead(row scanner) (leads.Lead, error) {
	var (
		l                                       leads.Lead
		lastSaved, created, updated             string
		contactedAt, convertedAt                sql.NullString
		phone, loc, locName, center, centerName sql.NullString
		addr, course, courseName                sql.NullString
		gName, gPhone, gEmail, gAddr            sql.NullString
		notes, contactedBy, convertedTo         sql.NullString
	)
	err := row.Scan(&l.ID, &l.UserID, &l.FullName, &l.Email, &phone, &loc, &locName,
		&center, &centerName, &addr, &course, &courseName, &l.HasGuardian, &gName,
		&gPhone, &gEmail, &gAddr, &l.OnboardingStep, &lastSaved, &l.Status, &l.Source,
		&notes, &contactedAt, &contactedBy, &convertedAt, &convertedTo, &created, &updated)
	if err != nil {
		return leads.Lead{}, err
	}
	l.Phone, l.TrainingLocation, l.TrainingLocationName = str(phone), str(loc), str(locName)
	l.CenterID, l.CenterName, l.StudentAddress = str(center), str(centerName), str(addr)
	l.CourseID, l.CourseName = str(course), str(courseName)
	l.GuardianName, l.GuardianPhone, l.GuardianEmail, l.GuardianAddress = str(gName), str(gPhone), str(gEmail), str(gAddr)
	l.Notes, l.ContactedBy, l.ConvertedToStudentID = str(notes), str(contactedBy), str(convertedTo)
	var errs [5]error
	l.LastSavedAt, errs[0] = parseTime(lastSaved)
	l.CreatedAt, errs[1] = parseTime(created)
	l.UpdatedAt, errs[2] = parseTime(updated)
	l.ContactedAt, errs[3] = optTime(contactedAt)
	l.ConvertedAt, errs[4] = optTime(convertedAt)
	return l, errors.Join(errs[:]...)
}

func str(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

func optTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	return &t, err
}

// saveSQL is the whole save: the user's fields, the reference names and the merge
// rules of leads.SaveInput in one upsert. Parameters:
// ?1 new id, ?2 user, ?3 training location, ?4 centre id, ?5 centre name,
// ?6 student address, ?7 course id, ?8 course name, ?9 has guardian,
// ?10-?13 guardian name, phone, email, address, ?14 step, ?15 source, ?16 now.
// The WHERE is needed anyway: SQLite cannot parse ON CONFLICT after a SELECT
// that has none.
const saveSQL = `
INSERT INTO leads (id, user_id, full_name, email, phone, training_location, training_location_name,
	center_id, center_name, student_address, course_id, course_name, has_guardian, guardian_name,
	guardian_phone, guardian_email, guardian_address, onboarding_step, last_saved_at, status, source,
	created_at, updated_at)
SELECT ?1, u.id, u.full_name, u.email, u.phone, ?3, l.name,
	c.id, COALESCE(c.name, ?5), ?6, co.id, COALESCE(co.name, ?8), COALESCE(?9, 0), ?10,
	?11, ?12, ?13, COALESCE(?14, 1), ?16, 'PENDING', COALESCE(?15, 'onboarding_save_and_exit'),
	?16, ?16
FROM users u
LEFT JOIN locations l ON l.id = ?3
LEFT JOIN centers c ON c.id = ?4
LEFT JOIN courses co ON co.id = ?7
WHERE u.id = ?2
ON CONFLICT (user_id) DO UPDATE SET
	full_name = excluded.full_name,
	email = excluded.email,
	phone = COALESCE(excluded.phone, leads.phone),
	training_location = CASE WHEN ?3 IS NULL THEN leads.training_location ELSE excluded.training_location END,
	training_location_name = CASE WHEN ?3 IS NULL THEN leads.training_location_name ELSE excluded.training_location_name END,
	center_id = CASE WHEN ?4 IS NULL THEN leads.center_id ELSE excluded.center_id END,
	center_name = CASE WHEN ?4 IS NULL AND ?5 IS NULL THEN leads.center_name ELSE excluded.center_name END,
	student_address = COALESCE(?6, leads.student_address),
	course_id = CASE WHEN ?7 IS NULL THEN leads.course_id ELSE excluded.course_id END,
	course_name = CASE WHEN ?7 IS NULL AND ?8 IS NULL THEN leads.course_name ELSE excluded.course_name END,
	has_guardian = COALESCE(?9, leads.has_guardian),
	guardian_name = COALESCE(?10, leads.guardian_name),
	guardian_phone = COALESCE(?11, leads.guardian_phone),
	guardian_email = COALESCE(?12, leads.guardian_email),
	guardian_address = COALESCE(?13, leads.guardian_address),
	onboarding_step = COALESCE(?14, leads.onboarding_step),
	source = COALESCE(?15, leads.source),
	status = CASE WHEN leads.status IN ('PENDING', 'LOST') THEN 'PENDING' ELSE leads.status END,
	last_saved_at = excluded.last_saved_at,
	updated_at = excluded.updated_at
RETURNING ` + leadColumns

// SaveFromOnboarding creates or updates the user's lead in one statement, run
// by the batcher (batch.go) in a transaction shared with concurrent writes.
func (s *Store) SaveFromOnboarding(ctx context.Context, userID string, in leads.SaveInput, now time.Time) (leads.Lead, bool, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return leads.Lead{}, false, fmt.Errorf("sqlite: new lead id: %w", err)
	}
	newID := id.String()
	var l leads.Lead
	if err := s.write(ctx, s.upsert(saveArgs(newID, userID, in, now), &l)); err != nil {
		return leads.Lead{}, false, saveError(err)
	}
	return l, l.ID == newID, nil
}

// upsert returns the write that runs saveSQL with args and stores the row in out.
func (s *Store) upsert(args []any, out *leads.Lead) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) (err error) {
		if s.saveStmt == nil {
			return s.saveErr
		}
		// The one writer connection has it prepared, so this prepares nothing.
		*out, err = scanLead(tx.StmtContext(ctx, s.saveStmt).QueryRowContext(ctx, args...))
		return err
	}
}

// saveError translates the error of a save's write.
func saveError(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return leads.ErrUserNotFound
	}
	return fmt.Errorf("sqlite: save lead: %w", err)
}

// saveArgs returns saveSQL's parameters in order.
func saveArgs(newID, userID string, in leads.SaveInput, now time.Time) []any {
	return []any{newID, userID, in.TrainingLocation, in.CenterID, in.CenterName, in.StudentAddress,
		in.CourseID, in.CourseName, in.HasGuardian, in.GuardianName, in.GuardianPhone, in.GuardianEmail,
		in.GuardianAddress, in.Step, in.Source, formatTime(now)}
}

// Lead returns the lead with the given id.
func (s *Store) Lead(ctx context.Context, id string) (leads.Lead, error) {
	return s.oneLead(ctx, s.read, `SELECT `+leadColumns+` FROM leads WHERE id = ?`, id)
}

// LeadByUser returns the user's lead.
func (s *Store) LeadByUser(ctx context.Context, userID string) (leads.Lead, error) {
	return s.oneLead(ctx, s.read, `SELECT `+leadColumns+` FROM leads WHERE user_id = ?`, userID)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) oneLead(ctx context.Context, q querier, query string, args ...any) (leads.Lead, error) {
	l, err := scanLead(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return leads.Lead{}, leads.ErrLeadNotFound
	}
	if err != nil {
		return leads.Lead{}, fmt.Errorf("sqlite: read lead: %w", err)
	}
	return l, nil
}

// filterWhere returns the WHERE clause of a list filter (?1 status, ?2 centre),
// written out per case so SQLite picks the matching index. It serves both the
// leads and lead_counts tables, which share the column names.
func filterWhere(f leads.ListFilter) string {
	switch {
	case f.Status != "" && f.CenterID != "":
		return ` WHERE status = ?1 AND center_id = ?2`
	case f.Status != "":
		return ` WHERE status = ?1`
	case f.CenterID != "":
		return ` WHERE center_id = ?2`
	}
	return ``
}

// ListLeads returns a page of leads and the exact total, both read in one
// snapshot so they agree.
func (s *Store) ListLeads(ctx context.Context, f leads.ListFilter) (leads.LeadPage, error) {
	page := leads.LeadPage{Leads: []leads.Lead{}, Page: f.Page, Limit: f.Limit}
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return page, fmt.Errorf("sqlite: list leads: %w", err)
	}
	defer tx.Rollback()

	where := filterWhere(f)
	args := []any{string(f.Status), f.CenterID, f.Limit, f.Offset()}
	countArgs := args[:2]
	if where == "" {
		countArgs = nil
	}
	err = tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM lead_counts`+where, countArgs...).Scan(&page.Total)
	if err != nil {
		return page, fmt.Errorf("sqlite: count leads: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+leadColumns+` FROM leads`+where+
		` ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4`, args...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list leads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanLead(rows)
		if err != nil {
			return page, fmt.Errorf("sqlite: list leads: %w", err)
		}
		page.Leads = append(page.Leads, l)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite: list leads: %w", err)
	}
	return page, nil
}

// UpdateStatus changes the status in one conditional statement; the first move
// to CONTACTED records when and by whom (SET expressions see the old row).
func (s *Store) UpdateStatus(ctx context.Context, id string, ch leads.StatusChange, now time.Time) (leads.Lead, error) {
	var l leads.Lead
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) (err error) {
		l, err = s.oneLead(ctx, tx, `UPDATE leads SET
			status = ?2,
			contacted_at = COALESCE(contacted_at, CASE WHEN ?2 = 'CONTACTED' THEN ?4 END),
			contacted_by = CASE WHEN contacted_at IS NULL AND ?2 = 'CONTACTED' THEN ?3 ELSE contacted_by END,
			updated_at = ?4
			WHERE id = ?1 AND status <> 'CONVERTED'
			RETURNING `+leadColumns, id, string(ch.Status), ch.ContactedBy, formatTime(now))
		if !errors.Is(err, leads.ErrLeadNotFound) {
			return err
		}
		// Nothing updated: either there is no such lead or it is converted.
		if _, err := s.oneLead(ctx, tx, `SELECT `+leadColumns+` FROM leads WHERE id = ?`, id); err != nil {
			return err
		}
		return leads.ErrLeadConverted
	})
	if err != nil {
		return leads.Lead{}, err
	}
	return l, nil
}

// Convert marks the lead converted to the student, following leads.Store.Convert.
func (s *Store) Convert(ctx context.Context, id, studentID string, now time.Time) (leads.Lead, error) {
	var out leads.Lead
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		l, err := s.oneLead(ctx, tx, `SELECT `+leadColumns+` FROM leads WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if l.Status == leads.StatusConverted {
			if l.ConvertedToStudentID != nil && *l.ConvertedToStudentID == studentID {
				out = l
				return nil
			}
			return leads.ErrConvertedToOther
		}
		out, err = convert(ctx, tx, id, studentID, now)
		return err
	})
	return out, err
}

// convert sets the conversion fields of a lead that is not converted yet.
func convert(ctx context.Context, tx *sql.Tx, id, studentID string, now time.Time) (leads.Lead, error) {
	l, err := scanLead(tx.QueryRowContext(ctx, `UPDATE leads SET
		status = 'CONVERTED', converted_at = ?3, converted_to_student_id = ?2, updated_at = ?3
		WHERE id = ?1 RETURNING `+leadColumns, id, studentID, formatTime(now)))
	if isForeignKey(err) {
		return leads.Lead{}, leads.ErrStudentNotFound
	}
	if err != nil {
		return leads.Lead{}, fmt.Errorf("sqlite: convert lead: %w", err)
	}
	return l, nil
}

// CompleteOnboarding finds or creates the user's student and converts the lead
// to it, in one write; the single writer makes concurrent calls queue.
func (s *Store) CompleteOnboarding(ctx context.Context, userID string, now time.Time) (leads.Lead, error) {
	var out leads.Lead
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		l, err := s.oneLead(ctx, tx, `SELECT `+leadColumns+` FROM leads WHERE user_id = ?`, userID)
		if err != nil {
			return err
		}
		if l.Status == leads.StatusConverted {
			out = l
			return nil
		}
		var studentID string
		err = tx.QueryRowContext(ctx, `SELECT id FROM students WHERE user_id = ?`, userID).Scan(&studentID)
		if errors.Is(err, sql.ErrNoRows) {
			id, uerr := uuid.NewV7()
			if uerr != nil {
				return fmt.Errorf("sqlite: new student id: %w", uerr)
			}
			studentID = id.String()
			_, err = tx.ExecContext(ctx, `INSERT INTO students (id, user_id, created_at) VALUES (?, ?, ?)`,
				studentID, userID, formatTime(now))
		}
		if err != nil {
			return fmt.Errorf("sqlite: find or create student: %w", err)
		}
		out, err = convert(ctx, tx, l.ID, studentID, now)
		return err
	})
	return out, err
}

// DeleteLead erases the lead; the lead row is everything recorded about it.
func (s *Store) DeleteLead(ctx context.Context, id string) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var gone string
		return tx.QueryRowContext(ctx, `DELETE FROM leads WHERE id = ? RETURNING id`, id).Scan(&gone)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return leads.ErrLeadNotFound
	}
	if err != nil {
		return fmt.Errorf("sqlite: delete lead: %w", err)
	}
	return nil
}
