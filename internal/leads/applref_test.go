package leads

import (
	"testing"

	"github.com/google/uuid"
)

func TestApplicationRef(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := uuid.Must(uuid.NewV7()).String()
		ref := ApplicationRef(id)
		if len(ref) != len("ENR-XXXXX-XXXXX") || ref[:4] != "ENR-" || ref[9] != '-' {
			t.Fatalf("ApplicationRef(%s) = %q", id, ref)
		}
		if ref != ApplicationRef(id) {
			t.Fatal("ApplicationRef is not stable")
		}
		if seen[ref] {
			t.Fatalf("two of 10,000 leads share %s", ref)
		}
		seen[ref] = true
	}
	if ApplicationRef("not-a-uuid") != "" {
		t.Error("a malformed id has no reference")
	}
}
