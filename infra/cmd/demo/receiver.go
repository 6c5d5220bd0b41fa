package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// receiver is the demo's webhook endpoint: it verifies every delivery with
// the Standard Webhooks library, as a vendor's receiver would.
type receiver struct {
	mu       sync.Mutex
	verifier *standardwebhooks.Webhook
	types    map[string]int
	failures []string
	srv      *http.Server
	url      string
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{types: map[string]int{}, url: "http://" + ln.Addr().String() + "/hooks/mercato"}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve)}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) setSecret(secret string) error {
	v, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.verifier = v
	r.mu.Unlock()
	return nil
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.verifier == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if err := r.verifier.Verify(body, req.Header); err != nil {
		r.failures = append(r.failures, fmt.Sprintf("%s: %v", req.Header.Get("webhook-id"), err))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev struct {
		Type string `json:"type"`
	}
	_ = jsonUnmarshal(body, &ev)
	r.types[ev.Type]++
	w.WriteHeader(http.StatusNoContent)
}

// verified returns how many deliveries verified, by event type, and the
// failures.
func (r *receiver) verified() (map[string]int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.types {
		out[k] = v
	}
	return out, append([]string(nil), r.failures...)
}

func (r *receiver) close() { _ = r.srv.Close() }
