package chaos

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Proxy is a TCP proxy to one upstream, with toxics added and removed
// while traffic flows.
type Proxy struct {
	p *toxiproxy.Proxy
}

// StartProxy listens on a free loopback port and forwards to upstream, an
// http://host:port endpoint such as the emulator's.
func StartProxy(upstream string) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("chaos: upstream %q is not a URL with a host", upstream)
	}
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, "emulator", "127.0.0.1:0", u.Host)
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("chaos: start proxy to %s: %w", u.Host, err)
	}
	return &Proxy{p: p}, nil
}

// Endpoint is the proxy's address as an AWS endpoint URL.
func (p *Proxy) Endpoint() string { return "http://" + p.p.Listen }

// Latency delays every chunk in both directions by ms (± jitter).
func (p *Proxy) Latency(ms, jitter int) error {
	for _, dir := range []string{"upstream", "downstream"} {
		err := p.add(fmt.Sprintf(`{"name":"latency_%s","type":"latency","stream":%q,"attributes":{"latency":%d,"jitter":%d}}`, dir, dir, ms, jitter))
		if err != nil {
			return err
		}
	}
	return nil
}

// ResetPeer resets a share (toxicity, 0..1) of connections with a TCP RST
// after timeoutMS of data, as a crashed peer or a middlebox does.
func (p *Proxy) ResetPeer(timeoutMS int, toxicity float64) error {
	return p.add(fmt.Sprintf(`{"name":"reset","type":"reset_peer","stream":"upstream","toxicity":%g,"attributes":{"timeout":%d}}`, toxicity, timeoutMS))
}

func (p *Proxy) add(spec string) error {
	if _, err := p.p.Toxics.AddToxicJson(strings.NewReader(spec)); err != nil {
		return fmt.Errorf("chaos: add toxic %s: %w", spec, err)
	}
	return nil
}

// Heal removes every toxic.
func (p *Proxy) Heal() { p.p.Toxics.ResetToxics(context.Background()) }

// Cut closes the listener and every open connection: calls fail with
// connection refused until Restore.
func (p *Proxy) Cut() { p.p.Stop() }

// Restore listens again on the same address.
func (p *Proxy) Restore() error {
	if err := p.p.Start(); err != nil {
		return fmt.Errorf("chaos: restore proxy: %w", err)
	}
	return nil
}

// Close stops the proxy.
func (p *Proxy) Close() { p.p.Stop() }
