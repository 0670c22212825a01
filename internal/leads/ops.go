package leads

import (
	"context"
	"errors"
	"time"
)

// The changes to a lead. Each runs the rules of this package inside one
// transaction of the store (Store.Update), so both engines run the same
// algorithm: lock what the rule reads, decide, write.

// SaveFromOnboarding creates the user's lead or updates it by SaveInput.Apply,
// after provisioning the user's record from the token's claims in the same
// transaction. Concurrent saves for one user queue on the user's lock: exactly
// one of them creates. It returns ErrUserNotFound when the user has no record.
func SaveFromOnboarding(ctx context.Context, st Store, c Claims, in SaveInput, now time.Time) (lead Lead, created bool, err error) {
	err = st.Update(ctx, func(ctx context.Context, tx Tx) error {
		if !c.Empty() {
			if err := tx.ProvisionUser(ctx, c, now); err != nil {
				return err
			}
		}
		user, err := tx.LockUser(ctx, c.UserID)
		if err != nil {
			return err
		}
		var stored *Lead
		cur, err := tx.LockLeadOfUser(ctx, c.UserID)
		switch {
		case err == nil:
			stored = &cur
		case !errors.Is(err, ErrLeadNotFound):
			return err
		}
		refs, err := tx.References(ctx, in.TrainingLocation, in.CenterID, in.CourseID)
		if err != nil {
			return err
		}
		lead = in.Apply(stored, user, refs, now)
		if created = stored == nil; created {
			lead, err = tx.InsertLead(ctx, lead)
			return err
		}
		return tx.UpdateLead(ctx, lead)
	})
	if err != nil {
		return Lead{}, false, err
	}
	return lead, created, nil
}

// UpdateStatus applies ch (see StatusChange.Apply) to the lead. It returns
// ErrLeadNotFound or ErrLeadConverted.
func UpdateStatus(ctx context.Context, st Store, id string, ch StatusChange, now time.Time) (Lead, error) {
	var out Lead
	err := st.Update(ctx, func(ctx context.Context, tx Tx) error {
		l, err := tx.LockLead(ctx, id)
		if err != nil {
			return err
		}
		if out, err = ch.Apply(l, now); err != nil {
			return err
		}
		return tx.UpdateLead(ctx, out)
	})
	return out, err
}

// Convert marks the lead CONVERTED to the student (see Lead.ConvertTo). It
// returns ErrLeadNotFound, ErrConvertedToOther, or ErrStudentNotFound (the lead
// unchanged).
func Convert(ctx context.Context, st Store, id, studentID string, now time.Time) (Lead, error) {
	var out Lead
	err := st.Update(ctx, func(ctx context.Context, tx Tx) error {
		l, err := tx.LockLead(ctx, id)
		if err != nil {
			return err
		}
		var changed bool
		if out, changed, err = l.ConvertTo(studentID, now); err != nil || !changed {
			return err
		}
		ok, err := tx.StudentExists(ctx, studentID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrStudentNotFound
		}
		return tx.UpdateLead(ctx, out)
	})
	return out, err
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
		out, _, err = l.ConvertTo(studentID, now)
		if err != nil {
			return err
		}
		return tx.UpdateLead(ctx, out)
	})
	return out, err
}

// DeleteLead erases the lead and everything recorded about it, or returns
// ErrLeadNotFound.
func DeleteLead(ctx context.Context, st Store, id string) error {
	return st.Update(ctx, func(ctx context.Context, tx Tx) error {
		return tx.DeleteLead(ctx, id)
	})
}
