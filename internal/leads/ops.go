package leads

import (
	"context"
	"time"
)

// The changes to a lead. Each runs the rules of this package inside one
// transaction of the store (Store.Update), so both engines run the same
// algorithm: lock what the rule reads, decide, write the lead and its timeline
// entries together. actor is the id of the user whose request causes the
// change.

// SaveFromOnboarding creates the user's lead or updates it by SaveInput.Apply,
// after provisioning the user's record from the token's claims in the same
// transaction. Concurrent saves for one user queue on the user's lock: exactly
// one of them creates. A lead created with a centre, or getting its first
// centre, is assigned round robin among the centre's active staff unless it
// was ever assigned by hand. Save and Exit again with nothing new takes
// Store.Resave's short way instead. It returns ErrUserNotFound when the user has
// no record.
func SaveFromOnboarding(ctx context.Context, st Store, c Claims, in SaveInput, now time.Time) (lead Lead, created bool, err error) {
	// Save and Exit again with nothing new: one statement, no activity,
	// assignment or e-mail. A failed one sends the save the full way, which
	// reports what is wrong.
	if lead, ok, err := st.Resave(ctx, c, in, now); err == nil && ok {
		return lead, false, nil
	}
	err = st.Update(ctx, func(ctx context.Context, tx Tx) error {
		if !c.Empty() {
			if err := tx.ProvisionUser(ctx, c, now); err != nil {
				return err
			}
		}
		user, stored, refs, err := tx.LockForSave(ctx, c.UserID, in.TrainingLocation, in.CenterID, in.CourseID)
		if err != nil {
			return err
		}
		lead = in.Apply(stored, user, refs, now)
		var assigned []Activity
		if firstCentre(stored, lead) && lead.AssignedHow == "" {
			if assigned, err = autoAssign(ctx, tx, &lead, c.UserID, now); err != nil {
				return err
			}
		}
		if created = stored == nil; created {
			if lead, err = tx.InsertLead(ctx, lead); err != nil {
				return err
			}
		} else if err := tx.UpdateLead(ctx, lead); err != nil {
			return err
		}
		acts := saveActivities(stored, lead, c.UserID)
		for i := range assigned {
			assigned[i].LeadID = lead.ID // unknown before a first save's insert
		}
		acts = append(acts, assigned...)
		if err := tx.AddActivities(ctx, acts...); err != nil {
			return err
		}
		var emails []EmailJob
		switch {
		case created:
			emails = []EmailJob{{EmailNewLead, lead.ID}, {EmailProgressSaved, lead.ID}}
		case stored.Status == StatusLost && lead.Status == StatusPending:
			emails = []EmailJob{{EmailNewLead, lead.ID}} // a lost lead came back
		}
		return publish(ctx, tx, acts, emails...)
	})
	if err != nil {
		return Lead{}, false, err
	}
	return lead, created, nil
}

// firstCentre reports whether a save gives the lead its first centre: at
// creation, or when it had none before.
func firstCentre(stored *Lead, saved Lead) bool {
	return saved.CenterID != nil && (stored == nil || stored.CenterID == nil)
}

// autoAssign gives the lead to the next active staff member of its centre, if
// it has any, and returns the timeline entry to record.
func autoAssign(ctx context.Context, tx Tx, l *Lead, actor string, now time.Time) ([]Activity, error) {
	staffID, ok, err := tx.NextAssignee(ctx, *l.CenterID)
	if err != nil || !ok {
		return nil, err
	}
	from := l.AssignedTo
	l.AssignedTo, l.AssignedAt, l.AssignedHow = &staffID, &now, AssignedAuto
	return []Activity{newActivity(*l, ActivityAssigned, actor, now, assignedData{from, &staffID, AssignedAuto})}, nil
}

// change locks the lead, applies rule to it and, when the rule changed it,
// stores it with the timeline entries the rule returns (written even when the
// lead itself did not change, such as a call that moves nothing).
func change(ctx context.Context, st Store, id string, rule func(ctx context.Context, tx Tx, l Lead) (Lead, []Activity, error)) (Lead, []Activity, error) {
	var out Lead
	var acts []Activity
	err := st.Update(ctx, func(ctx context.Context, tx Tx) error {
		l, err := tx.LockLead(ctx, id)
		if err != nil {
			return err
		}
		if out, acts, err = rule(ctx, tx, l); err != nil {
			return err
		}
		if len(ChangedFields(l, out)) > 0 || !out.UpdatedAt.Equal(l.UpdatedAt) || out.AssignedHow != l.AssignedHow {
			if err := tx.UpdateLead(ctx, out); err != nil {
				return err
			}
		}
		if err := tx.AddActivities(ctx, acts...); err != nil {
			return err
		}
		return publish(ctx, tx, acts)
	})
	if err != nil {
		return Lead{}, nil, err
	}
	return out, acts, nil
}

// UpdateStatus applies ch (see StatusChange.Apply) to the lead and records the
// move with its reason. It returns ErrLeadNotFound or ErrLeadConverted.
func UpdateStatus(ctx context.Context, st Store, id string, ch StatusChange, actor string, now time.Time) (Lead, error) {
	l, _, err := change(ctx, st, id, func(_ context.Context, _ Tx, l Lead) (Lead, []Activity, error) {
		out, err := ch.Apply(l, now)
		if err != nil {
			return l, nil, err
		}
		return out, statusActivity(l, out, actor, ch.Reason), nil
	})
	return l, err
}

// Convert marks the lead CONVERTED to the student (see Lead.ConvertTo). It
// returns ErrLeadNotFound, ErrConvertedToOther, or ErrStudentNotFound (the lead
// unchanged).
func Convert(ctx context.Context, st Store, id, studentID, actor string, now time.Time) (Lead, error) {
	l, _, err := change(ctx, st, id, func(ctx context.Context, tx Tx, l Lead) (Lead, []Activity, error) {
		out, changed, err := l.ConvertTo(studentID, now)
		if err != nil || !changed {
			return l, nil, err
		}
		ok, err := tx.StudentExists(ctx, studentID)
		if err != nil {
			return l, nil, err
		}
		if !ok {
			return l, nil, ErrStudentNotFound
		}
		return out, conversionActivities(l, out, actor), nil
	})
	return l, err
}

// conversionActivities records a conversion: the status move and the student.
func conversionActivities(before, after Lead, actor string) []Activity {
	return append(statusActivity(before, after, actor, nil),
		newActivity(after, ActivityConverted, actor, after.UpdatedAt, convertedData{*after.ConvertedToStudentID}))
}

// CompleteOnboarding finishes the user's enrolment: it finds the student
// linked to the user or creates one, and converts the user's lead to it unless
// the lead is already converted. Calling it again changes nothing. It returns
// ErrLeadNotFound when the user has no lead.
func CompleteOnboarding(ctx context.Context, st Store, userID string, now time.Time) (Lead, error) {
	var out Lead
	err := st.Update(ctx, func(ctx context.Context, tx Tx) error {
		l, err := tx.LockLeadOfUser(ctx, userID)
		if err != nil {
			return err
		}
		if out = l; l.Status == StatusConverted {
			return nil
		}
		studentID, err := tx.StudentOfUser(ctx, userID, now)
		if err != nil {
			return err
		}
		if out, _, err = l.ConvertTo(studentID, now); err != nil {
			return err
		}
		if err := tx.UpdateLead(ctx, out); err != nil {
			return err
		}
		acts := conversionActivities(l, out, userID)
		if err := tx.AddActivities(ctx, acts...); err != nil {
			return err
		}
		return publish(ctx, tx, acts)
	})
	return out, err
}

// Assign gives the lead to the staff member (nil: to no one), by hand: the
// automatic assignment will not override it. The staff member must be active,
// else ErrUnknownStaff. Assigning the lead to whom it already has records
// nothing, but it is a choice by hand all the same.
func Assign(ctx context.Context, st Store, id string, staffID *string, actor string, now time.Time) (Lead, error) {
	l, _, err := change(ctx, st, id, func(ctx context.Context, tx Tx, l Lead) (Lead, []Activity, error) {
		if staffID != nil {
			ok, err := tx.StaffActive(ctx, *staffID)
			if err != nil {
				return l, nil, err
			}
			if !ok {
				return l, nil, ErrUnknownStaff
			}
		}
		if l.AssignedTo == nil && staffID == nil || l.AssignedTo != nil && staffID != nil && *l.AssignedTo == *staffID {
			// No change of hands, but a choice made by hand all the same.
			l.AssignedHow = AssignedManual
			return l, nil, nil
		}
		out := l
		out.AssignedTo, out.AssignedAt, out.AssignedHow, out.UpdatedAt = staffID, nil, AssignedManual, now
		if staffID != nil {
			out.AssignedAt = &now
		}
		return out, []Activity{newActivity(out, ActivityAssigned, actor, now, assignedData{l.AssignedTo, staffID, AssignedManual})}, nil
	})
	return l, err
}

// AddNote records a note on the lead's timeline; the lead's notes field holds
// the latest note. It returns the note's activity.
func AddNote(ctx context.Context, st Store, id, text, actor string, now time.Time) (Activity, error) {
	_, acts, err := change(ctx, st, id, func(_ context.Context, _ Tx, l Lead) (Lead, []Activity, error) {
		out := l
		out.Notes, out.UpdatedAt = &text, now
		return out, []Activity{newActivity(out, ActivityNote, actor, now, noteData{text})}, nil
	})
	if err != nil {
		return Activity{}, err
	}
	return acts[0], nil
}

// LogCall records a call on the lead's timeline. A reached call on a PENDING
// lead is the first contact: the lead moves to CONTACTED, contacted by the
// caller. It returns the call's activity.
func LogCall(ctx context.Context, st Store, id string, c Call, actor string, now time.Time) (Activity, error) {
	_, acts, err := change(ctx, st, id, func(_ context.Context, _ Tx, l Lead) (Lead, []Activity, error) {
		call := newActivity(l, ActivityCall, actor, now, callData(c))
		if c.Outcome != CallReached || l.Status != StatusPending {
			return l, []Activity{call}, nil
		}
		out, err := StatusChange{Status: StatusContacted, ContactedBy: actor}.Apply(l, now)
		if err != nil {
			return l, nil, err
		}
		return out, append([]Activity{call}, statusActivity(l, out, actor, nil)...), nil
	})
	if err != nil {
		return Activity{}, err
	}
	return acts[0], nil
}

// DeleteLead erases the lead and everything recorded about it (its timeline
// and its e-mails not sent yet included), or returns ErrLeadNotFound.
// Subscribers of lead.erased learn of it, by ids only.
func DeleteLead(ctx context.Context, st Store, id string, now time.Time) error {
	return st.Update(ctx, func(ctx context.Context, tx Tx) error {
		if err := tx.DeleteLead(ctx, id); err != nil {
			return err
		}
		subs, err := tx.WebhooksFor(ctx, EventErased)
		hooks := subs[EventErased]
		if err != nil || len(hooks) == 0 {
			return err
		}
		jobs := make([]Job, len(hooks))
		for i, h := range hooks {
			jobs[i] = WebhookJob{WebhookID: h, Event: EventErased, LeadID: id, At: now}
		}
		return tx.Enqueue(ctx, jobs...)
	})
}

// PutStaff creates or replaces a staff member of the roster. Every centre must
// exist: an Invalid error names each centerIds entry that does not.
func PutStaff(ctx context.Context, st Store, s Staff, now time.Time) (created bool, err error) {
	err = st.Update(ctx, func(ctx context.Context, tx Tx) error {
		known, err := tx.KnownCenters(ctx, s.CenterIDs)
		if err != nil {
			return err
		}
		if err := s.UnknownCenters(known); err != nil {
			return err
		}
		created, err = tx.PutStaff(ctx, s, now)
		return err
	})
	return created, err
}
