// Package cache keeps facts read from the table in one Lambda instance's
// memory, so that a warm request need not read them again. A cache is
// bounded in entries (least recently used go first) and, when given a
// lifetime, in age. What may change while cached must either be harmless
// for the lifetime (a token, for 30 s) or be checked again by the write
// that relies on it (a ConditionCheck in its transaction).
package cache

import (
	"fmt"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Cache maps keys to values read at some moment. It is safe for
// concurrent use.
type Cache[K comparable, V any] struct {
	lru *lru.Cache[K, entry[V]]
	ttl time.Duration
	now func() time.Time
}

type entry[V any] struct {
	v  V
	at time.Time
}

// New returns a cache of at most size entries, each kept for at most ttl
// by the clock now (0: until evicted by newer entries). size must be
// positive: sizes are constants of the callers.
func New[K comparable, V any](size int, ttl time.Duration, now func() time.Time) *Cache[K, V] {
	l, err := lru.New[K, entry[V]](size)
	if err != nil {
		panic(fmt.Sprintf("cache: size %d: %v", size, err))
	}
	return &Cache[K, V]{lru: l, ttl: ttl, now: now}
}

// Get returns the value of k if it is cached and not too old. A clock that
// went back makes an entry count as too old, so that it cannot outlive its
// lifetime.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	e, ok := c.lru.Get(k)
	if !ok {
		var zero V
		return zero, false
	}
	if c.ttl > 0 {
		if now := c.now(); now.Before(e.at) || now.Sub(e.at) >= c.ttl {
			c.lru.Remove(k)
			var zero V
			return zero, false
		}
	}
	return e.v, true
}

// Add caches v under k, read now.
func (c *Cache[K, V]) Add(k K, v V) { c.lru.Add(k, entry[V]{v: v, at: c.now()}) }

// Remove forgets k.
func (c *Cache[K, V]) Remove(k K) { c.lru.Remove(k) }

// Len is the number of entries, expired ones included until they are
// looked up or evicted.
func (c *Cache[K, V]) Len() int { return c.lru.Len() }
