// Package jwtauth mints and verifies Jarvis's own access tokens: HS256 JWTs
// with the algorithm pinned, a typ of "at+jwt" (RFC 9068) so no other kind of
// JWT is mistaken for one, and iss, aud, sub, exp, nbf, iat and jti checked.
package jwtauth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/jarvis-hq/jarvis"
)

// Audience is the aud of every Jarvis token.
const Audience = "jarvis"

// TokenType is the typ header of Jarvis's tokens.
const TokenType = "at+jwt"

// MaxTokenBytes bounds the size of a token Verify will look at: a larger one
// is refused before any parsing, so that huge tokens cost nothing.
const MaxTokenBytes = 4096

// leeway tolerates clock skew between replicas.
const leeway = 30 * time.Second

// Claims are the claims of a Jarvis token.
type Claims struct {
	jwt.RegisteredClaims
	// TokenVersion is the user's token version when the token was minted;
	// "sign out everywhere" bumps the user's version and so voids it.
	TokenVersion int `json:"tv"`
}

// Authority mints and verifies tokens with one secret and issuer.
type Authority struct {
	secret []byte
	issuer string
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser
}

// New returns an Authority. The secret must be at least 32 bytes; config
// validation refuses anything shorter before this is called.
func New(secret []byte, issuer string, ttl time.Duration, now func() time.Time) (*Authority, error) {
	if len(secret) < 32 {
		return nil, errors.New("jwt secret must be at least 32 bytes")
	}
	if now == nil {
		now = time.Now
	}
	a := &Authority{secret: secret, issuer: issuer, ttl: ttl, now: now}
	a.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(func() time.Time { return a.now() }),
	)
	return a, nil
}

// TTL is the default token lifetime.
func (a *Authority) TTL() time.Duration { return a.ttl }

var _ jarvis.TokenAuthority = (*Authority)(nil)

// Mint returns a signed token for the user, valid for ttl (the Authority's
// default when ttl is 0).
func (a *Authority) Mint(userID string, tokenVersion int, ttl time.Duration) (*jarvis.AccessToken, error) {
	if ttl <= 0 {
		ttl = a.ttl
	}
	now := a.now().UTC().Truncate(time.Second)
	c := &Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    a.issuer,
			Subject:   userID,
			Audience:  jwt.ClaimStrings{Audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        uuid.NewString(),
		},
		TokenVersion: tokenVersion,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	t.Header["typ"] = TokenType
	s, err := t.SignedString(a.secret)
	if err != nil {
		return nil, fmt.Errorf("sign token: %w", err)
	}
	return accessToken(s, c), nil
}

func accessToken(token string, c *Claims) *jarvis.AccessToken {
	return &jarvis.AccessToken{Token: token, ID: c.ID, UserID: c.Subject, TokenVersion: c.TokenVersion,
		IssuedAt: c.IssuedAt.Time.UTC(), ExpiresAt: c.ExpiresAt.Time.UTC()}
}

// errInvalid is what every rejected token gets: the reason is logged, never
// told to the caller.
func errInvalid(err error) error {
	return &jarvis.Error{Code: jarvis.EUNAUTHORIZED, Message: "The access token is invalid or expired.", Err: err}
}

// Verify checks a token's signature, header and claims and returns its
// claims. It returns EUNAUTHORIZED for any token that is not a valid, current
// Jarvis token. It never fetches anything: jku, x5u and jwk headers, and any
// kid, are refused outright.
func (a *Authority) Verify(token string) (*jarvis.AccessToken, error) {
	if len(token) > MaxTokenBytes {
		return nil, errInvalid(fmt.Errorf("token of %d bytes exceeds %d", len(token), MaxTokenBytes))
	}
	var c Claims
	_, err := a.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != TokenType {
			return nil, fmt.Errorf("typ %q is not %q", typ, TokenType)
		}
		for _, h := range []string{"kid", "jku", "x5u", "jwk", "x5c", "crit"} {
			if _, ok := t.Header[h]; ok {
				return nil, fmt.Errorf("header %q is not accepted", h)
			}
		}
		return a.secret, nil
	})
	if err != nil {
		return nil, errInvalid(err)
	}
	switch {
	case c.Subject == "":
		return nil, errInvalid(errors.New("no sub"))
	case c.ID == "":
		return nil, errInvalid(errors.New("no jti"))
	case c.NotBefore == nil:
		return nil, errInvalid(errors.New("no nbf"))
	case c.IssuedAt == nil:
		return nil, errInvalid(errors.New("no iat"))
	}
	return accessToken(token, &c), nil
}
