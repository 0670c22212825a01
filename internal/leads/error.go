package leads

import (
	"errors"
	"fmt"
)

// Code classifies an Error; the HTTP layer maps each code to one status.
type Code string

// The error codes. Anything that is not an *Error is internal.
const (
	CodeInvalid      Code = "invalid"      // 400: bad input, with field errors
	CodeUnauthorized Code = "unauthorized" // 401
	CodeForbidden    Code = "forbidden"    // 403
	CodeNotFound     Code = "not_found"    // 404
	CodeConflict     Code = "conflict"     // 409
	CodeTooLarge     Code = "too_large"    // 413
	CodeTooMany      Code = "too_many"     // 429: over the rate limit
	CodeUnavailable  Code = "unavailable"  // 503: the database does not answer
)

// FieldError names one field of a request (dotted JSON path) and what is wrong
// with it, or, in a warning, what was done about it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the domain's error: a code, a message safe to show to a client, and
// for CodeInvalid the fields at fault.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	// RetryAfter, in seconds, tells a client when to try again (429, 503).
	RetryAfter int
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with a formatted, client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a validation error naming the fields at fault.
func Invalid(fields ...FieldError) *Error {
	return &Error{Code: CodeInvalid, Message: "Validation failed", Fields: fields}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else "".
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Errors the stores and handlers return. Compare with errors.Is.
var (
	ErrLeadNotFound = &Error{Code: CodeNotFound, Message: "Lead not found"}
	ErrUserNotFound = &Error{Code: CodeNotFound, Message: "User not found"}
	// ErrStudentNotFound: the convert body names a student that does not exist.
	// It is a bad field of the request, not a missing resource (the lead exists).
	ErrStudentNotFound = &Error{Code: CodeInvalid, Message: "Student not found",
		Fields: []FieldError{{"studentId", "no student with this id"}}}
	ErrNotFound = &Error{Code: CodeNotFound, Message: "Not found"}
	// ErrLeadConverted: a converted lead's status is final.
	ErrLeadConverted = &Error{Code: CodeConflict, Message: "Lead is already converted; its status cannot change"}
	// ErrConvertedToOther: the lead is converted to a different student.
	ErrConvertedToOther = &Error{Code: CodeConflict, Message: "Lead is already converted to another student"}
	// ErrStudentUserTaken: PUT /students links a user that another student has.
	ErrStudentUserTaken = &Error{Code: CodeConflict, Message: "Another student already belongs to this user",
		Fields: []FieldError{{"userId", "already linked to another student"}}}
	// A reference write names a row that does not exist.
	ErrUnknownLocation = Invalid(FieldError{"locationId", "no such location"})
	// ErrUnknownCursor: a list's after names no lead (it may have been
	// erased since the page before): the walk starts again from the top.
	ErrUnknownCursor = Invalid(FieldError{"after", "no lead has this id"})
	ErrUnknownCenter = Invalid(FieldError{"centerId", "no such centre"})
	ErrUnknownUser   = Invalid(FieldError{"userId", "no such user"})
)
