package cache

import (
	"testing"
	"time"
)

func TestCache_Get(t *testing.T) {
	start := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		ttl   time.Duration
		after time.Duration
		want  bool
	}{
		{"fresh", 30 * time.Second, 29 * time.Second, true},
		{"expired", 30 * time.Second, 30 * time.Second, false},
		{"clock went back", 30 * time.Second, -time.Second, false},
		{"no lifetime", 0, 24 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := start
			c := New[string, int](2, tt.ttl, func() time.Time { return now })
			c.Add("a", 1)
			now = now.Add(tt.after)
			v, ok := c.Get("a")
			if ok != tt.want || (ok && v != 1) {
				t.Errorf("Get after %v = %d, %v; want found %v", tt.after, v, ok, tt.want)
			}
		})
	}
}

func TestCache_Bounded(t *testing.T) {
	c := New[string, int](2, 0, time.Now)
	c.Add("a", 1)
	c.Add("b", 2)
	c.Get("a") // a is now more recently used than b
	c.Add("c", 3)
	if _, ok := c.Get("b"); ok {
		t.Error("b, the least recently used, was kept past the bound")
	}
	for _, k := range []string{"a", "c"} {
		if _, ok := c.Get(k); !ok {
			t.Errorf("%s evicted", k)
		}
	}
	c.Remove("a")
	if _, ok := c.Get("a"); ok || c.Len() != 1 {
		t.Errorf("after Remove: found a %v, %d entries", ok, c.Len())
	}
}
