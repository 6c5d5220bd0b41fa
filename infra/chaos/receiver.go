package chaos

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Receiver is a webhook endpoint for several webhooks: it verifies every
// delivery with the Standard Webhooks library against the secret of the
// webhook its URL names, counts each message id, and can be taken down
// (it then answers 503) and brought back.
type Receiver struct {
	URL string // append the webhook's name: URL + "/" + name

	srv  *http.Server
	down atomic.Bool

	mu        sync.Mutex
	verifiers map[string]*standardwebhooks.Webhook
	received  map[string]int // webhook-id header → verified deliveries
	refused   int
	failures  []string
}

// StartReceiver listens on a loopback port.
func StartReceiver() (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("chaos: receiver: %w", err)
	}
	r := &Receiver{URL: "http://" + ln.Addr().String() + "/hooks", verifiers: map[string]*standardwebhooks.Webhook{}, received: map[string]int{}}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve)}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// Expect registers the secret of the webhook that posts to URL/name.
func (r *Receiver) Expect(name, secret string) error {
	v, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return fmt.Errorf("chaos: receiver secret for %s: %w", name, err)
	}
	r.mu.Lock()
	r.verifiers[name] = v
	r.mu.Unlock()
	return nil
}

// Down makes the receiver answer 503 until Up.
func (r *Receiver) Down() { r.down.Store(true) }

// Up brings it back.
func (r *Receiver) Up() { r.down.Store(false) }

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if r.down.Load() {
		r.mu.Lock()
		r.refused++
		r.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	name := req.URL.Path[len("/hooks/"):]
	r.mu.Lock()
	defer r.mu.Unlock()
	v := r.verifiers[name]
	if v == nil {
		r.failures = append(r.failures, fmt.Sprintf("a delivery to unknown receiver %q", name))
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if err := v.Verify(body, req.Header); err != nil {
		r.failures = append(r.failures, fmt.Sprintf("%s to %s: %v", req.Header.Get("webhook-id"), name, err))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.received[req.Header.Get("webhook-id")]++
	w.WriteHeader(http.StatusNoContent)
}

// Stats are what the receiver saw.
type Stats struct {
	Messages   int      // distinct message ids verified
	Duplicates int      // verified deliveries of an id already seen
	Refused    int      // deliveries answered 503 while down
	Failures   []string // deliveries that did not verify
}

// Stats returns what the receiver saw so far.
func (r *Receiver) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Stats{Messages: len(r.received), Refused: r.refused, Failures: append([]string(nil), r.failures...)}
	for _, n := range r.received {
		s.Duplicates += n - 1
	}
	return s
}

// Received is how many times message id (a delivery id) was verified.
func (r *Receiver) Received(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.received[id]
}

// Close stops the receiver.
func (r *Receiver) Close() { _ = r.srv.Close() }
