package dynamo

import (
	"errors"
	"sync"
)

// Concurrently calls fn(0) … fn(n-1), at most limit of them at once, and
// returns their errors joined once every call has returned. The reads of a
// sharded list and a batch's independent writes use it: one call's latency
// instead of n, with the calls in flight bounded so that one page or one
// batch does not take every connection.
func Concurrently(n, limit int, fn func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = fn(i)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
