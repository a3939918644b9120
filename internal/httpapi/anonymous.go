package httpapi

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// signInBindingTTL is how long a browser has to come back from Google: the
// life of a sign-in state.
const signInBindingTTL = 10 * time.Minute

// allowAnonymous counts a request to a route that writes without
// authentication against its client's per-minute limit (SECURITY.md line
// 40), answering 429 rate_limited with Retry-After past it. The client is
// the address withRequest found, which believes X-Forwarded-For only from
// JARVIS_TRUSTED_PROXIES; IPv6 addresses count per /64, which one host
// usually holds whole.
func (s *Server) allowAnonymous(w http.ResponseWriter, r *http.Request) bool {
	if s.Limiter == nil {
		return true
	}
	return s.allow(w, r, "anon:"+clientBucket(jarvis.ClientFromContext(r.Context()).IP), s.cfg.AnonymousRateLimit)
}

// clientBucket names the rate-limit bucket of a client address.
func clientBucket(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
