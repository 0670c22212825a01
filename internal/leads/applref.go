package leads

import (
	"encoding/base32"

	"github.com/google/uuid"
)

// crockford is Crockford's base 32: digits and capitals without I, L, O and
// U, so a reference read out on the phone is not misheard or mistyped.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// ApplicationRef is the reference an applicant quotes to staff, such as
// "ENR-7K3QX-9W2MB": ten characters of the random part of the lead's id
// (50 bits: among a million leads, two share one with a chance of about
// 1 in 2,000). It is derived, not stored; staff see it on the lead's page.
func ApplicationRef(leadID string) string {
	id, err := uuid.Parse(leadID)
	if err != nil {
		return ""
	}
	// Bytes 9–15 of a UUIDv7 are random (byte 8 holds the variant).
	s := crockford.EncodeToString(id[9:16])[:10]
	return "ENR-" + s[:5] + "-" + s[5:]
}
