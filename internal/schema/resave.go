package schema

import (
	"strings"

	"github.com/leads/leads/internal/leads"
)

// ResaveSQL is the one statement of Store.Resave on both engines: it moves
// the lead's lastSavedAt and updatedAt to now when the user's lead and
// record are such that SaveInput.Apply would change nothing else, and the
// record holds the claims given; RETURNING the lead's columns. Its
// conditions are Apply's rules read backwards (see SaveInput.Apply):
//   - fullName and email equal the record's; phone too when the record has
//     one; the status is one a save keeps (leads.StatusesKeptBySave);
//   - a reference id given: the lead holds the known row's id and name, or,
//     for an id not in the table, no id and the payload's name;
//   - a reference name given alone, and every other field given, equals
//     the stored value; stepReached is at least the step.
//
// arg adds a value and returns its placeholder; same renders null-safe
// equality (IS NOT DISTINCT FROM, or SQLite's IS). now is the engine's value
// of the time.
func ResaveSQL(in leads.SaveInput, c leads.Claims, now any, columns string, arg func(any) string, same func(a, b string) string) string {
	// Written into one builder: this runs for every save, and joining a
	// list of conditions cost 5 % of a re-save's CPU under load.
	var b strings.Builder
	b.Grow(1536 + len(columns))
	t := arg(now)
	b.WriteString("UPDATE leads SET last_saved_at = " + t + ", updated_at = " + t + " WHERE user_id = " + arg(c.UserID) + " AND status IN (")
	for i, st := range leads.StatusesKeptBySave() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('\'')
		b.WriteString(string(st))
		b.WriteByte('\'')
	}
	b.WriteString(") AND EXISTS (SELECT 1 FROM users u WHERE u.id = leads.user_id AND leads.full_name = u.full_name AND leads.email = u.email AND (u.phone IS NULL OR leads.phone = u.phone)")
	for _, claim := range []struct {
		column string
		value  *string
	}{{"u.full_name", c.Name}, {"u.email", c.Email}, {"u.phone", c.Phone}} {
		if claim.value != nil {
			b.WriteString(" AND " + claim.column + " = " + arg(*claim.value))
		}
	}
	b.WriteString(")")
	add := func(cond string) {
		b.WriteString(" AND ")
		b.WriteString(cond)
	}
	if in.TrainingLocation != nil {
		id := arg(*in.TrainingLocation)
		add("training_location = " + id)
		add(same("training_location_name", "(SELECT name FROM locations WHERE id = "+id+")"))
	}
	ref := func(table, idColumn, nameColumn string, id, name *string) {
		switch {
		case id != nil:
			p := arg(*id)
			add(same(idColumn, "(SELECT id FROM "+table+" WHERE id = "+p+")"))
			add(same(nameColumn, "COALESCE((SELECT name FROM "+table+" WHERE id = "+p+"), "+arg(name)+")"))
		case name != nil:
			add(nameColumn + " = " + arg(*name))
		}
	}
	ref("centers", "center_id", "center_name", in.CenterID, in.CenterName)
	ref("courses", "course_id", "course_name", in.CourseID, in.CourseName)
	for _, f := range []struct {
		column string
		value  *string
	}{
		{"student_address", in.StudentAddress}, {"guardian_name", in.GuardianName},
		{"guardian_phone", in.GuardianPhone}, {"guardian_email", in.GuardianEmail},
		{"guardian_address", in.GuardianAddress}, {"source", in.Source}, {"payment_plan", in.PaymentPlan},
	} {
		if f.value != nil {
			add(f.column + " = " + arg(*f.value))
		}
	}
	if in.HasGuardian != nil {
		add("has_guardian = " + arg(*in.HasGuardian))
	}
	if in.Step != nil {
		step := arg(*in.Step)
		add("onboarding_step = " + step)
		add("step_reached >= " + step)
	} else {
		add("step_reached >= onboarding_step")
	}
	b.WriteString(" RETURNING ")
	b.WriteString(columns)
	return b.String()
}
