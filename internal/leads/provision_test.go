package leads

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestTakeProvisionOnce(t *testing.T) {
	if _, _, ok := TakeProvision(context.Background()); ok {
		t.Fatal("a context without a provisioning gave one")
	}
	name := "Ada"
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	ctx := WithProvision(context.Background(), Claims{UserID: "u1", Name: &name}, now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var got []Claims
	for range 8 {
		wg.Go(func() {
			if c, at, ok := TakeProvision(ctx); ok {
				mu.Lock()
				got = append(got, c)
				mu.Unlock()
				if !at.Equal(now) {
					t.Errorf("time %v, want %v", at, now)
				}
			}
		})
	}
	wg.Wait()
	if len(got) != 1 || got[0].UserID != "u1" || *got[0].Name != name {
		t.Fatalf("taken %d times (%+v), want once with the claims given", len(got), got)
	}
}
