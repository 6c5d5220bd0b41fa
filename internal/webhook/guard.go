package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Resolver looks up the addresses of a host name. net.DefaultResolver is
// one; tests substitute resolvers that change their answer between lookups
// to prove the guard checks again at dial time (DNS rebinding).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Guard decides which webhook URLs and addresses Mercato may call. The same
// rules run at registration (on the URL and every address its host resolves
// to), on every attempt (on a fresh lookup of the host, which decides which
// connections the attempt may use or open) and at dial time (on the address
// actually connected to), so that a name that resolved to a public address
// when it was registered cannot be pointed at the cloud metadata service or
// the VPC later.
type Guard struct {
	Resolver Resolver
	// AllowHTTPLoopback lets http:// (and https://) URLs reach loopback
	// addresses. Only the local stack and the tests set it; every other
	// refusal still applies.
	AllowHTTPLoopback bool
}

// refusal is an address range Mercato never calls, with the reason given to
// the user who registered a URL that reaches it.
type refusal struct {
	prefix netip.Prefix
	reason string
}

// refused lists the ranges that are not on the public internet (IANA special
// purpose registries), as Svix and Hook0 refuse them. IPv4-mapped IPv6
// addresses are unmapped before the check; NAT64 and 6to4 addresses are
// checked on the IPv4 address they embed as well.
var refused = func() []refusal {
	rs := []struct{ cidr, reason string }{
		{"0.0.0.0/8", "an unspecified or \"this network\" address"},
		{"10.0.0.0/8", "a private address"},
		{"100.64.0.0/10", "a carrier-grade NAT address"},
		{"127.0.0.0/8", "a loopback address"},
		{"169.254.0.0/16", "a link-local address (such as the cloud metadata service 169.254.169.254)"},
		{"172.16.0.0/12", "a private address"},
		{"192.0.0.0/24", "an IETF protocol assignment"},
		{"192.0.2.0/24", "a documentation address"},
		{"192.88.99.0/24", "a 6to4 relay anycast address"},
		{"192.168.0.0/16", "a private address"},
		{"198.18.0.0/15", "a benchmarking address"},
		{"198.51.100.0/24", "a documentation address"},
		{"203.0.113.0/24", "a documentation address"},
		{"224.0.0.0/4", "a multicast address"},
		{"240.0.0.0/4", "a reserved address"},
		{"::/128", "an unspecified address"},
		{"::1/128", "a loopback address"},
		{"::/96", "an IPv4-compatible IPv6 address"},
		{"100::/64", "a discard-only address"},
		{"2001::/32", "a Teredo address"},
		{"2001:10::/28", "an ORCHID address"},
		{"2001:20::/28", "an ORCHID address"},
		{"2001:db8::/32", "a documentation address"},
		{"3fff::/20", "a documentation address"},
		{"fc00::/7", "a private (unique local) address"},
		{"fe80::/10", "a link-local address"},
		{"fec0::/10", "a site-local address"},
		{"ff00::/8", "a multicast address"},
	}
	out := make([]refusal, 0, len(rs))
	for _, r := range rs {
		out = append(out, refusal{prefix: netip.MustParsePrefix(r.cidr), reason: r.reason})
	}
	return out
}()

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	nat64l = netip.MustParsePrefix("64:ff9b:1::/48")
	sixTo4 = netip.MustParsePrefix("2002::/16")
	loopV4 = netip.MustParsePrefix("127.0.0.0/8")
	loopV6 = netip.MustParseAddr("::1")
)

// AddrError is an address the guard refuses, with the reason.
type AddrError struct {
	Addr   netip.Addr
	Reason string
}

func (e *AddrError) Error() string { return fmt.Sprintf("%s is %s", e.Addr, e.Reason) }

// CheckAddr reports why Mercato must not connect to addr, or nil when it
// may. Loopback is allowed only when the guard allows HTTP to loopback.
func (g *Guard) CheckAddr(addr netip.Addr) error {
	orig := addr
	addr = addr.Unmap()
	if addr.Zone() != "" {
		return &AddrError{Addr: orig, Reason: "a zoned IPv6 address, which only link-local addresses need"}
	}
	if g.AllowHTTPLoopback && isLoopback(addr) {
		return nil
	}
	mapped := ""
	if orig.Is4In6() {
		mapped = "an IPv4-mapped form of "
	}
	for _, r := range refused {
		if r.prefix.Contains(addr) {
			return &AddrError{Addr: orig, Reason: mapped + r.reason}
		}
	}
	if embedded, ok := embeddedIPv4(addr); ok {
		var ae *AddrError
		if err := g.CheckAddr(embedded); errors.As(err, &ae) {
			return &AddrError{Addr: orig, Reason: "a NAT64 or 6to4 form of " + ae.Error()}
		}
	}
	return nil
}

func isLoopback(a netip.Addr) bool { return loopV4.Contains(a) || a == loopV6 }

// embeddedIPv4 returns the IPv4 address that a NAT64 or 6to4 address
// forwards to.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	if !a.Is6() {
		return netip.Addr{}, false
	}
	b := a.As16()
	switch {
	case nat64.Contains(a), nat64l.Contains(a):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixTo4.Contains(a):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// URLError is a refused webhook URL; its message says why, for the API
// answer.
type URLError struct{ Reason string }

func (e *URLError) Error() string { return e.Reason }

func urlErrorf(format string, args ...any) error {
	return &URLError{Reason: fmt.Sprintf(format, args...)}
}

// CheckURL validates a webhook URL at registration: its scheme, host and
// credentials, and every address its host resolves to. Each refusal names
// its reason.
func (g *Guard) CheckURL(ctx context.Context, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, urlErrorf("url %q is not a valid URL", raw)
	}
	if err := g.checkShape(u); err != nil {
		return nil, err
	}
	addrs, err := g.resolve(ctx, u.Hostname())
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		var ae *AddrError
		if err := g.CheckAddr(a); errors.As(err, &ae) {
			if a.String() == u.Hostname() {
				return nil, urlErrorf("url host %s is %s", u.Hostname(), ae.Reason)
			}
			return nil, urlErrorf("url host %s resolves to %s, which is %s", u.Hostname(), a, ae.Reason)
		}
	}
	if u.Scheme == "http" && !allLoopback(addrs) {
		return nil, urlErrorf("url must use https; plain http is allowed only to loopback on the local stack")
	}
	return u, nil
}

func allLoopback(addrs []netip.Addr) bool {
	for _, a := range addrs {
		if !isLoopback(a.Unmap()) {
			return false
		}
	}
	return len(addrs) > 0
}

// checkShape applies the rules that need no lookup.
func (g *Guard) checkShape(u *url.URL) error {
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && g.AllowHTTPLoopback:
	case u.Scheme == "http":
		return urlErrorf("url must use https (got http)")
	default:
		return urlErrorf("url must be an absolute https URL (got scheme %q)", u.Scheme)
	}
	if u.User != nil {
		return urlErrorf("url must not contain credentials (user:password@); authenticate deliveries with the signature")
	}
	host := u.Hostname()
	if host == "" {
		return urlErrorf("url must have a host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return urlErrorf("url port %q is not a port number", p)
		}
	}
	if strings.Contains(host, "%") {
		return urlErrorf("url host %s has an IPv6 zone, which only a link-local address needs", host)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if a, ok := looseIPv4(host); ok {
		return urlErrorf("url host %s is a non-standard spelling of the IP address %s; write addresses as a.b.c.d", host, a)
	}
	return nil
}

// resolve returns the addresses of host: itself when it is an IP literal.
func (g *Guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := g.resolver().LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil, urlErrorf("url host %s does not resolve to an address", host)
	}
	return addrs, nil
}

func (g *Guard) resolver() Resolver {
	if g.Resolver == nil {
		return net.DefaultResolver
	}
	return g.Resolver
}

// looseIPv4 parses the forms that inet_aton accepts but that are not
// dotted-quad decimal: 2130706433, 0x7f000001, 0177.0.0.1, 127.1. Some
// resolvers turn them into addresses, so they are refused outright rather
// than resolved.
func looseIPv4(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		v, ok := parseInetPart(p)
		if !ok {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i, v := range vals[:last] {
		if v > 255 {
			return netip.Addr{}, false
		}
		n |= v << (24 - 8*i)
	}
	if vals[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

func parseInetPart(p string) (uint64, bool) {
	base, digits := 10, p
	switch {
	case strings.HasPrefix(strings.ToLower(p), "0x"):
		base, digits = 16, p[2:]
	case len(p) > 1 && p[0] == '0':
		base, digits = 8, p[1:]
	}
	if digits == "" {
		return 0, base == 16
	}
	v, err := strconv.ParseUint(digits, base, 32)
	return v, err == nil
}

// vet resolves host anew and returns the addresses the guard allows, in
// the resolver's order, or why none is. The client calls it on every
// attempt, before it picks a connection: see pinnedTransport.
func (g *Guard) vet(ctx context.Context, host string) ([]netip.Addr, error) {
	addrs, err := g.resolve(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", host, err)
	}
	var ok []netip.Addr
	var errs []error
	for _, a := range addrs {
		if err := g.CheckAddr(a); err != nil {
			errs = append(errs, fmt.Errorf("dial %s: %w", host, err))
			continue
		}
		ok = append(ok, a.Unmap())
	}
	if len(ok) == 0 {
		return nil, errors.Join(errs...)
	}
	return ok, nil
}

// dialTo returns a dial function that connects to addr, whatever host the
// transport asks for (the transport is addr's alone), and checks the
// connected address once more in the dialer's Control hook, so that no code
// path can reach a refused address.
func (g *Guard) dialTo(addr netip.Addr) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		_, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		if err := g.CheckAddr(addr); err != nil {
			return nil, err
		}
		d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}
		return d.DialContext(ctx, network, net.JoinHostPort(addr.String(), port))
	}
}

// control is the last check, on the exact address the socket connects to.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: not an IP address", address)
	}
	return g.CheckAddr(ap.Addr())
}
