package leads

import (
	"context"
	"time"
)

// Store is what the service needs from a storage engine. Two engines implement
// it (internal/sqlite, internal/postgres) and one conformance suite
// (internal/storetest) holds both to the same behaviour.
//
// Changes to leads go through Update: the rules of this package (ops.go) run
// inside one transaction of the engine, over the primitives of Tx, so that the
// algorithm of every change is written once, here, and the engines differ only
// in SQL. Reference data is written by one upsert per row.
//
// Times passed in are already Timestamp-normalised (UTC, microseconds). Errors
// are the *Error values of this package where the caller can act on them;
// anything else is internal and never shown to a client.
type Store interface {
	// Update runs fn in one transaction and commits it when fn returns nil;
	// when fn fails nothing of it is kept. fn must do nothing but storage work
	// through tx: the engine may run it again when the database aborted the
	// transaction for a conflict with another (a deadlock, a serialization
	// failure), and on SQLite it runs on the one writer, so it must be quick.
	// fn gets a context of the engine's that it must pass to tx.
	Update(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

	// Lead returns the lead with the given id, or ErrLeadNotFound. Lead,
	// LeadByUser and ListLeads first do the provisioning ctx carries
	// (WithProvision), if it is still to be done, and fail if it fails.
	Lead(ctx context.Context, id string) (Lead, error)
	// LeadByUser returns the user's lead, or ErrLeadNotFound.
	LeadByUser(ctx context.Context, userID string) (Lead, error)
	// Resave is Save and Exit pressed again with nothing new, in one
	// statement: when the user has a lead of which in would change nothing
	// but the save times (SaveInput.Apply), and the user's record holds every
	// claim of c, it writes now as the lead's lastSavedAt and updatedAt and
	// returns the lead and true; otherwise it writes nothing and returns
	// false (the save takes the full way).
	Resave(ctx context.Context, c Claims, in SaveInput, now time.Time) (Lead, bool, error)
	// ListLeads returns a page of the leads that match the filter, in its
	// order (ties by id, in the same direction), with the exact number of
	// leads matching it, both read in one snapshot.
	ListLeads(ctx context.Context, f ListFilter) (LeadPage, error)
	// ExportLeads calls fn with every lead that matches the filter, in its
	// order, ignoring its page and limit; it reads row by row, so memory does
	// not grow with the number of leads. It stops at fn's first error.
	ExportLeads(ctx context.Context, f ListFilter, fn func(Lead) error) error
	// Activities returns a page of the lead's timeline, newest first, or
	// ErrLeadNotFound.
	Activities(ctx context.Context, leadID string, page, limit int) (ActivityPage, error)
	// Roster lists the staff, by id.
	Roster(ctx context.Context) ([]Staff, error)
	// Stats counts the leads the filter selects, by UTC ISO week of
	// createdAt and centre (see WeekAggregate; overdue ones were created before
	// overdueBefore), and reads the first-contact delays (contactedAt −
	// createdAt, in whole seconds, ascending) at the ranks PercentileRanks
	// names for the number of leads contacted; all in one snapshot (an
	// engine opens it and lets ReadStats read through its StatsReader).
	Stats(ctx context.Context, f StatsFilter, overdueBefore time.Time) ([]WeekAggregate, map[int]int64, error)

	// PutUser creates or replaces a user; created tells which.
	PutUser(ctx context.Context, u User, now time.Time) (created bool, err error)
	// ProvisionUser keeps the user's record in step with a token's claims
	// (see Claims). It writes only when the claims differ from the record.
	ProvisionUser(ctx context.Context, c Claims, now time.Time) error
	// PutLocation, PutCenter, PutCourse and PutStudent create or replace one
	// reference row. A reference to a row that does not exist is
	// ErrUnknownLocation, ErrUnknownCenter or ErrUnknownUser; a student whose
	// userId already belongs to another student is ErrStudentUserTaken.
	PutLocation(ctx context.Context, l Location) (created bool, err error)
	PutCenter(ctx context.Context, c Center) (created bool, err error)
	PutCourse(ctx context.Context, c Course) (created bool, err error)
	PutStudent(ctx context.Context, s Student, now time.Time) (created bool, err error)
	// Locations lists every location by name; Centers and Courses list those
	// of one location or centre by name ("" for all).
	Locations(ctx context.Context) ([]Location, error)
	Centers(ctx context.Context, locationID string) ([]Center, error)
	Courses(ctx context.Context, centerID string) ([]Course, error)

	// PutWebhook creates or replaces a subscription (a replacement keeps the
	// secret when w has none); created tells which. Webhooks lists them by id
	// without secrets; Webhook returns one with its secret, or ErrNotFound;
	// DeleteWebhook removes one, or returns ErrNotFound.
	PutWebhook(ctx context.Context, w Webhook, now time.Time) (created bool, err error)
	Webhooks(ctx context.Context) ([]Webhook, error)
	Webhook(ctx context.Context, id string) (Webhook, error)
	DeleteWebhook(ctx context.Context, id string) error
	// DisableWebhook stops deliveries to a subscription, saying why.
	DisableWebhook(ctx context.Context, id, why string, now time.Time) error
	// RecordDelivery logs an attempt; Deliveries lists a subscription's,
	// newest first (ErrNotFound for no such subscription).
	RecordDelivery(ctx context.Context, webhookID string, d Delivery, excerpt string) error
	Deliveries(ctx context.Context, webhookID string, limit int) ([]Delivery, error)
	// Secret returns the key the service keeps under name, making a random
	// one of size bytes on first use (the same for every instance).
	Secret(ctx context.Context, name string, size int, now time.Time) ([]byte, error)
	// JobCounts counts the queued jobs by state, for operators.
	JobCounts(ctx context.Context) (JobCounts, error)

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Close releases the database; every acknowledged write is on disk.
	Close() error
}

// Tx is one transaction of a Store, as the rules of this package use it. Every
// read of a lead or user locks the row until the transaction ends (on SQLite
// the single writer makes every transaction exclusive), so that a rule decides
// on data that cannot change under it.
type Tx interface {
	// ProvisionUser is Store.ProvisionUser inside the transaction, so a save
	// provisions its user in the same round of statements.
	ProvisionUser(ctx context.Context, c Claims, now time.Time) error
	// LockForSave reads what a save decides on, in one go: the user's record
	// (or ErrUserNotFound), the user's lead (nil when there is none), and the
	// rows the save's reference ids name (nil ids, and ids with no row, give
	// nil). It locks the record and the lead: holding the user's lock
	// serialises the saves of one user, so "is there a lead yet?" has one
	// answer at a time.
	LockForSave(ctx context.Context, userID string, locationID, centerID, courseID *string) (User, *Lead, References, error)
	// LockLead and LockLeadOfUser return a lead, or ErrLeadNotFound.
	LockLead(ctx context.Context, id string) (Lead, error)
	LockLeadOfUser(ctx context.Context, userID string) (Lead, error)
	// InsertLead stores a new lead and returns it with its new id.
	InsertLead(ctx context.Context, l Lead) (Lead, error)
	// UpdateLead stores every field of an existing lead.
	UpdateLead(ctx context.Context, l Lead) error
	// DeleteLead erases a lead and everything recorded about it, its queued
	// jobs included (those not running), or returns ErrLeadNotFound.
	DeleteLead(ctx context.Context, id string) error
	// StudentExists reports whether the student is in the reference table.
	StudentExists(ctx context.Context, id string) (bool, error)
	// StudentOfUser returns the student linked to the user, creating one (a
	// new id) when there is none.
	StudentOfUser(ctx context.Context, userID string, now time.Time) (string, error)
	// AddActivities records timeline entries, each under a new id.
	AddActivities(ctx context.Context, acts ...Activity) error
	// NextAssignee takes the centre's turn: it returns the first active staff
	// member of the centre after the one who had the turn last, in id order
	// and wrapping around, and records them as having it. ok is false when
	// the centre has no active staff. The turn's row is locked until the
	// transaction ends, so concurrent turns of one centre queue.
	NextAssignee(ctx context.Context, centerID string) (staffID string, ok bool, err error)
	// StaffActive reports whether the staff member exists and is active.
	StaffActive(ctx context.Context, id string) (bool, error)
	// KnownCenters returns which of the ids are centres.
	KnownCenters(ctx context.Context, ids []string) (map[string]bool, error)
	// PutStaff creates or replaces a staff member and their centres.
	PutStaff(ctx context.Context, s Staff, now time.Time) (created bool, err error)
	// Enqueue queues jobs in the transaction: they run after it commits, and
	// not at all if it rolls back.
	Enqueue(ctx context.Context, jobs ...Job) error
	// WebhooksFor returns the ids of the active subscriptions to each of
	// the events, in id order, in one read however many events there are.
	WebhooksFor(ctx context.Context, events ...string) (map[string][]string, error)
	// ClaimNudges marks nudged (at now) at most limit leads a nudge is due
	// for: PENDING, not unsubscribed, last saved before savedBefore, fewer
	// than max nudges, the last of them before savedBefore too; and returns
	// their ids. Rows another transaction holds are skipped, not waited for.
	ClaimNudges(ctx context.Context, savedBefore time.Time, max int, now time.Time, limit int) ([]string, error)
	// Unsubscribe stops the lead's nudges, or returns ErrLeadNotFound.
	Unsubscribe(ctx context.Context, leadID string, now time.Time) error
}

// JobCounts are the jobs of the queue by what became of them.
type JobCounts struct {
	Pending  int `json:"pending"`  // waiting for their turn
	Running  int `json:"running"`  // being done now
	Retrying int `json:"retrying"` // failed, to be tried again
	Failed   int `json:"failed"`   // given up on (discarded)
}

// Claims are the profile claims of a token, for just-in-time provisioning:
// with both Name and Email the user's record is created when missing; every
// non-nil claim overwrites the stored field of an existing record.
type Claims struct {
	UserID             string
	Name, Email, Phone *string
}

// Empty reports whether the token carries no profile claim.
func (c Claims) Empty() bool { return c.Name == nil && c.Email == nil && c.Phone == nil }

// CanCreate reports whether the claims are enough to create a record.
func (c Claims) CanCreate() bool { return c.Name != nil && c.Email != nil }

// Matches reports whether the stored user already holds every claim given.
func (c Claims) Matches(u User) bool {
	same := func(claim, stored *string) bool {
		return claim == nil || (stored != nil && *claim == *stored)
	}
	return same(c.Name, &u.FullName) && same(c.Email, &u.Email) && same(c.Phone, u.Phone)
}
