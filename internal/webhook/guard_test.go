package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeResolver answers each lookup with the next of its answers, repeating
// the last one; it records the hosts it was asked about.
type fakeResolver struct {
	mu      sync.Mutex
	answers [][]string
	asked   []string
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, host)
	if len(r.answers) == 0 {
		return nil, errors.New("no such host")
	}
	ans := r.answers[0]
	if len(r.answers) > 1 {
		r.answers = r.answers[1:]
	}
	out := make([]netip.Addr, 0, len(ans))
	for _, a := range ans {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

func resolves(addrs ...string) *fakeResolver { return &fakeResolver{answers: [][]string{addrs}} }

func TestGuard_CheckURL(t *testing.T) {
	public := resolves("93.184.216.34")
	tests := []struct {
		name     string
		url      string
		loopback bool
		resolver Resolver
		want     string // a fragment of the refusal; "" when accepted
	}{
		{"public https", "https://93.184.216.34/hooks", false, nil, ""},
		{"public name", "https://hooks.example.com/mercato", false, public, ""},
		{"metadata service", "https://169.254.169.254/latest/meta-data/", false, nil, "link-local"},
		{"ipv6 loopback", "https://[::1]/", false, nil, "loopback"},
		{"unspecified", "https://0.0.0.0/", false, nil, "unspecified"},
		{"ipv4-mapped loopback", "https://[::ffff:127.0.0.1]/", false, nil, "IPv4-mapped form of a loopback"},
		{"private", "https://10.1.2.3/", false, nil, "private"},
		{"cgnat", "https://100.64.0.1/", false, nil, "carrier-grade NAT"},
		{"decimal ip", "http://2130706433/", true, nil, "non-standard spelling of the IP address 127.0.0.1"},
		{"decimal ip https", "https://2130706433/", false, nil, "non-standard spelling"},
		{"hex ip", "https://0x7f000001/", false, nil, "127.0.0.1"},
		{"octal ip", "https://0177.0.0.1/", false, nil, "127.0.0.1"},
		{"short ip", "https://127.1/", false, nil, "127.0.0.1"},
		{"loopback", "https://127.0.0.1/", false, nil, "loopback"},
		{"private 172", "https://172.16.5.4/", false, nil, "private"},
		{"private 192.168", "https://192.168.1.1/", false, nil, "private"},
		{"multicast", "https://224.0.0.1/", false, nil, "multicast"},
		{"documentation", "https://192.0.2.10/", false, nil, "documentation"},
		{"documentation v6", "https://[2001:db8::1]/", false, nil, "documentation"},
		{"benchmarking", "https://198.18.0.1/", false, nil, "benchmarking"},
		{"reserved", "https://240.0.0.1/", false, nil, "reserved"},
		{"broadcast", "https://255.255.255.255/", false, nil, "reserved"},
		{"ula", "https://[fd00::1]/", false, nil, "unique local"},
		{"link-local v6", "https://[fe80::1]/", false, nil, "link-local"},
		{"zoned", "https://[fe80::1%25eth0]/", false, nil, "zone"},
		{"nat64 of private", "https://[64:ff9b::a01:203]/", false, nil, "NAT64 or 6to4 form of 10.1.2.3"},
		{"6to4 of metadata", "https://[2002:a9fe:a9fe::]/", false, nil, "169.254.169.254"},
		{"name to private", "https://internal.example.com/", false, resolves("10.0.0.5"), "resolves to 10.0.0.5, which is a private address"},
		{"name with one private answer", "https://mixed.example.com/", false, resolves("93.184.216.34", "192.168.0.7"), "192.168.0.7"},
		{"name does not resolve", "https://nowhere.example.com/", false, &fakeResolver{}, "does not resolve"},
		{"http refused", "http://93.184.216.34/", false, nil, "must use https"},
		{"ftp refused", "ftp://93.184.216.34/", false, nil, "scheme \"ftp\""},
		{"relative", "/hooks", false, nil, "absolute https URL"},
		{"credentials", "https://user:pass@93.184.216.34/", false, nil, "credentials"},
		{"no host", "https:///path", false, nil, "must have a host"},
		{"bad port", "https://93.184.216.34:99999/", false, nil, "port"},
		{"http to loopback locally", "http://127.0.0.1:8080/hook", true, nil, ""},
		{"localhost locally", "http://localhost:8080/hook", true, resolves("127.0.0.1", "::1"), ""},
		{"http to public locally", "http://93.184.216.34/", true, nil, "must use https"},
		{"private still refused locally", "http://10.1.2.3/", true, nil, "private"},
		{"metadata still refused locally", "http://169.254.169.254/", true, nil, "link-local"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &Guard{Resolver: tt.resolver, AllowHTTPLoopback: tt.loopback}
			if g.Resolver == nil {
				g.Resolver = &fakeResolver{} // an IP literal must never be looked up
			}
			_, err := g.CheckURL(context.Background(), tt.url)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ue *URLError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want a URLError mentioning %q", err, tt.want)
			}
			if !strings.Contains(ue.Reason, tt.want) {
				t.Errorf("reason %q does not mention %q", ue.Reason, tt.want)
			}
		})
	}
}

func TestLooseIPv4(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" when not an address
	}{
		{"2130706433", "127.0.0.1"},
		{"0x7f.1", "127.0.0.1"},
		{"017700000001", "127.0.0.1"},
		{"10.258", "10.0.1.2"},
		{"169.254.43518", "169.254.169.254"},
		{"4294967296", ""},
		{"1.2.3.4.5", ""},
		{"hooks", ""},
		{"08.1.1.1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, ok := looseIPv4(tt.in)
			got := ""
			if ok {
				got = a.String()
			}
			if got != tt.want {
				t.Errorf("looseIPv4(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestGuard_DialTimeRebinding registers a name that resolves to an allowed
// address, then lets the next lookup answer a refused one, as a DNS
// rebinding attacker would: the attempt must not connect.
func TestGuard_DialTimeRebinding(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port := mustURL(t, srv.URL).Port()
	tests := []struct {
		name     string
		loopback bool
		url      string
		first    string
		second   string
		want     string
	}{
		{"loopback then private", true, "http://rebind.example.com:" + port + "/", "127.0.0.1", "10.1.2.3", "private"},
		{"public then metadata", false, "https://rebind.example.com/", "93.184.216.34", "169.254.169.254", "link-local"},
		{"public then mapped loopback", false, "https://rebind.example.com/", "93.184.216.34", "::ffff:127.0.0.1", "loopback"},
		{"public then cgnat", false, "https://rebind.example.com/", "93.184.216.34", "100.64.0.1", "carrier-grade NAT"},
		{"public then ipv6 loopback", false, "https://rebind.example.com/", "93.184.216.34", "::1", "loopback"},
		{"public then unspecified", false, "https://rebind.example.com/", "93.184.216.34", "0.0.0.0", "unspecified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &fakeResolver{answers: [][]string{{tt.first}, {tt.second}}}
			g := &Guard{Resolver: res, AllowHTTPLoopback: tt.loopback}
			if _, err := g.CheckURL(context.Background(), tt.url); err != nil {
				t.Fatalf("registration refused: %v", err)
			}
			r := NewClient(g).Send(context.Background(), Message{URL: tt.url, ID: "DL-1", Body: []byte(`{}`), Timestamp: time.Now()})
			if r.Err == nil || !strings.Contains(r.Err.Error(), tt.want) || !strings.Contains(r.Err.Error(), "refused to connect") {
				t.Fatalf("attempt = %d %v, want a refusal mentioning %q", r.StatusCode, r.Err, tt.want)
			}
			if len(res.asked) != 2 {
				t.Errorf("lookups = %v, want one at registration and one at dial time", res.asked)
			}
		})
	}
	// A decimal-encoded host, refused at registration, is refused at dial
	// time too where the system resolver turns it into 127.0.0.1.
	r := NewClient(&Guard{Resolver: resolves("127.0.0.1")}).Send(context.Background(), Message{URL: "https://2130706433:" + port + "/", ID: "DL-1", Body: []byte(`{}`), Timestamp: time.Now()})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "refused to connect") || !strings.Contains(r.Err.Error(), "loopback") {
		t.Errorf("decimal-encoded host: %d %v, want a loopback refusal", r.StatusCode, r.Err)
	}
	if hits.Load() != 0 {
		t.Errorf("the receiver was reached %d times", hits.Load())
	}
	// The same client reaches the receiver when the name keeps resolving
	// to an allowed address: the refusals above are the guard's doing.
	g := &Guard{Resolver: resolves("127.0.0.1"), AllowHTTPLoopback: true}
	if r := NewClient(g).Send(context.Background(), Message{URL: "http://ok.example.com:" + port + "/", ID: "DL-2", Body: []byte(`{}`), Timestamp: time.Now()}); !r.OK() {
		t.Fatalf("allowed dial = %d %v", r.StatusCode, r.Err)
	}
}

// TestGuard_EveryAttemptVetsAnew keeps a connection alive to an allowed
// address, then re-points the name: the next attempt looks the name up
// again and uses no pooled connection to an address its lookup did not
// vet, whether the new answer is refused or merely different.
func TestGuard_EveryAttemptVetsAnew(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	res := &fakeResolver{answers: [][]string{{"127.0.0.1"}, {"10.1.2.3"}, {"127.0.0.1"}, {"127.0.0.2"}}}
	c := NewClient(&Guard{Resolver: res, AllowHTTPLoopback: true})
	defer c.CloseIdle()
	url := "http://rebind.example.com:" + mustURL(t, srv.URL).Port() + "/"
	steps := []struct {
		name     string
		wantOK   bool
		wantErr  string
		wantHits int32
	}{
		{"allowed: connects and keeps the connection", true, "", 1},
		{"re-pointed to a private address: refused, the pooled connection unused", false, "refused to connect", 1},
		{"back to the vetted address", true, "", 2},
		{"re-pointed to another allowed address: the pooled connection unused", false, "127.0.0.2", 2},
	}
	for i, st := range steps {
		r := c.Send(context.Background(), Message{URL: url, ID: "DL-1", Body: []byte(`{}`), Timestamp: time.Now()})
		if r.OK() != st.wantOK || (st.wantErr != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), st.wantErr))) {
			t.Errorf("attempt %d, %s: %d %v", i+1, st.name, r.StatusCode, r.Err)
		}
		if got := hits.Load(); got != st.wantHits {
			t.Errorf("attempt %d, %s: the receiver got %d requests, want %d", i+1, st.name, got, st.wantHits)
		}
	}
	if len(res.asked) != len(steps) {
		t.Errorf("lookups = %v, want one per attempt", res.asked)
	}
}

// TestGuard_Control checks the last line of defence, the dialer's hook on
// the socket's address.
func TestGuard_Control(t *testing.T) {
	g := &Guard{}
	for _, addr := range []string{"10.1.2.3:443", "[::1]:443", "169.254.169.254:80", "[::ffff:127.0.0.1]:443", "0.0.0.0:443"} {
		if err := g.control("tcp", addr, nil); err == nil {
			t.Errorf("control allowed %s", addr)
		}
	}
	if err := g.control("tcp", "93.184.216.34:443", nil); err != nil {
		t.Errorf("control refused a public address: %v", err)
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
