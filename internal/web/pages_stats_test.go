package web

import "testing"

func TestAxis(t *testing.T) {
	cases := []struct{ n, top, step int }{
		{0, 4, 1},
		{3, 4, 1},
		{5, 5, 1},
		{9, 10, 2},
		{11, 15, 5},
		{23, 25, 5},
		{26, 30, 10},
		{120, 125, 25},
		{1234, 1250, 250},
		{999_999, 1_000_000, 200_000},
	}
	for _, c := range cases {
		top, step := axis(c.n)
		if top != c.top || step != c.step {
			t.Errorf("axis(%d) = %d by %d, want %d by %d", c.n, top, step, c.top, c.step)
		}
		if top < c.n || top%step != 0 || top/step > 5 {
			t.Errorf("axis(%d) = %d by %d: not a whole number of at most five steps covering n", c.n, top, step)
		}
	}
}
