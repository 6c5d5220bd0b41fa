package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Limits of one attempt.
const (
	// DefaultAttemptTimeout bounds one request, from dial to the end of the
	// body, unless WithAttemptTimeout sets another bound: 15 s, as Svix
	// and Hook0 allow an endpoint.
	DefaultAttemptTimeout = 15 * time.Second
	// maxRead is how much of a response is read; the rest is dropped, so
	// that an endpoint cannot make the dispatcher download a large body.
	maxRead = 64 << 10
	// maxStored is how much of a response an attempt record keeps.
	maxStored = 4 << 10
	// UserAgent names the sender, so that endpoint owners can recognise
	// and allow Mercato's requests.
	UserAgent = "Mercato-Webhooks/1.0 (+https://github.com/mercato-dev/mercato)"
)

// Client sends signed deliveries. It follows no redirects (a 3xx is a
// failure: a redirect could lead past the URL checks), uses no proxy from
// the environment (which would dial for it, past the guard), and connects
// only to addresses the guard vetted for the attempt at hand (see
// pinnedTransport).
type Client struct {
	http    *http.Client
	pinned  *pinnedTransport
	timeout time.Duration
}

// ClientOption changes one of NewClient's defaults.
type ClientOption func(*Client)

// WithAttemptTimeout bounds each attempt by d instead of
// DefaultAttemptTimeout; d <= 0 keeps the default. Tests shorten it to
// prove a slow endpoint is cut off.
func WithAttemptTimeout(d time.Duration) ClientOption {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// NewClient returns a client whose connections go through the guard.
func NewClient(g *Guard, opts ...ClientOption) *Client {
	c := &Client{timeout: DefaultAttemptTimeout}
	for _, o := range opts {
		o(c)
	}
	c.pinned = &pinnedTransport{guard: g, timeout: c.timeout, byAddr: map[netip.Addr]*http.Transport{}}
	c.http = &http.Client{
		// Each attempt is a client span of the delivering invocation's trace
		// (none when it has no span). No trace header goes to the vendor.
		Transport: tracedWhenSampled{
			traced:   otelhttp.NewTransport(c.pinned, otelhttp.WithPropagators(propagation.NewCompositeTextMapPropagator())),
			untraced: c.pinned,
		},
		Timeout: c.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return c
}

// tracedWhenSampled sends an attempt through otelhttp only when its
// context carries a span to hang the attempt's span below. Without one
// otelhttp would still clone the request, wrap the body and compute and
// record its metric attributes (into no-op instruments) on every attempt:
// per delivery, the bulk of what the dispatcher adds over a bare POST.
type tracedWhenSampled struct {
	traced, untraced http.RoundTripper
}

func (t tracedWhenSampled) RoundTrip(r *http.Request) (*http.Response, error) {
	if trace.SpanContextFromContext(r.Context()).IsValid() {
		return t.traced.RoundTrip(r)
	}
	return t.untraced.RoundTrip(r)
}

// AttemptTimeout is the bound of one attempt.
func (c *Client) AttemptTimeout() time.Duration { return c.timeout }

// Message is what one attempt sends.
type Message struct {
	URL       string
	ID        string // webhook-id: the delivery id
	Body      []byte
	Keys      []Key
	Timestamp time.Time
}

// Result is the outcome of one attempt as recorded.
type Result struct {
	StatusCode int
	Duration   time.Duration
	Err        error
	Response   string // at most maxStored bytes of the body
	Header     http.Header
}

// OK reports a 2xx answer.
func (r Result) OK() bool { return r.Err == nil && r.StatusCode >= 200 && r.StatusCode < 300 }

// Send makes one attempt. A transport error is returned in Result.Err, not
// as an error: it is an outcome to record, like a 500.
func (c *Client) Send(ctx context.Context, m Message) Result {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return Result{Err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderID, m.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(m.Timestamp.Unix(), 10))
	req.Header.Set(HeaderSignature, SignatureHeader(m.Keys, m.ID, m.Timestamp, m.Body))
	res, err := c.http.Do(req)
	if err != nil {
		return Result{Duration: time.Since(start), Err: c.describe(err)}
	}
	defer res.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(res.Body, maxRead))
	out := Result{StatusCode: res.StatusCode, Duration: time.Since(start), Response: truncate(body, maxStored), Header: res.Header}
	switch {
	case res.StatusCode >= 300 && res.StatusCode < 400:
		out.Err = fmt.Errorf("redirect to %q not followed: only a 2xx answer succeeds", res.Header.Get("Location"))
	case readErr != nil && out.OK():
		// The answer was a 2xx; a body cut short does not undo that.
	case readErr != nil:
		out.Err = fmt.Errorf("read response: %w", readErr)
	}
	return out
}

// describe turns a transport error into the sentence an attempt records:
// without the method and URL that net/http prefixes (the URL is on the
// webhook already).
func (c *Client) describe(err error) error {
	var ae *AddrError
	if errors.As(err, &ae) {
		return fmt.Errorf("refused to connect: %w", ae)
	}
	var to interface{ Timeout() bool }
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &to) && to.Timeout()) {
		return fmt.Errorf("timed out after %s", c.timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// truncate keeps at most n bytes of b without splitting a UTF-8 sequence.
func truncate(b []byte, n int) string {
	if len(b) <= n {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	b = b[:n]
	for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// CloseIdle drops idle keep-alive connections.
func (c *Client) CloseIdle() { c.pinned.CloseIdleConnections() }

// pinnedTransport makes every attempt resolve and vet its host anew, and
// reuse a keep-alive connection only if that connection's address is among
// the ones this attempt vetted. It keeps one http.Transport per vetted
// address, whose dial connects to that address only (checked once more in
// the dialer's Control hook); a request goes through the transport of an
// address its fresh lookup allows. So a name re-pointed since the last
// attempt (DNS rebinding) gets neither a pooled connection to its old
// address nor a new one to a refused address, and there is no second lookup
// between vetting and dialing for an attacker to answer differently. The
// price is a DNS query per attempt (Go's resolver does not cache), small
// beside the HTTP round trip; keep-alive reuse is kept while the host keeps
// resolving to the same address.
type pinnedTransport struct {
	guard   *Guard
	timeout time.Duration
	mu      sync.Mutex
	byAddr  map[netip.Addr]*http.Transport
}

// maxPinned bounds the transports kept, one per address ever delivered to;
// past it the idle connections are closed and the map starts again.
const maxPinned = 1024

// RoundTrip sends req through the transport of the first vetted address
// that can be dialed; another address is tried only after a dial failure,
// when nothing was sent.
func (p *pinnedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	addrs, err := p.guard.vet(req.Context(), req.URL.Hostname())
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	var errs []error
	for i, a := range addrs {
		r := req
		if i > 0 {
			if r, err = rewound(req); err != nil {
				return nil, errors.Join(append(errs, err)...)
			}
		}
		res, err := p.transport(a).RoundTrip(r)
		if err == nil {
			return res, nil
		}
		errs = append(errs, err)
		var op *net.OpError
		if !errors.As(err, &op) || op.Op != "dial" {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// rewound is req with a fresh body, for a second address.
func rewound(req *http.Request) (*http.Request, error) {
	r := req.Clone(req.Context())
	if req.GetBody == nil {
		return r, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("rewind request body: %w", err)
	}
	r.Body = body
	return r, nil
}

func (p *pinnedTransport) transport(a netip.Addr) *http.Transport {
	p.mu.Lock()
	defer p.mu.Unlock()
	if tr, ok := p.byAddr[a]; ok {
		return tr
	}
	if len(p.byAddr) >= maxPinned {
		for _, tr := range p.byAddr {
			tr.CloseIdleConnections()
		}
		p.byAddr = map[netip.Addr]*http.Transport{}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           p.guard.dialTo(a),
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: p.timeout,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       60 * time.Second,
	}
	p.byAddr[a] = tr
	return tr
}

// CloseIdleConnections closes the idle connections of every transport.
func (p *pinnedTransport) CloseIdleConnections() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tr := range p.byAddr {
		tr.CloseIdleConnections()
	}
}
