package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leads/leads/internal/leads"
)

// put runs an upsert that ends in RETURNING (xmax = 0), true only for a row
// this statement inserted, and reports whether it created the row. Replacing
// by ON CONFLICT DO UPDATE keeps the row, so the ON DELETE actions of rows
// pointing at it do not fire.
func (s *Store) put(ctx context.Context, upsert string, args ...any) (created bool, err error) {
	err = s.pool.QueryRow(ctx, upsert, args...).Scan(&created)
	return created, err
}

// refError turns a foreign-key failure of a reference write into the domain
// error naming field, and wraps anything else.
func refError(err error, what, field string) error {
	switch {
	case err == nil:
		return nil
	case errCode(err) == codeForeignKey:
		return leads.Invalid(leads.FieldError{Field: field, Message: "no such " + what})
	}
	return fmt.Errorf("postgres: put reference to %s: %w", what, err)
}

// PutUser creates or replaces a user.
func (s *Store) PutUser(ctx context.Context, u leads.User) (bool, error) {
	created, err := s.put(ctx, `INSERT INTO users (id, full_name, email, phone, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (id) DO UPDATE SET full_name = excluded.full_name, email = excluded.email,
			phone = excluded.phone, updated_at = excluded.updated_at
		RETURNING xmax = 0`, u.ID, u.FullName, u.Email, u.Phone, leads.Now(time.Now()))
	if err != nil {
		return false, fmt.Errorf("postgres: put user: %w", err)
	}
	return created, nil
}

// ProvisionUser keeps the user's record in step with a token's claims. It reads
// first, so a request whose claims match the record (the usual case) costs no
// write.
func (s *Store) ProvisionUser(ctx context.Context, id string, name, email, phone *string) error {
	var curName, curEmail string
	var curPhone *string
	err := s.pool.QueryRow(ctx, `SELECT full_name, email, phone FROM users WHERE id = $1`, id).
		Scan(&curName, &curEmail, &curPhone)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if name == nil || email == nil {
			return nil
		}
	case err != nil:
		return fmt.Errorf("postgres: provision user: %w", err)
	default:
		if same(name, &curName) && same(email, &curEmail) && (phone == nil || (curPhone != nil && *phone == *curPhone)) {
			return nil
		}
	}
	now := leads.Now(time.Now())
	// Each statement writes only the given claims, so a race with another
	// writer loses nothing.
	if name != nil && email != nil {
		_, err = s.pool.Exec(ctx, `INSERT INTO users (id, full_name, email, phone, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5)
			ON CONFLICT (id) DO UPDATE SET full_name = excluded.full_name, email = excluded.email,
				phone = COALESCE(excluded.phone, users.phone), updated_at = excluded.updated_at`,
			id, name, email, phone, now)
	} else {
		_, err = s.pool.Exec(ctx, `UPDATE users SET full_name = COALESCE($2, full_name),
			email = COALESCE($3, email), phone = COALESCE($4, phone), updated_at = $5 WHERE id = $1`,
			id, name, email, phone, now)
	}
	if err != nil {
		return fmt.Errorf("postgres: provision user: %w", err)
	}
	return nil
}

// same reports whether a claim is absent or equal to the stored value.
func same(claim, stored *string) bool { return claim == nil || *claim == *stored }

// PutLocation creates or replaces a location.
func (s *Store) PutLocation(ctx context.Context, l leads.Location) (bool, error) {
	created, err := s.put(ctx, `INSERT INTO locations (id, name) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name RETURNING xmax = 0`, l.ID, l.Name)
	return created, refError(err, "location", "id")
}

// PutCenter creates or replaces a centre.
func (s *Store) PutCenter(ctx context.Context, c leads.Center) (bool, error) {
	created, err := s.put(ctx, `INSERT INTO centers (id, name, location_id) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, location_id = excluded.location_id
		RETURNING xmax = 0`, c.ID, c.Name, c.LocationID)
	return created, refError(err, "location", "locationId")
}

// PutCourse creates or replaces a course.
func (s *Store) PutCourse(ctx context.Context, c leads.Course) (bool, error) {
	created, err := s.put(ctx, `INSERT INTO courses (id, name, center_id) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, center_id = excluded.center_id
		RETURNING xmax = 0`, c.ID, c.Name, c.CenterID)
	return created, refError(err, "centre", "centerId")
}

// PutStudent creates or replaces a student. A user belongs to one student at most.
func (s *Store) PutStudent(ctx context.Context, st leads.Student) (bool, error) {
	created, err := s.put(ctx, `INSERT INTO students (id, user_id, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id
		RETURNING xmax = 0`, st.ID, st.UserID, leads.Now(time.Now()))
	if errCode(err) == codeUnique {
		return false, &leads.Error{Code: leads.CodeConflict, Message: "Another student already belongs to this user",
			Fields: []leads.FieldError{{Field: "userId", Message: "already linked to another student"}}}
	}
	return created, refError(err, "user", "userId")
}

// Names sort in byte order ("C"), as on SQLite, whatever the database's collation.

// Locations lists every location by name.
func (s *Store) Locations(ctx context.Context) ([]leads.Location, error) {
	return list[leads.Location](ctx, s, "locations",
		`SELECT id, name FROM locations ORDER BY name COLLATE "C", id COLLATE "C"`)
}

// Centers lists the centres of a location ("" for all) by name.
func (s *Store) Centers(ctx context.Context, locationID string) ([]leads.Center, error) {
	return list[leads.Center](ctx, s, "centres", `SELECT id, name, location_id FROM centers
		WHERE $1::text = '' OR location_id = $1::text ORDER BY name COLLATE "C", id COLLATE "C"`, locationID)
}

// Courses lists the courses of a centre ("" for all) by name.
func (s *Store) Courses(ctx context.Context, centerID string) ([]leads.Course, error) {
	return list[leads.Course](ctx, s, "courses", `SELECT id, name, center_id FROM courses
		WHERE $1::text = '' OR center_id = $1::text ORDER BY name COLLATE "C", id COLLATE "C"`, centerID)
}

// list runs a reference query whose columns are T's fields in order, and
// returns the rows; an empty list is [] (not null) in JSON.
func list[T any](ctx context.Context, s *Store, what, query string, args ...any) ([]T, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list %s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[T])
	if err != nil {
		return nil, fmt.Errorf("postgres: list %s: %w", what, err)
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}
