package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/leads/leads/internal/leads"
)

// put creates a row with insert (which does nothing when the id exists) or else
// replaces it with update, in one write, and reports which happened.
// Replacing by UPDATE rather than REPLACE keeps the row, so the ON DELETE
// actions of rows pointing at it do not fire.
func (s *Store) put(ctx context.Context, insert, update string, args ...any) (created bool, err error) {
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, insert, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if created = n == 1; created {
			return nil
		}
		_, err = tx.ExecContext(ctx, update, args...)
		return err
	})
	return created, err
}

// refError turns a constraint failure of a reference write into the domain
// error naming field, and wraps anything else.
func refError(err error, what, field string) error {
	switch {
	case err == nil:
		return nil
	case isForeignKey(err):
		return leads.Invalid(leads.FieldError{Field: field, Message: "no such " + what})
	}
	return fmt.Errorf("sqlite: put %s: %w", what, err)
}

// PutUser creates or replaces a user.
func (s *Store) PutUser(ctx context.Context, u leads.User) (bool, error) {
	now := formatTime(leads.Now(time.Now()))
	created, err := s.put(ctx,
		`INSERT INTO users (id, full_name, email, phone, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
		ON CONFLICT (id) DO NOTHING`,
		`UPDATE users SET full_name = ?2, email = ?3, phone = ?4, updated_at = ?5 WHERE id = ?1`,
		u.ID, u.FullName, u.Email, u.Phone, now)
	if err != nil {
		return false, fmt.Errorf("sqlite: put user: %w", err)
	}
	return created, nil
}

// ProvisionUser keeps the user's record in step with a token's claims. It reads
// first, so a request whose claims match the record (the usual case) costs no
// write.
func (s *Store) ProvisionUser(ctx context.Context, id string, name, email, phone *string) error {
	var cur struct{ name, email string }
	var curPhone sql.NullString
	err := s.read.QueryRowContext(ctx, `SELECT full_name, email, phone FROM users WHERE id = ?`, id).
		Scan(&cur.name, &cur.email, &curPhone)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if name == nil || email == nil {
			return nil
		}
	case err != nil:
		return fmt.Errorf("sqlite: provision user: %w", err)
	default:
		if same(name, &cur.name) && same(email, &cur.email) && (phone == nil || (curPhone.Valid && *phone == curPhone.String)) {
			return nil
		}
	}
	// Each statement writes only the given claims, so a race with another
	// writer loses nothing.
	query := `UPDATE users SET full_name = COALESCE(?2, full_name),
		email = COALESCE(?3, email), phone = COALESCE(?4, phone), updated_at = ?5 WHERE id = ?1`
	if name != nil && email != nil {
		query = `INSERT INTO users (id, full_name, email, phone, created_at, updated_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?5)
			ON CONFLICT (id) DO UPDATE SET full_name = ?2, email = ?3, phone = COALESCE(?4, phone), updated_at = ?5`
	}
	now := formatTime(leads.Now(time.Now()))
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, query, id, name, email, phone, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: provision user: %w", err)
	}
	return nil
}

// same reports whether a claim is absent or equal to the stored value.
func same(claim, stored *string) bool { return claim == nil || *claim == *stored }

// PutLocation creates or replaces a location.
func (s *Store) PutLocation(ctx context.Context, l leads.Location) (bool, error) {
	created, err := s.put(ctx,
		`INSERT INTO locations (id, name) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING`,
		`UPDATE locations SET name = ?2 WHERE id = ?1`, l.ID, l.Name)
	return created, refError(err, "location", "id")
}

// PutCenter creates or replaces a centre.
func (s *Store) PutCenter(ctx context.Context, c leads.Center) (bool, error) {
	created, err := s.put(ctx,
		`INSERT INTO centers (id, name, location_id) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING`,
		`UPDATE centers SET name = ?2, location_id = ?3 WHERE id = ?1`, c.ID, c.Name, c.LocationID)
	return created, refError(err, "location", "locationId")
}

// PutCourse creates or replaces a course.
func (s *Store) PutCourse(ctx context.Context, c leads.Course) (bool, error) {
	created, err := s.put(ctx,
		`INSERT INTO courses (id, name, center_id) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING`,
		`UPDATE courses SET name = ?2, center_id = ?3 WHERE id = ?1`, c.ID, c.Name, c.CenterID)
	return created, refError(err, "centre", "centerId")
}

// PutStudent creates or replaces a student. A user belongs to one student at most.
func (s *Store) PutStudent(ctx context.Context, st leads.Student) (bool, error) {
	now := formatTime(leads.Now(time.Now()))
	created, err := s.put(ctx,
		`INSERT INTO students (id, user_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING`,
		`UPDATE students SET user_id = ?2 WHERE id = ?1`, st.ID, st.UserID, now)
	if isUnique(err) {
		return false, &leads.Error{Code: leads.CodeConflict, Message: "Another student already belongs to this user",
			Fields: []leads.FieldError{{Field: "userId", Message: "already linked to another student"}}}
	}
	return created, refError(err, "user", "userId")
}

// Locations lists every location by name.
func (s *Store) Locations(ctx context.Context) ([]leads.Location, error) {
	return list(ctx, s, "locations", `SELECT id, name FROM locations ORDER BY name, id`,
		func(l *leads.Location) []any { return []any{&l.ID, &l.Name} })
}

// Centers lists the centres of a location ("" for all) by name.
func (s *Store) Centers(ctx context.Context, locationID string) ([]leads.Center, error) {
	return list(ctx, s, "centres", `SELECT id, name, location_id FROM centers
		WHERE ?1 = '' OR location_id = ?1 ORDER BY name, id`,
		func(c *leads.Center) []any { return []any{&c.ID, &c.Name, &c.LocationID} }, locationID)
}

// Courses lists the courses of a centre ("" for all) by name.
func (s *Store) Courses(ctx context.Context, centerID string) ([]leads.Course, error) {
	return list(ctx, s, "courses", `SELECT id, name, center_id FROM courses
		WHERE ?1 = '' OR center_id = ?1 ORDER BY name, id`,
		func(c *leads.Course) []any { return []any{&c.ID, &c.Name, &c.CenterID} }, centerID)
}

// list runs a reference query on the read pool and scans each row into the
// fields that fields returns (a NULL column leaves a pointer field nil); an
// empty list is [] (not null) in JSON.
func list[T any](ctx context.Context, s *Store, what, query string, fields func(*T) []any, args ...any) ([]T, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list %s: %w", what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var v T
		if err := rows.Scan(fields(&v)...); err != nil {
			return nil, fmt.Errorf("sqlite: list %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list %s: %w", what, err)
	}
	return out, nil
}
