package leads

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends l as encoding/json would marshal it, byte for byte (a
// fuzz test holds the two together), without reflection or a Marshaler call
// per time: a list page's JSON took close to half of the list's CPU.
// A nil l is null.
func (l *Lead) AppendJSON(b []byte) []byte {
	if l == nil {
		return append(b, "null"...)
	}
	b = AppendJSONString(append(b, `{"id":`...), l.ID)
	b = AppendJSONString(append(b, `,"userId":`...), l.UserID)
	b = AppendJSONString(append(b, `,"fullName":`...), l.FullName)
	b = AppendJSONString(append(b, `,"email":`...), l.Email)
	b = appendOptString(append(b, `,"phone":`...), l.Phone)
	b = appendOptString(append(b, `,"trainingLocation":`...), l.TrainingLocation)
	b = appendOptString(append(b, `,"trainingLocationName":`...), l.TrainingLocationName)
	b = appendOptString(append(b, `,"centerId":`...), l.CenterID)
	b = appendOptString(append(b, `,"centerName":`...), l.CenterName)
	b = appendOptString(append(b, `,"studentAddress":`...), l.StudentAddress)
	b = appendOptString(append(b, `,"courseId":`...), l.CourseID)
	b = appendOptString(append(b, `,"courseName":`...), l.CourseName)
	b = strconv.AppendBool(append(b, `,"hasGuardian":`...), l.HasGuardian)
	b = appendOptString(append(b, `,"guardianName":`...), l.GuardianName)
	b = appendOptString(append(b, `,"guardianPhone":`...), l.GuardianPhone)
	b = appendOptString(append(b, `,"guardianEmail":`...), l.GuardianEmail)
	b = appendOptString(append(b, `,"guardianAddress":`...), l.GuardianAddress)
	b = strconv.AppendInt(append(b, `,"onboardingStep":`...), int64(l.OnboardingStep), 10)
	b = appendTime(append(b, `,"lastSavedAt":`...), l.LastSavedAt)
	b = AppendJSONString(append(b, `,"status":`...), string(l.Status))
	b = AppendJSONString(append(b, `,"source":`...), l.Source)
	b = appendOptString(append(b, `,"notes":`...), l.Notes)
	b = appendOptTime(append(b, `,"contactedAt":`...), l.ContactedAt)
	b = appendOptString(append(b, `,"contactedBy":`...), l.ContactedBy)
	b = appendOptTime(append(b, `,"convertedAt":`...), l.ConvertedAt)
	b = appendOptString(append(b, `,"convertedToStudentId":`...), l.ConvertedToStudentID)
	b = appendTime(append(b, `,"createdAt":`...), l.CreatedAt)
	b = appendTime(append(b, `,"updatedAt":`...), l.UpdatedAt)
	b = appendOptString(append(b, `,"paymentPlan":`...), l.PaymentPlan)
	b = appendOptString(append(b, `,"assignedTo":`...), l.AssignedTo)
	b = appendOptTime(append(b, `,"assignedAt":`...), l.AssignedAt)
	b = strconv.AppendInt(append(b, `,"stepReached":`...), int64(l.StepReached), 10)
	return append(b, '}')
}

// AppendJSON appends p as encoding/json would marshal it.
func (p *LeadPage) AppendJSON(b []byte) []byte {
	if p.Leads == nil {
		b = append(b, `{"leads":null`...)
	} else {
		b = append(b, `{"leads":[`...)
		for i := range p.Leads {
			if i > 0 {
				b = append(b, ',')
			}
			b = p.Leads[i].AppendJSON(b)
		}
		b = append(b, ']')
	}
	b = strconv.AppendInt(append(b, `,"total":`...), int64(p.Total), 10)
	if p.Page == nil {
		b = append(b, `,"page":null`...)
	} else {
		b = strconv.AppendInt(append(b, `,"page":`...), int64(*p.Page), 10)
	}
	b = strconv.AppendInt(append(b, `,"limit":`...), int64(p.Limit), 10)
	return append(b, '}')
}

func appendOptString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return AppendJSONString(b, *s)
}

// appendTime is time.Time's MarshalJSON (RFC 3339 with the nanoseconds it
// has) for the years 0 to 9999 that a lead's times are in.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendOptTime(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	return appendTime(b, *t)
}

// AppendJSONString quotes s as encoding/json does with its default HTML
// escaping: <, > and & as \u003c, \u003e and \u0026, control characters
// escaped, invalid UTF-8 as U+FFFD, and U+2028 and U+2029 escaped.
func AppendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
