package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"slices"
	"sync"
	"time"
)

// codeTTL is how long an authorization code can be exchanged.
const codeTTL = 5 * time.Minute

// pendingTTL is how long a consent page stays answerable.
const pendingTTL = 30 * time.Minute

// authCode is an issued authorization code.
type authCode struct {
	email, clientID, redirectURI string
	scopes                       []string
	challenge, method, nonce     string
	offline, forceConsent        bool
	expiry                       time.Time
	used                         bool
}

// family is one grant: the refresh token (if any) and every access token
// issued from one code exchange. Revoking any of its tokens revokes all.
type family struct {
	email, clientID string
	scopes          []string
	nonce           string
	refresh         string // "" when the grant was online
	access          []string
	revoked         bool
}

type accessToken struct {
	fam    *family
	expiry time.Time
}

type consentKey struct{ email, clientID string }

// tokenStore holds codes, tokens and past consents. Access-token checks,
// on every API call, take the read lock only.
type tokenStore struct {
	now func() time.Time

	mu       sync.RWMutex
	codes    map[string]*authCode
	access   map[string]*accessToken
	refresh  map[string]*family
	consents map[consentKey][]string
	pending  map[string]*authRequest
}

func newTokenStore(now func() time.Time) *tokenStore {
	return &tokenStore{
		now:      now,
		codes:    map[string]*authCode{},
		access:   map[string]*accessToken{},
		refresh:  map[string]*family{},
		consents: map[consentKey][]string{},
		pending:  map[string]*authRequest{},
	}
}

// randomToken returns n random bytes, base64url without padding.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newCode stores a code and returns it; Google's codes start with "4/0A".
func (ts *tokenStore) newCode(c *authCode) string {
	code := "4/0A" + randomToken(48)
	c.expiry = ts.now().Add(codeTTL)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for k, old := range ts.codes {
		if ts.now().After(old.expiry.Add(codeTTL)) {
			delete(ts.codes, k)
		}
	}
	ts.codes[code] = c
	return code
}

// previousConsent returns the scopes an account already granted a client.
func (ts *tokenStore) previousConsent(email, clientID string) ([]string, bool) {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	s, ok := ts.consents[consentKey{email, clientID}]
	return slices.Clone(s), ok
}

// issued is what a successful exchange or refresh hands back.
type issued struct {
	access, refresh string
	fam             *family
}

// issueAccess adds an access token to a family. The caller holds the lock.
func (ts *tokenStore) issueAccess(f *family, ttl time.Duration) string {
	tok := "ya29.a0" + randomToken(96)
	ts.access[tok] = &accessToken{fam: f, expiry: ts.now().Add(ttl)}
	f.access = append(f.access, tok)
	return tok
}

// lookupAccess returns the grant of a valid access token.
func (ts *tokenStore) lookupAccess(tok string) (*family, bool) {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	a := ts.access[tok]
	if a == nil || a.fam.revoked || !ts.now().Before(a.expiry) {
		return nil, false
	}
	return a.fam, true
}

// revokeFamily invalidates every token of a grant and forgets the consent,
// so the next authorization is a first consent again. The caller holds the
// write lock.
func (ts *tokenStore) revokeFamily(f *family) {
	f.revoked = true
	for _, a := range f.access {
		delete(ts.access, a)
	}
	if f.refresh != "" {
		delete(ts.refresh, f.refresh)
	}
	delete(ts.consents, consentKey{f.email, f.clientID})
}

// revoke revokes the grant of an access or refresh token; false when the
// token is unknown.
func (ts *tokenStore) revoke(tok string) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if a := ts.access[tok]; a != nil {
		ts.revokeFamily(a.fam)
		return true
	}
	if f := ts.refresh[tok]; f != nil {
		ts.revokeFamily(f)
		return true
	}
	return false
}

// revokeAccount revokes every grant of an account; it returns how many.
func (ts *tokenStore) revokeAccount(email string) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	seen := map[*family]bool{}
	for _, a := range ts.access {
		if a.fam.email == email {
			seen[a.fam] = true
		}
	}
	for _, f := range ts.refresh {
		if f.email == email {
			seen[f] = true
		}
	}
	for f := range seen {
		ts.revokeFamily(f)
	}
	for k := range ts.consents {
		if k.email == email {
			delete(ts.consents, k)
		}
	}
	return len(seen)
}

// expireAccount makes an account's access tokens expire now; it returns
// how many were live.
func (ts *tokenStore) expireAccount(email string) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	n := 0
	now := ts.now()
	for _, a := range ts.access {
		if a.fam.email == email && now.Before(a.expiry) {
			a.expiry = now
			n++
		}
	}
	return n
}

// union returns a's scopes followed by b's that a lacks.
func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
