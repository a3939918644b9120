package sandbox

import (
	"slices"
	"sort"
	"time"
)

// TokenState is what the token store keeps across a restart: every live
// grant with its refresh and access tokens, and past consents.
// Authorization codes and open consent pages are short-lived and left out.
type TokenState struct {
	Grants   []GrantState   `json:"grants,omitempty"`
	Consents []ConsentState `json:"consents,omitempty"`
}

// GrantState is one grant (a token family).
type GrantState struct {
	Email    string        `json:"email"`
	ClientID string        `json:"client_id"`
	Scopes   []string      `json:"scopes"`
	Nonce    string        `json:"nonce,omitempty"`
	Refresh  string        `json:"refresh,omitempty"`
	Access   []AccessState `json:"access,omitempty"`
}

// AccessState is an access token and its expiry.
type AccessState struct {
	Token  string    `json:"token"`
	Expiry time.Time `json:"expiry"`
}

// ConsentState is the scopes an account granted a client.
type ConsentState struct {
	Email    string   `json:"email"`
	ClientID string   `json:"client_id"`
	Scopes   []string `json:"scopes"`
}

// snapshot returns the live grants and consents; expired access tokens
// are left out.
func (ts *tokenStore) snapshot() TokenState {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	now := ts.now()
	var st TokenState
	seen := map[*family]bool{}
	grant := func(f *family) {
		if seen[f] || f.revoked {
			return
		}
		seen[f] = true
		g := GrantState{Email: f.email, ClientID: f.clientID, Scopes: slices.Clone(f.scopes), Nonce: f.nonce, Refresh: f.refresh}
		for _, tok := range f.access {
			if a := ts.access[tok]; a != nil && now.Before(a.expiry) {
				g.Access = append(g.Access, AccessState{Token: tok, Expiry: a.expiry})
			}
		}
		st.Grants = append(st.Grants, g)
	}
	for _, f := range ts.refresh {
		grant(f)
	}
	for _, a := range ts.access {
		grant(a.fam)
	}
	sort.Slice(st.Grants, func(i, j int) bool {
		a, b := st.Grants[i], st.Grants[j]
		if a.Email != b.Email {
			return a.Email < b.Email
		}
		return a.Refresh+firstAccess(a) < b.Refresh+firstAccess(b)
	})
	for k, scopes := range ts.consents {
		st.Consents = append(st.Consents, ConsentState{Email: k.email, ClientID: k.clientID, Scopes: slices.Clone(scopes)})
	}
	sort.Slice(st.Consents, func(i, j int) bool {
		a, b := st.Consents[i], st.Consents[j]
		return a.Email+" "+a.ClientID < b.Email+" "+b.ClientID
	})
	return st
}

func firstAccess(g GrantState) string {
	if len(g.Access) == 0 {
		return ""
	}
	return g.Access[0].Token
}

// restore replaces the grants and consents with st.
func (ts *tokenStore) restore(st TokenState) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.access = map[string]*accessToken{}
	ts.refresh = map[string]*family{}
	ts.consents = map[consentKey][]string{}
	for _, g := range st.Grants {
		f := &family{email: g.Email, clientID: g.ClientID, scopes: slices.Clone(g.Scopes), nonce: g.Nonce, refresh: g.Refresh}
		if f.refresh != "" {
			ts.refresh[f.refresh] = f
		}
		for _, a := range g.Access {
			ts.access[a.Token] = &accessToken{fam: f, expiry: a.Expiry}
			f.access = append(f.access, a.Token)
		}
	}
	for _, c := range st.Consents {
		ts.consents[consentKey{c.Email, c.ClientID}] = slices.Clone(c.Scopes)
	}
}
