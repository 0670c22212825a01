package leads

import "time"

// StatusChange is a validated body of PUT /leads/{id}/status.
type StatusChange struct {
	Status Status
	// ContactedBy is recorded on the first move to CONTACTED; the handler fills it
	// with the caller's id when the body names no one.
	ContactedBy string
	// Reason is kept in the status.changed activity (at most MaxReasonLen).
	Reason *string
}

// MaxReasonLen bounds the reason of a status change.
const MaxReasonLen = 500

// ParseStatusChange validates the body of PUT /leads/{id}/status. CONVERTED is
// refused here: conversion needs a student and goes through /convert.
func ParseStatusChange(body []byte) (StatusChange, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return StatusChange{}, err
	}
	p := parser{}
	var ch StatusChange
	s := p.required(obj, "status")
	switch st := Status(s); {
	case st == StatusConverted:
		p.fail("status", "CONVERTED is set through PUT /leads/{id}/convert")
	case st == StatusPending || st == StatusContacted || st == StatusLost:
		ch.Status = st
	case s != "":
		p.fail("status", "must be one of PENDING, CONTACTED, LOST")
	}
	if by := p.str(obj, "contactedBy", "contactedBy", MaxStringLen); by != nil {
		ch.ContactedBy = *by
	}
	ch.Reason = p.str(obj, "reason", "reason", MaxReasonLen)
	return ch, p.err()
}

// ParseConvert validates the body of PUT /leads/{id}/convert and returns the
// student id.
func ParseConvert(body []byte) (string, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return "", err
	}
	p := parser{}
	id := p.required(obj, "studentId")
	return id, p.err()
}

// Apply returns l after the status change ch at time now, or ErrLeadConverted.
// The first move to CONTACTED records when and by whom; later moves keep it.
func (ch StatusChange) Apply(l Lead, now time.Time) (Lead, error) {
	if l.Status == StatusConverted {
		return l, ErrLeadConverted
	}
	l.Status = ch.Status
	if ch.Status == StatusContacted && l.ContactedAt == nil {
		t := now
		by := ch.ContactedBy
		l.ContactedAt, l.ContactedBy = &t, &by
	}
	l.UpdatedAt = now
	return l, nil
}

// ConvertTo returns l converted to the student at now: CONVERTED, with
// convertedAt and convertedToStudentId. Converting again to the same student
// changes nothing (changed is false); to another student it returns
// ErrConvertedToOther. Whether the student exists is the store's to check.
func (l Lead) ConvertTo(studentID string, now time.Time) (out Lead, changed bool, err error) {
	if l.Status == StatusConverted {
		if l.ConvertedToStudentID != nil && *l.ConvertedToStudentID == studentID {
			return l, false, nil
		}
		return l, false, ErrConvertedToOther
	}
	l.Status = StatusConverted
	l.ConvertedAt, l.ConvertedToStudentID = &now, &studentID
	l.UpdatedAt = now
	return l, true, nil
}
