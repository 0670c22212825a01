package leads

import (
	"context"
	"time"
)

// Store is what the service needs from a storage engine. Two engines implement
// it (internal/sqlite, internal/postgres) and one conformance suite
// (internal/storetest) holds both to the same behaviour.
//
// Every method that changes data is atomic: it commits all of its change or none.
// Times passed in are already Now()-normalised (UTC, microseconds). Errors are
// the *Error values of this package where the caller can act on them; anything
// else is internal and never shown to a client.
type Store interface {
	// SaveFromOnboarding creates the user's lead or updates it, following the
	// rules documented on SaveInput, in one statement or one transaction that is
	// safe when many saves for one user race: exactly one of them creates.
	// It returns ErrUserNotFound when the user has no record.
	SaveFromOnboarding(ctx context.Context, userID string, in SaveInput, now time.Time) (lead Lead, created bool, err error)
	// Lead returns the lead with the given id, or ErrLeadNotFound.
	Lead(ctx context.Context, id string) (Lead, error)
	// LeadByUser returns the user's lead, or ErrLeadNotFound.
	LeadByUser(ctx context.Context, userID string) (Lead, error)
	// ListLeads returns a page of leads, newest createdAt first (ties by id,
	// descending), with the exact number of leads matching the filter.
	ListLeads(ctx context.Context, f ListFilter) (LeadPage, error)
	// UpdateStatus applies ch (see StatusChange.Apply) atomically. It returns
	// ErrLeadNotFound or ErrLeadConverted.
	UpdateStatus(ctx context.Context, id string, ch StatusChange, now time.Time) (Lead, error)
	// Convert marks the lead CONVERTED to the student: convertedAt = now,
	// convertedToStudentId = studentID. Converting again to the same student
	// changes nothing; to another student it returns ErrConvertedToOther. It
	// returns ErrLeadNotFound, or ErrStudentNotFound (lead unchanged).
	Convert(ctx context.Context, id, studentID string, now time.Time) (Lead, error)
	// CompleteOnboarding finishes the user's enrolment: it finds the student
	// linked to the user or creates one (a new UUID), and converts the user's
	// lead to it unless the lead is already converted. Calling it again changes
	// nothing. It returns ErrLeadNotFound when the user has no lead.
	CompleteOnboarding(ctx context.Context, userID string, now time.Time) (Lead, error)
	// DeleteLead erases the lead and everything recorded about it, or returns
	// ErrLeadNotFound.
	DeleteLead(ctx context.Context, id string) error

	// PutUser creates or replaces a user; created tells which.
	PutUser(ctx context.Context, u User) (created bool, err error)
	// ProvisionUser keeps the user's record in step with a token's claims (each
	// may be nil): with both name and email it creates the record when missing;
	// every non-nil claim overwrites the stored field of an existing record.
	ProvisionUser(ctx context.Context, id string, name, email, phone *string) error
	// PutLocation, PutCenter, PutCourse and PutStudent create or replace one
	// reference row. A reference to a row that does not exist (locationId,
	// centerId, userId) is an Invalid error naming that field; a student whose
	// userId already belongs to another student is a CodeConflict error.
	PutLocation(ctx context.Context, l Location) (created bool, err error)
	PutCenter(ctx context.Context, c Center) (created bool, err error)
	PutCourse(ctx context.Context, c Course) (created bool, err error)
	PutStudent(ctx context.Context, s Student) (created bool, err error)
	// Locations lists every location by name; Centers and Courses list those
	// of one location or centre by name ("" for all).
	Locations(ctx context.Context) ([]Location, error)
	Centers(ctx context.Context, locationID string) ([]Center, error)
	Courses(ctx context.Context, centerID string) ([]Course, error)

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Close releases the database; every acknowledged write is on disk.
	Close() error
}
