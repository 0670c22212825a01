package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/schema"
)

// The staff desk's storage: the timeline, the roster and assignment turns.

// Activities returns a page of the lead's timeline, newest first.
func (s *Store) Activities(ctx context.Context, leadID string, page, limit int) (leads.ActivityPage, error) {
	out := leads.ActivityPage{Activities: []leads.Activity{}, Page: page, Limit: limit}
	var exists bool
	err := s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM leads WHERE id = ?1),
		(SELECT count(*) FROM activities WHERE lead_id = ?1)`, leadID).Scan(&exists, &out.Total)
	if err != nil {
		return out, fmt.Errorf("sqlite: count activities: %w", err)
	}
	if !exists {
		return out, leads.ErrLeadNotFound
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, lead_id, type, at, actor, data FROM activities
		WHERE lead_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2 OFFSET ?3`, leadID, limit, (page-1)*limit)
	if err != nil {
		return out, fmt.Errorf("sqlite: list activities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a leads.Activity
		var data string
		if err := rows.Scan(&a.ID, &a.LeadID, &a.Type, scanTime{&a.At}, &a.Actor, &data); err != nil {
			return out, fmt.Errorf("sqlite: list activities: %w", err)
		}
		a.Data = json.RawMessage(data)
		out.Activities = append(out.Activities, a)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("sqlite: list activities: %w", err)
	}
	return out, nil
}

// Roster lists the staff by id, each with their centres by id.
func (s *Store) Roster(ctx context.Context) ([]leads.Staff, error) {
	staff, err := list(ctx, s.read, "staff", `SELECT id, full_name, email, active FROM staff ORDER BY id`,
		func(m *leads.Staff) []any { return []any{&m.ID, &m.FullName, &m.Email, &m.Active} })
	if err != nil {
		return nil, err
	}
	links, err := list(ctx, s.read, "staff centres", `SELECT staff_id, center_id FROM staff_centers ORDER BY staff_id, center_id`,
		func(l *[2]string) []any { return []any{&l[0], &l[1]} })
	if err != nil {
		return nil, err
	}
	return leads.JoinCenters(staff, links), nil
}

// AddActivities records timeline entries in one statement.
func (t *tx) AddActivities(ctx context.Context, acts ...leads.Activity) error {
	if len(acts) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO activities (id, lead_id, type, at, actor, data) VALUES `)
	args := make([]any, 0, 6*len(acts))
	for i, a := range acts {
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("sqlite: new activity id: %w", err)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?)")
		args = append(args, id.String(), a.LeadID, a.Type, timeText(a.At), a.Actor, string(a.Data))
	}
	if _, err := t.tx.ExecContext(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("sqlite: add activities: %w", err)
	}
	return nil
}

// NextAssignee takes the centre's round-robin turn, in one statement.
func (t *tx) NextAssignee(ctx context.Context, centerID string) (string, bool, error) {
	var next *string
	err := t.tx.QueryRowContext(ctx, schema.TakeTurn("?1"), centerID).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) || err == nil && next == nil {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("sqlite: take turn: %w", err)
	}
	return *next, true, nil
}

// StaffActive reports whether the staff member exists and is active.
func (t *tx) StaffActive(ctx context.Context, id string) (bool, error) {
	var active bool
	err := t.tx.QueryRowContext(ctx, `SELECT active FROM staff WHERE id = ?1`, id).Scan(&active)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: find staff: %w", err)
	}
	return active, nil
}

// KnownCenters returns which of the ids are centres.
func (t *tx) KnownCenters(ctx context.Context, ids []string) (map[string]bool, error) {
	known := map[string]bool{}
	if len(ids) == 0 {
		return known, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT id FROM centers WHERE id IN (SELECT value FROM json_each(?1))`, string(list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: find centres: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: find centres: %w", err)
		}
		known[id] = true
	}
	return known, rows.Err()
}

// PutStaff creates or replaces a staff member, then replaces their centres.
func (t *tx) PutStaff(ctx context.Context, m leads.Staff, now time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `INSERT INTO staff (id, full_name, email, active, created_at, updated_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (id) DO NOTHING`, m.ID, m.FullName, m.Email, m.Active, timeText(now))
	if err != nil {
		return false, fmt.Errorf("sqlite: put staff: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: put staff: %w", err)
	}
	created := n == 1
	if !created {
		_, err = t.tx.ExecContext(ctx, `UPDATE staff SET full_name = ?2, email = ?3, active = ?4, updated_at = ?5 WHERE id = ?1`,
			m.ID, m.FullName, m.Email, m.Active, timeText(now))
		if err != nil {
			return false, fmt.Errorf("sqlite: put staff: %w", err)
		}
	}
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM staff_centers WHERE staff_id = ?1`, m.ID); err != nil {
		return false, fmt.Errorf("sqlite: put staff centres: %w", err)
	}
	list, err := json.Marshal(m.CenterIDs)
	if err != nil {
		return false, err
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO staff_centers (staff_id, center_id)
		SELECT ?1, value FROM json_each(?2)`, m.ID, string(list))
	if err != nil {
		return false, fmt.Errorf("sqlite: put staff centres: %w", translate(err, leads.ErrUnknownCenter, nil))
	}
	return created, nil
}
