package leads

import (
	"strconv"
	"strings"
	"time"
)

// The CSV export's rows: formatting only; the writing is the HTTP layer's.

// CSVRecord fills rec with the lead's fields in the order of
// LeadFieldNames: times in RFC 3339, null as an empty cell, every text
// cell made safe for spreadsheets (csvCell).
func CSVRecord(l Lead, rec []string) []string {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return csvCell(*p)
	}
	tm := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	opt := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return tm(*t)
	}
	rec = append(rec[:0], l.ID, csvCell(l.UserID), csvCell(l.FullName), csvCell(l.Email), str(l.Phone),
		str(l.TrainingLocation), str(l.TrainingLocationName), str(l.CenterID), str(l.CenterName),
		str(l.StudentAddress), str(l.CourseID), str(l.CourseName), strconv.FormatBool(l.HasGuardian),
		str(l.GuardianName), str(l.GuardianPhone), str(l.GuardianEmail), str(l.GuardianAddress),
		strconv.Itoa(l.OnboardingStep), tm(l.LastSavedAt), string(l.Status), csvCell(l.Source), str(l.Notes),
		opt(l.ContactedAt), str(l.ContactedBy), opt(l.ConvertedAt), str(l.ConvertedToStudentID),
		tm(l.CreatedAt), tm(l.UpdatedAt), str(l.PaymentPlan), str(l.AssignedTo), opt(l.AssignedAt),
		strconv.Itoa(l.StepReached))
	return rec
}

// formulaStart are the first characters that make a spreadsheet read a cell
// as a formula (OWASP's list: tab and carriage return too).
const formulaStart = "=+-@\t\r"

// csvCell neutralises spreadsheet formula injection: a cell that begins with
// =, +, -, @, a tab or a carriage return gets a leading ' so that a spreadsheet shows it as text.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune(formulaStart, rune(s[0])) {
		return "'" + s
	}
	return s
}
