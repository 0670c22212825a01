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
// replaces it with update, in one transaction, and reports which happened.
// Replacing by UPDATE rather than REPLACE keeps the row, so the ON DELETE
// actions of rows pointing at it do not fire.
func (s *Store) put(ctx context.Context, insert, update string, args ...any) (created bool, err error) {
	return s.putWith(ctx, insert, args, update, args)
}

// putWith is put with arguments of its own for the update.
func (s *Store) putWith(ctx context.Context, insert string, insertArgs []any, update string, updateArgs []any) (created bool, err error) {
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, insert, insertArgs...)
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
		_, err = tx.ExecContext(ctx, update, updateArgs...)
		return err
	})
	return created, err
}

// PutUser creates or replaces a user.
func (s *Store) PutUser(ctx context.Context, u leads.User, now time.Time) (bool, error) {
	created, err := s.put(ctx,
		`INSERT INTO users (id, full_name, email, phone, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
		ON CONFLICT (id) DO NOTHING`,
		`UPDATE users SET full_name = ?2, email = ?3, phone = ?4, updated_at = ?5 WHERE id = ?1`,
		u.ID, u.FullName, u.Email, u.Phone, timeText(now))
	if err != nil {
		return false, fmt.Errorf("sqlite: put user: %w", err)
	}
	return created, nil
}

// provisionSQL is the one conditional statement that provisions a user from
// token claims: it writes only the given claims, and only when they differ
// from the record, so a request whose claims match (the usual case) writes
// nothing, and a race with another writer loses nothing. With a name and an
// e-mail it creates the record when missing.
func provisionSQL(c leads.Claims, now time.Time) (string, []any) {
	args := []any{c.UserID, c.Name, c.Email, c.Phone, timeText(now)}
	if c.CanCreate() {
		return `INSERT INTO users (id, full_name, email, phone, created_at, updated_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?5)
			ON CONFLICT (id) DO UPDATE SET full_name = ?2, email = ?3, phone = COALESCE(?4, phone), updated_at = ?5
			WHERE full_name IS NOT ?2 OR email IS NOT ?3 OR phone IS NOT COALESCE(?4, phone)`, args
	}
	return `UPDATE users SET full_name = COALESCE(?2, full_name), email = COALESCE(?3, email),
		phone = COALESCE(?4, phone), updated_at = ?5
		WHERE id = ?1 AND (full_name IS NOT COALESCE(?2, full_name) OR email IS NOT COALESCE(?3, email)
			OR phone IS NOT COALESCE(?4, phone))`, args
}

// ProvisionUser runs provisionSQL on the writer, unless a read on the read
// pool finds the record already holding every claim (the usual case), which
// spares each signed-in request a turn of the one writer. A change that lands
// between the read and the request's end is another request's, as it would
// be a moment later.
func (s *Store) ProvisionUser(ctx context.Context, c leads.Claims, now time.Time) error {
	var u leads.User
	err := s.read.QueryRowContext(ctx, `SELECT full_name, email, phone FROM users WHERE id = ?1`, c.UserID).
		Scan(&u.FullName, &u.Email, &u.Phone)
	switch {
	case err == nil && c.Matches(u):
		return nil
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlite: read user: %w", err)
	}
	return s.Update(ctx, func(ctx context.Context, tx leads.Tx) error { return tx.ProvisionUser(ctx, c, now) })
}

// provisionPending does the caller's provisioning that ctx carries
// (leads.WithProvision), if it is still to be done, ahead of a read.
func (s *Store) provisionPending(ctx context.Context) error {
	if c, now, ok := leads.TakeProvision(ctx); ok {
		return s.ProvisionUser(ctx, c, now)
	}
	return nil
}

// PutLocation creates or replaces a location.
func (s *Store) PutLocation(ctx context.Context, l leads.Location) (bool, error) {
	created, err := s.put(ctx,
		`INSERT INTO locations (id, name) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING`,
		`UPDATE locations SET name = ?2 WHERE id = ?1`, l.ID, l.Name)
	if err != nil {
		return false, fmt.Errorf("sqlite: put location: %w", err)
	}
	return created, nil
}

// PutCenter creates or replaces a centre.
func (s *Store) PutCenter(ctx context.Context, c leads.Center) (bool, error) {
	created, err := s.put(ctx,
		`INSERT INTO centers (id, name, location_id) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING`,
		`UPDATE centers SET name = ?2, location_id = ?3 WHERE id = ?1`, c.ID, c.Name, c.LocationID)
	if err != nil {
		return false, fmt.Errorf("sqlite: put centre: %w", translate(err, leads.ErrUnknownLocation, nil))
	}
	return created, nil
}

// PutCourse creates or replaces a course.
func (s *Store) PutCourse(ctx context.Context, c leads.Course) (bool, error) {
	created, err := s.put(ctx,
		`INSERT INTO courses (id, name, center_id, description, duration, fee) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
		 ON CONFLICT (id) DO NOTHING`,
		`UPDATE courses SET name = ?2, center_id = ?3, description = ?4, duration = ?5, fee = ?6 WHERE id = ?1`,
		c.ID, c.Name, c.CenterID, c.Description, c.Duration, c.Fee)
	if err != nil {
		return false, fmt.Errorf("sqlite: put course: %w", translate(err, leads.ErrUnknownCenter, nil))
	}
	return created, nil
}

// PutStudent creates or replaces a student. A user belongs to one student at most.
func (s *Store) PutStudent(ctx context.Context, st leads.Student, now time.Time) (bool, error) {
	created, err := s.putWith(ctx,
		`INSERT INTO students (id, user_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING`,
		[]any{st.ID, st.UserID, timeText(now)},
		`UPDATE students SET user_id = ?2 WHERE id = ?1`, []any{st.ID, st.UserID})
	if err != nil {
		return false, fmt.Errorf("sqlite: put student: %w", translate(err, leads.ErrUnknownUser, leads.ErrStudentUserTaken))
	}
	return created, nil
}

// Locations lists every location by name.
func (s *Store) Locations(ctx context.Context) ([]leads.Location, error) {
	return list(ctx, s.read, "locations", `SELECT id, name FROM locations ORDER BY name, id`,
		func(l *leads.Location) []any { return []any{&l.ID, &l.Name} })
}

// Centers lists the centres of a location ("" for all) by name.
func (s *Store) Centers(ctx context.Context, locationID string) ([]leads.Center, error) {
	return list(ctx, s.read, "centres", `SELECT id, name, location_id FROM centers
		WHERE ?1 = '' OR location_id = ?1 ORDER BY name, id`,
		func(c *leads.Center) []any { return []any{&c.ID, &c.Name, &c.LocationID} }, locationID)
}

// Courses lists the courses of a centre ("" for all) by name.
func (s *Store) Courses(ctx context.Context, centerID string) ([]leads.Course, error) {
	return list(ctx, s.read, "courses", `SELECT id, name, center_id, description, duration, fee FROM courses
		WHERE ?1 = '' OR center_id = ?1 ORDER BY name, id`,
		func(c *leads.Course) []any {
			return []any{&c.ID, &c.Name, &c.CenterID, &c.Description, &c.Duration, &c.Fee}
		}, centerID)
}

// list runs a query on q (the read pool, or a transaction) and scans each
// row into the fields that fields returns (a NULL column leaves a pointer
// field nil); an empty list is [] (not null) in JSON.
func list[T any](ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, what, query string, fields func(*T) []any, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
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
