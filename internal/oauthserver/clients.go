package oauthserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// Limits on client metadata.
const (
	maxDocumentBytes   = 64 << 10
	maxClientIDLen     = 512
	maxRedirectURIs    = 10
	maxRedirectURILen  = 512
	maxClientNameLen   = 100
	documentTimeout    = 5 * time.Second
	documentDefaultTTL = 5 * time.Minute
	documentMaxTTL     = 24 * time.Hour
	documentCacheSize  = 1000
)

// client is a client as the authorization endpoint sees it.
type client struct {
	ID           string
	Name         string
	URI          string
	Type         string
	RedirectURIs []string
}

// errRefusedAddress is the dial error for an address a metadata document
// may not be fetched from.
var errRefusedAddress = errors.New("the address is not a public one")

// nonPublic are ranges beyond what netip's predicates name that no client
// metadata lives on: shared address space (RFC 6598), IETF protocol
// assignments, benchmarking, reserved, and NAT64 (which reaches IPv4
// addresses of any kind).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// PublicAddress reports whether ip is a public unicast address: not
// loopback, private, link-local, multicast, unspecified or reserved.
func PublicAddress(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// NewMetadataClient returns the HTTP client that fetches metadata
// documents: no proxy, no redirects, short timeouts, and — unless
// allowLoopback — a dialer that refuses every address but a public one,
// checked after DNS on the address really dialled. roots, when not nil,
// are the certificate authorities its TLS trusts instead of the system's.
func NewMetadataClient(allowLoopback bool, roots *x509.CertPool) *http.Client {
	dialer := &net.Dialer{Timeout: documentTimeout}
	if !allowLoopback {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip, err := netip.ParseAddr(host)
			if err != nil || !PublicAddress(ip) {
				return errRefusedAddress
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: documentTimeout,
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            dialer.DialContext,
			TLSClientConfig:        &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:    documentTimeout,
			ResponseHeaderTimeout:  documentTimeout,
			MaxResponseHeaderBytes: 16 << 10,
			MaxIdleConns:           10,
			IdleConnTimeout:        time.Minute,
		},
		// The document is at the client id itself: a redirect is refused,
		// so that nothing is fetched from where the id does not say.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type cachedClient struct {
	c       *client
	expires time.Time
}

// clientResolver finds the client a client_id names.
type clientResolver struct {
	http          *http.Client
	store         Store
	allowLoopback bool
	now           func() time.Time
	mu            sync.Mutex
	cache         map[string]cachedClient
}

func newClientResolver(hc *http.Client, store Store, allowLoopback bool, now func() time.Time) *clientResolver {
	return &clientResolver{http: hc, store: store, allowLoopback: allowLoopback, now: now, cache: map[string]cachedClient{}}
}

// isDocumentID reports whether a client id is the URL of a metadata document.
func isDocumentID(id string) bool {
	return strings.HasPrefix(id, "https://") || strings.HasPrefix(id, "http://")
}

// resolve returns the client of a client id: its metadata document,
// fetched (or cached), or its registration. EINVALID (field client_id)
// when there is none, or its document cannot be had or is not valid.
func (cr *clientResolver) resolve(ctx context.Context, id string) (*client, error) {
	if id == "" || len(id) > maxClientIDLen {
		return nil, jarvis.Invalid("client_id", "The client_id parameter is missing or too long.")
	}
	if !isDocumentID(id) {
		c, err := cr.store.OAuthClient(ctx, id)
		if jarvis.IsCode(err, jarvis.ENOTFOUND) {
			return nil, jarvis.Invalid("client_id", "This client is not registered with Jarvis.")
		} else if err != nil {
			return nil, err
		}
		return &client{ID: c.ID, Name: c.Name, URI: c.URI, Type: ClientDynamic, RedirectURIs: c.RedirectURIs}, nil
	}
	if err := cr.checkDocumentURL(id); err != nil {
		return nil, err
	}
	cr.mu.Lock()
	e, ok := cr.cache[id]
	cr.mu.Unlock()
	if ok && cr.now().Before(e.expires) {
		return e.c, nil
	}
	c, ttl, err := cr.fetch(ctx, id)
	if err != nil {
		return nil, err
	}
	if ttl > 0 {
		cr.mu.Lock()
		if len(cr.cache) >= documentCacheSize {
			now := cr.now()
			for k, v := range cr.cache {
				if !now.Before(v.expires) || len(cr.cache) >= documentCacheSize {
					delete(cr.cache, k)
				}
			}
		}
		cr.cache[id] = cachedClient{c: c, expires: cr.now().Add(ttl)}
		cr.mu.Unlock()
	}
	return c, nil
}

// checkDocumentURL holds a metadata document's URL to the rules of Client
// ID Metadata Documents: https, a path, no fragment, no credentials, no
// dot segments.
func (cr *clientResolver) checkDocumentURL(id string) error {
	bad := func(why string) error {
		return jarvis.Invalid("client_id", "The client_id is not a valid metadata document URL: %s.", why)
	}
	u, err := url.Parse(id)
	if err != nil {
		return bad("it does not parse")
	}
	switch {
	case u.Scheme != "https" && !(cr.allowLoopback && u.Scheme == "http"):
		return bad("it must be an https URL")
	case u.Host == "" || u.Hostname() == "":
		return bad("it has no host")
	case u.User != nil:
		return bad("it carries credentials")
	case u.Fragment != "" || strings.Contains(id, "#"):
		return bad("it has a fragment")
	case u.Path == "" || u.Path == "/":
		return bad("it has no path")
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return bad("it has a dot segment")
		}
	}
	if !cr.allowLoopback {
		if ip, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil && !PublicAddress(ip) {
			return bad("it is not on a public address")
		}
		if h := strings.ToLower(u.Hostname()); h == "localhost" || strings.HasSuffix(h, ".localhost") {
			return bad("it is not on a public address")
		}
	}
	return nil
}

// metadataDocument is what Jarvis reads of a client's metadata.
type metadataDocument struct {
	ClientID                string   `json:"client_id"`
	ClientName              string   `json:"client_name"`
	ClientURI               string   `json:"client_uri"`
	RedirectURIs            []string `json:"redirect_uris"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	Scope                   string   `json:"scope"`
}

// fetch reads and checks a metadata document, and how long it may be
// cached.
func (cr *clientResolver) fetch(ctx context.Context, id string) (*client, time.Duration, error) {
	refuse := func(why string) error {
		return jarvis.Invalid("client_id", "The client's metadata document could not be used: %s.", why)
	}
	ctx, cancel := context.WithTimeout(ctx, documentTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, id, nil)
	if err != nil {
		return nil, 0, refuse("its URL is not valid")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "Jarvis-OAuth/1")
	resp, err := cr.http.Do(req)
	if err != nil {
		if errors.Is(err, errRefusedAddress) {
			return nil, 0, refuse("its host is not on a public address")
		}
		return nil, 0, refuse("it could not be fetched")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, refuse(fmt.Sprintf("fetching it answered %d", resp.StatusCode))
	}
	if ct, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || (ct != "application/json" && !strings.HasSuffix(ct, "+json")) {
		return nil, 0, refuse("it is not JSON")
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return nil, 0, refuse("it could not be read")
	}
	if len(body) > maxDocumentBytes {
		return nil, 0, refuse("it is larger than 64 KiB")
	}
	var doc metadataDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, 0, refuse("it is not a JSON object")
	}
	if doc.ClientID != id {
		return nil, 0, refuse("its client_id is not its own URL")
	}
	if m := doc.TokenEndpointAuthMethod; m != "" && m != "none" {
		return nil, 0, refuse("Jarvis takes public clients only (token_endpoint_auth_method none)")
	}
	if err := checkRedirectURIs(doc.RedirectURIs); err != nil {
		return nil, 0, refuse(err.Error())
	}
	c := &client{ID: id, Name: clientName(doc.ClientName, id), URI: safeURI(doc.ClientURI), Type: ClientMetadataDocument, RedirectURIs: doc.RedirectURIs}
	return c, cacheTTL(resp.Header.Get("Cache-Control")), nil
}

// cacheTTL is how long a document may be kept: its max-age, capped at a
// day; five minutes when it says nothing; not at all with no-store or
// no-cache.
func cacheTTL(cc string) time.Duration {
	ttl := documentDefaultTTL
	for _, d := range strings.Split(cc, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(strings.ToLower(d)), "=")
		switch k {
		case "no-store", "no-cache":
			return 0
		case "max-age":
			n, err := strconv.Atoi(strings.Trim(v, `"`))
			if err != nil || n <= 0 {
				return 0
			}
			ttl = time.Duration(n) * time.Second
		}
	}
	return min(ttl, documentMaxTTL)
}

// clientName is the name to show for a client: its own, trimmed to a
// printable line, or else its id's host.
func clientName(name, id string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	if r := []rune(name); len(r) > maxClientNameLen {
		name = string(r[:maxClientNameLen])
	}
	if name == "" {
		if u, err := url.Parse(id); err == nil && u.Host != "" {
			return u.Host
		}
		return "Unnamed client"
	}
	return name
}

// safeURI keeps a client's home page only when it is an https URL.
func safeURI(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || len(s) > maxRedirectURILen {
		return ""
	}
	return s
}

// schemeRE is a URI scheme an app may own (RFC 8252 private-use schemes).
var schemeRE = regexp.MustCompile(`^[a-z][a-z0-9+.\-]*$`)

// unsafeSchemes can never carry an authorization response.
var unsafeSchemes = map[string]bool{"javascript": true, "data": true, "file": true, "vbscript": true, "about": true, "blob": true,
	"ftp": true, "ws": true, "wss": true, "mailto": true, "tel": true, "sms": true, "chrome": true, "view-source": true}

// checkRedirectURI accepts an https URL, an http URL on a loopback host
// (RFC 8252), or an app's own scheme; never a fragment.
func checkRedirectURI(s string) error {
	if s == "" || len(s) > maxRedirectURILen {
		return fmt.Errorf("a redirect URI is empty or longer than %d characters", maxRedirectURILen)
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		return fmt.Errorf("the redirect URI %q is not an absolute URL", s)
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return fmt.Errorf("the redirect URI %q has a fragment", s)
	}
	if u.User != nil {
		return fmt.Errorf("the redirect URI %q carries credentials", s)
	}
	switch {
	case u.Scheme == "https":
		if u.Hostname() == "" {
			return fmt.Errorf("the redirect URI %q has no host", s)
		}
	case u.Scheme == "http":
		if !loopbackHost(u.Hostname()) {
			return fmt.Errorf("the redirect URI %q is http on a host other than localhost, 127.0.0.1 or [::1]", s)
		}
	case !schemeRE.MatchString(u.Scheme) || unsafeSchemes[u.Scheme]:
		return fmt.Errorf("the redirect URI %q has a scheme that cannot take a response", s)
	}
	return nil
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

func checkRedirectURIs(uris []string) error {
	if len(uris) == 0 || len(uris) > maxRedirectURIs {
		return fmt.Errorf("redirect_uris must list 1 to %d URIs", maxRedirectURIs)
	}
	for _, u := range uris {
		if err := checkRedirectURI(u); err != nil {
			return err
		}
	}
	return nil
}

// redirectHost is how a redirect URI is shown to the user: its host, or
// its scheme for an app's own scheme.
func redirectHost(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		return u.Host
	}
	return u.Scheme + ":"
}
