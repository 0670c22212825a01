package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/postgres"
	"github.com/leads/leads/internal/schema"
)

// pgbenchResave is the pgbench script of the resave phase's statement, for
// PostgreSQL alone to run it as the service does: the statement Store.Resave
// sends (schema.ResaveSQL, so it follows the engine) for the payload and
// claims of one of the first users users, each value computed from the
// user's number as resavePayload and userName compute it.
func pgbenchResave(cat catalogue, users int) (string, error) {
	// Render the statement for one user with real values, then put back,
	// for each value, the SQL that computes it for any user. Every value of
	// the sample user must be told apart.
	const sample = 123
	in, err := leads.ParseOnboarding(mustJSON(resavePayload(cat, sample)))
	if err != nil {
		return "", fmt.Errorf("the resave payload does not parse: %w", err)
	}
	name, email := userName(sample)
	claims := leads.Claims{UserID: userPrefix + strconv.Itoa(sample), Name: &name, Email: &email}
	const now = "\x00now"
	p := resavePayload(cat, sample)
	values := []struct {
		value any
		sql   string
	}{
		{claims.UserID, "('" + userPrefix + "' || :uid)"},
		{name, "(" + pick("f", firstNames) + " || ' ' || " + pick("ln", lastNames) + ")"},
		{email, "('load.user.' || :uid || '@example.com')"},
		{*p.Profile.TrainingLocation, pick("c", cat.perCentre(func(c center) string { return c.locationID }))},
		{p.SelectedCenter.ID, pick("c", cat.perCentre(func(c center) string { return c.id }))},
		{p.SelectedCenter.Name, pick("c", cat.perCentre(func(c center) string { return c.name }))},
		{p.SelectedCourse.ID, pick("c", cat.perCentre(func(c center) string { return cat.coursesOf(c.id)[0].id }))},
		{p.SelectedCourse.Name, pick("c", cat.perCentre(func(c center) string { return cat.coursesOf(c.id)[0].name }))},
		{*p.Profile.StudentAddress, "(:a || ' ' || " + pick("s", streets) + ")"},
		{*p.Profile.GuardianName, "(" + pick("f", firstNames) + " || ' ' || " + pick("gl", lastNames) + ")"},
		{*p.Profile.GuardianPhone, "('080' || lpad(:uid, 8, '0'))"},
		{*p.Profile.GuardianEmail, "('guardian.' || :uid || '@example.com')"},
		{*p.Profile.GuardianAddress, "(:a2 || ' ' || " + pick("s2", streets) + ")"},
		{p.Source, "'" + p.Source + "'"},
		{true, "true"},
		{p.Step, strconv.Itoa(p.Step)},
		{now, "now()"},
	}
	sql := map[any]string{}
	for _, v := range values {
		if _, twice := sql[v.value]; twice {
			return "", fmt.Errorf("two of the sample user's values are %v: pick another sample", v.value)
		}
		sql[v.value] = v.sql
	}
	var missing []string
	arg := func(v any) string {
		if s, ok := v.(*string); ok && s != nil {
			v = *s
		}
		e, ok := sql[v]
		if !ok {
			missing = append(missing, fmt.Sprint(v))
		}
		return e
	}
	statement := schema.ResaveSQL(in, claims, now, postgres.LeadColumns, arg, func(a, b string) string { return a + " IS NOT DISTINCT FROM " + b })
	if len(missing) > 0 {
		return "", fmt.Errorf("no SQL for the statement's values %q", missing)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\\set uid random(0, %d)\n", users-1)
	for _, v := range []struct{ name, expr string }{
		{"c", fmt.Sprintf(":uid %% %d + 1", len(cat.centers))},
		{"f", fmt.Sprintf(":uid %% %d + 1", len(firstNames))},
		{"ln", fmt.Sprintf("(:uid / %d) %% %d + 1", len(firstNames), len(lastNames))},
		{"gl", fmt.Sprintf(":uid %% %d + 1", len(lastNames))},
		{"a", ":uid % 200 + 1"},
		{"s", fmt.Sprintf(":uid %% %d + 1", len(streets))},
		{"a2", ":uid % 150 + 1"},
		{"s2", fmt.Sprintf("(:uid + 3) %% %d + 1", len(streets))},
	} {
		fmt.Fprintf(&b, "\\set %s %s\n", v.name, v.expr)
	}
	// One line (the columns' text breaks lines; no literal holds two spaces).
	b.WriteString(strings.Join(strings.Fields(statement), " ") + ";\n")
	return b.String(), nil
}

// pick is the SQL that picks one of values by the pgbench variable named
// (1 for the first).
func pick(variable string, values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = quote(v)
	}
	return "(ARRAY[" + strings.Join(quoted, ", ") + "])[:" + variable + "]"
}

// perCentre is f of each centre, in the catalogue's order (that of the
// pgbench variable c).
func (c catalogue) perCentre(f func(center) string) []string {
	out := make([]string, len(c.centers))
	for i, ce := range c.centers {
		out[i] = f(ce)
	}
	return out
}
