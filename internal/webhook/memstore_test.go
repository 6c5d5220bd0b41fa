package webhook

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
)

// memStore is an in-process fake of the dispatcher's store interface, for
// the unit tests and the benchmark: maps under a mutex with the same
// conditions as DynamoStore (conditional create, attempt-count check,
// disable only when active). It is not DynamoDB: the integration tests run
// the same dispatcher on DynamoStore against the emulator.
type memStore struct {
	mu         sync.Mutex
	endpoints  map[string]endpoint // account#id
	deliveries map[string]deliveryState
	attempts   map[string][]Attempt // delivery id
	events     []event.Event
	counted    int // counter updates
	listed     int // reads of an account's webhooks
	pages      int // failed pages read
	largest    int // the largest failed page asked for
	// pageErr fails the failed-page reads of a webhook.
	pageErr map[string]error
}

func newMemStore(eps ...endpoint) *memStore {
	m := &memStore{endpoints: map[string]endpoint{}, deliveries: map[string]deliveryState{}, attempts: map[string][]Attempt{}}
	for _, ep := range eps {
		m.endpoints[ep.Account+"#"+ep.ID] = ep
	}
	return m
}

func (m *memStore) webhooks(_ context.Context, account string) ([]endpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.listed++
	var out []endpoint
	for _, ep := range m.endpoints {
		if ep.Account == account {
			out = append(out, ep)
		}
	}
	return out, nil
}

func (m *memStore) webhook(_ context.Context, account, id string) (endpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ep, ok := m.endpoints[account+"#"+id]
	if !ok {
		return endpoint{}, ErrNotFound
	}
	return ep, nil
}

func (m *memStore) createDelivery(_ context.Context, d deliveryState) (deliveryState, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.deliveries[d.ID]; ok {
		return old, false, nil
	}
	m.deliveries[d.ID] = d
	return d, true, nil
}

// delivery answers the body the delivery was made with: the memStore
// stands for the event's item as well.
func (m *memStore) delivery(_ context.Context, _, _, id, _ string) (deliveryState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.deliveries[id]
	if !ok {
		return deliveryState{}, ErrNotFound
	}
	return d, nil
}

func (m *memStore) recordAttempt(_ context.Context, d deliveryState, a Attempt) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.deliveries[d.ID]
	if !ok || cur.Attempts != a.Number-1 {
		return errStale
	}
	d.Attempts = a.Number
	m.deliveries[d.ID] = d
	m.attempts[d.ID] = append(m.attempts[d.ID], a)
	return nil
}

func (m *memStore) count(_ context.Context, account, webhookID string, c counts, _ bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := account + "#" + webhookID
	ep, ok := m.endpoints[k]
	if !ok {
		return nil
	}
	m.counted++
	ep.Stats = c.apply(ep.Stats)
	m.endpoints[k] = ep
	return nil
}

func (m *memStore) disable(_ context.Context, ep endpoint, reason string, at time.Time, ev event.Event) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := ep.Account + "#" + ep.ID
	cur, ok := m.endpoints[k]
	if !ok || !cur.Active {
		return false, nil
	}
	cur.Active, cur.DisabledReason, cur.DisabledAt = false, reason, &at
	m.endpoints[k] = cur
	m.events = append(m.events, ev)
	return true, nil
}

// memShards is how many failed-delivery shards memStore has.
const memShards = 4

func (m *memStore) deliveryShards() int { return memShards }

func (m *memStore) failedPage(_ context.Context, account, webhookID string, shard int, since time.Time, after string, n int) ([]deliveryState, string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.pageErr[webhookID]; err != nil {
		return nil, "", false, err
	}
	m.pages++
	m.largest = max(m.largest, n)
	var out []deliveryState
	for _, d := range m.deliveries {
		if d.Account == account && d.WebhookID == webhookID && d.Status == StatusFailed && dynamo.ShardOf(d.ID, memShards) == shard &&
			d.ID >= sinceKey(since) && d.ID > after {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b deliveryState) int { return strings.Compare(a.ID, b.ID) })
	if n == 0 {
		return nil, "", len(out) > 0, nil
	}
	if len(out) > n {
		return out[:n], out[n-1].ID, true, nil
	}
	if len(out) == 0 {
		return nil, "", false, nil
	}
	return out, out[len(out)-1].ID, false, nil
}

func (m *memStore) emit(_ context.Context, evs ...event.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, evs...)
	return nil
}

func (m *memStore) get(id string) (deliveryState, []Attempt) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.deliveries[id], append([]Attempt(nil), m.attempts[id]...)
}

func (m *memStore) endpoint(account, id string) endpoint {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.endpoints[account+"#"+id]
}
