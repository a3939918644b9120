package google

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/jarvis-hq/jarvis"
)

var _ jarvis.SignInService = (*Service)(nil)

// signInTTL is how long a started sign-in may take.
const signInTTL = 10 * time.Minute

// idClaims are the id_token claims Jarvis reads.
type idClaims struct {
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"` // Google has sent both true and "true"
	Name          string `json:"name"`
	Picture       string `json:"picture"`
	HostedDomain  string `json:"hd"`
	Nonce         string `json:"nonce"`
}

func (c idClaims) verified() bool {
	switch v := c.EmailVerified.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Start begins a sign-in: state, PKCE verifier (S256) and nonce are made and
// stored server-side, single-use, for ten minutes; the URL carries the
// challenge, never the verifier. When a signed-in user (in ctx) reconnects
// and their stored grant has no readable refresh token or needs
// re-authorisation, the URL asks for prompt=consent: Google sends a new
// refresh token only on consent.
func (s *Service) Start(ctx context.Context, redirectPath string) (string, string, error) {
	state, nonce, verifier := randomString(32), randomString(32), oauth2.GenerateVerifier()
	err := s.st.States.SaveSignInState(ctx, state, jarvis.SignInState{CodeVerifier: verifier, Nonce: nonce, RedirectPath: redirectPath,
		ExpiresAt: s.now().Add(signInTTL)})
	if err != nil {
		return "", "", err
	}
	opts := []oauth2.AuthCodeOption{oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", nonce), oauth2.SetAuthURLParam("include_granted_scopes", "true")}
	if u := jarvis.UserFromContext(ctx); u != nil && s.needsConsent(ctx, u.ID) {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "consent"))
	}
	return s.oauth.AuthCodeURL(state, opts...), state, nil
}

// needsConsent reports whether the user's stored grant cannot refresh: none
// stored, unreadable, without a refresh token, or not active.
func (s *Service) needsConsent(ctx context.Context, userID string) bool {
	g, err := s.st.Integrations.FindGoogleIntegration(ctx, userID, "")
	return err != nil || g.RefreshToken == "" || g.Status != jarvis.GoogleActive
}

// Complete finishes a sign-in. The state is consumed first (EINVALID when
// unknown, used or expired: nothing else happens); the code is exchanged with
// the PKCE verifier; the id_token is verified — signature via the issuer's
// JWKS, iss, aud, exp and nonce. The Google identity (issuer, sub) finds the
// user; failing that, a user with the same verified email and no Google
// identity yet is linked; failing that, a new user is made, if the
// allowlist lets them in (ESIGNUPCLOSED otherwise).
//
// A Google identity whose verified email belongs to a user already linked to
// another identity is refused with ECONFLICT: email is not an identity (a
// recycled Workspace address must not inherit the old owner's account).
// Every refusal writes an auth.sign_in_refused audit row naming the reason.
func (s *Service) Complete(ctx context.Context, code, state string) (res *jarvis.SignInResult, err error) {
	refusal := &signInRefusal{}
	defer func() {
		if err != nil {
			s.recordRefusal(ctx, err, refusal)
		}
	}()
	st, err := s.st.States.ConsumeSignInState(ctx, state)
	if err != nil {
		return nil, err
	}
	refusal.connect = st.LinkUserID != ""
	provider, err := s.oidcProvider(ctx)
	if err != nil {
		return nil, err
	}
	octx := context.WithValue(ctx, oauth2.HTTPClient, s.http)
	tok, err := s.oauth.Exchange(octx, code, oauth2.VerifierOption(st.CodeVerifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && (re.ErrorCode == "invalid_grant" || re.Response != nil && re.Response.StatusCode == http.StatusBadRequest) {
			return nil, &jarvis.Error{Code: jarvis.EINVALID, Field: "code", Message: "Google did not accept the sign-in code (it may have been used already). Start the sign-in again.", Err: err}
		}
		return nil, upstreamError(ctx, err, "Token")
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return nil, &jarvis.Error{Code: jarvis.EUPSTREAM, Message: "Google's answer had no identity token.", Err: errors.New("no id_token")}
	}
	idt, err := provider.VerifierContext(oidc.ClientContext(ctx, s.http), &oidc.Config{ClientID: s.cfg.ClientID, Now: s.now}).Verify(ctx, rawID)
	if err != nil {
		return nil, &jarvis.Error{Code: jarvis.EUNAUTHORIZED, Message: "Google's identity token could not be verified.", Err: err}
	}
	var claims idClaims
	if err := idt.Claims(&claims); err != nil {
		return nil, &jarvis.Error{Code: jarvis.EUNAUTHORIZED, Message: "Google's identity token could not be read.", Err: err}
	}
	if claims.Nonce == "" || claims.Nonce != st.Nonce {
		return nil, &jarvis.Error{Code: jarvis.EUNAUTHORIZED, Message: "Google's identity token does not belong to this sign-in.", Err: errors.New("nonce mismatch")}
	}
	var previous []string
	if scope, _ := tok.Extra("scope").(string); strings.TrimSpace(scope) == "" {
		if g, err := s.st.Integrations.FindGoogleIntegrationByIdentity(ctx, idt.Issuer, idt.Subject); err == nil {
			previous = g.Scopes
		}
	}
	granted := grantedScopes(tok.Extra("scope"), previous)
	refusal.subject = idt.Subject
	if st.LinkUserID != "" {
		return s.completeConnect(ctx, st, idt.Issuer, idt.Subject, claims, tok, granted, refusal)
	}
	user, newUser, linked, err := s.findOrCreateUser(ctx, idt.Issuer, idt.Subject, claims, refusal)
	if err != nil {
		return nil, err
	}
	// An account already linked to the user proves itself; any other is
	// bound to the user (once and for good) before it is linked.
	if s.st.Identities != nil && !linked {
		if err := s.st.Identities.BindGoogleIdentity(ctx, user.ID, idt.Issuer, idt.Subject); jarvis.IsCode(err, jarvis.ECONFLICT) {
			refusal.reason = refusedEmailLinked
			return nil, emailLinkedError(claims.Email)
		} else if err != nil {
			return nil, err
		}
	}
	uctx := jarvis.NewContextWithUser(ctx, user)
	g := &jarvis.GoogleIntegration{UserID: user.ID, Issuer: idt.Issuer, Subject: idt.Subject, Email: strings.ToLower(claims.Email),
		Name: claims.Name, PictureURL: claims.Picture, Scopes: normaliseScopes(granted), AccessToken: tok.AccessToken,
		RefreshToken: tok.RefreshToken, TokenType: tok.TokenType, Expiry: tok.Expiry.UTC(), Status: jarvis.GoogleActive}
	if err := s.st.Integrations.UpsertGoogleIntegration(ctx, g); err != nil {
		return nil, err
	}
	// The user's name and picture are their primary account's; a sign-in
	// with another account records the sign-in only.
	name, picture := claims.Name, claims.Picture
	if !g.Primary {
		name, picture = "", ""
	}
	if err := s.st.Profiles.UpdateUserProfile(ctx, user.ID, name, picture); err != nil {
		return nil, err
	}
	s.st.Auditor.Record(uctx, jarvis.AuditEntry{Action: jarvis.AuditGoogleSignIn, TargetType: "user", TargetID: user.ID,
		Metadata: map[string]any{"new_user": newUser, "account_id": g.ID}})
	s.st.Auditor.Record(uctx, jarvis.AuditEntry{Action: jarvis.AuditGoogleConnect, TargetType: "google_integration", TargetID: g.ID,
		Metadata: map[string]any{"scopes": g.Scopes, "refresh_token_received": tok.RefreshToken != "", "account_id": g.ID, "primary": g.Primary}})
	return &jarvis.SignInResult{User: user, RedirectPath: st.RedirectPath, NewUser: newUser}, nil
}

// signInRefusal is what a refused sign-in's audit row says beyond the error
// code: the Google subject when known, and the identity rule's reason.
type signInRefusal struct {
	subject string
	reason  string
	meta    map[string]any
	// connect marks a flow connecting one more account: its refusals are
	// google.connect_refused rows.
	connect bool
}

// Refusal reasons recorded in auth.sign_in_refused rows.
const (
	refusedEmailLinked  = "email_linked_to_other_google_identity"
	refusedSignupClosed = "signup_closed"
	refusedUnverified   = "email_not_verified"
)

// recordRefusal writes the auth.sign_in_refused row of a failed sign-in:
// outcome denied when Jarvis or Google refused, failure when something broke.
func (s *Service) recordRefusal(ctx context.Context, err error, r *signInRefusal) {
	code := jarvis.ErrorCode(err)
	outcome := jarvis.OutcomeDenied
	switch code {
	case jarvis.EUPSTREAM, jarvis.EUPSTREAMTIMEOUT, jarvis.EINTERNAL:
		outcome = jarvis.OutcomeFailure
	}
	reason := r.reason
	if reason == "" {
		reason = code
	}
	meta := map[string]any{"reason": reason, "error_code": code}
	var je *jarvis.Error
	if errors.As(err, &je) && je.Field != "" {
		meta["field"] = je.Field
	}
	for k, v := range r.meta {
		meta[k] = v
	}
	e := jarvis.AuditEntry{Action: jarvis.AuditSignInRefused, Outcome: outcome, Metadata: meta}
	if r.connect {
		e.Action = jarvis.AuditGoogleConnectRefused
	}
	if r.subject != "" {
		e.TargetType, e.TargetID = "google_identity", r.subject
	}
	s.st.Auditor.Record(ctx, e)
}

// emailLinkedError refuses a Google identity whose email belongs to a user
// bound to another one.
func emailLinkedError(email string) error {
	return jarvis.Errorf(jarvis.ECONFLICT, "The email address %s belongs to another Google account, which is already linked to a Jarvis user. Sign in with that Google account.",
		strings.ToLower(strings.TrimSpace(email)))
}

// findOrCreateUser applies the identity rule and the sign-in allowlist. The
// (issuer, sub) pair is the identity: any Google account linked to a user
// signs that user in (linked reports that it was found so); a verified
// email links only a user with no Google identity yet, and a user who has
// one refuses the newcomer.
func (s *Service) findOrCreateUser(ctx context.Context, issuer, sub string, c idClaims, refusal *signInRefusal) (u *jarvis.User, newUser, linked bool, err error) {
	if g, err := s.st.Integrations.FindGoogleIntegrationByIdentity(ctx, issuer, sub); err == nil {
		u, err := s.st.Users.FindUserByID(ctx, g.UserID)
		return u, false, true, err
	} else if !jarvis.IsCode(err, jarvis.ENOTFOUND) {
		return nil, false, false, err
	}
	if s.st.Identities != nil { // bound before, since disconnected: the same user
		if u, err := s.st.Identities.FindUserByGoogleIdentity(ctx, issuer, sub); err == nil {
			return u, false, false, nil
		} else if !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			return nil, false, false, err
		}
	}
	u, newUser, err = s.findOrCreateByEmail(ctx, c, refusal)
	return u, newUser, false, err
}

// findOrCreateByEmail is the identity rule for a Google identity Jarvis has
// never seen: the user with its verified email if they have no Google
// identity, else a new user if the allowlist lets them in.
func (s *Service) findOrCreateByEmail(ctx context.Context, c idClaims, refusal *signInRefusal) (*jarvis.User, bool, error) {
	email := strings.ToLower(strings.TrimSpace(c.Email))
	refusal.meta = map[string]any{"domain": domainOf(email), "email_verified": c.verified()}
	if email != "" {
		u, err := s.st.Users.FindUserByEmail(ctx, email)
		switch {
		case err == nil:
			if _, err := s.st.Integrations.GoogleStatus(ctx, u.ID); err == nil {
				// That user is linked to another Google identity: this one
				// is someone else, whatever the email says.
				refusal.reason = refusedEmailLinked
				return nil, false, emailLinkedError(email)
			} else if !jarvis.IsCode(err, jarvis.ENOTFOUND) {
				return nil, false, err
			}
			if c.verified() {
				return u, false, nil // made by `jarvis token` or invited by email: connect them
			}
		case !jarvis.IsCode(err, jarvis.ENOTFOUND):
			return nil, false, err
		}
	}
	ok, err := s.allowed(ctx, email, c)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		refusal.reason = refusedSignupClosed
		return nil, false, &jarvis.Error{Code: jarvis.ESIGNUPCLOSED, Message: "This Jarvis does not take new sign-ups from this account. Ask its administrator to invite you."}
	}
	if email == "" || !c.verified() {
		refusal.reason = refusedUnverified
		return nil, false, &jarvis.Error{Code: jarvis.ESIGNUPCLOSED, Message: "Google did not confirm this account's email address, so it cannot sign up."}
	}
	u, err := s.st.Users.EnsureUser(ctx, email, c.Name)
	return u, true, err
}

// allowed reports whether a new person may sign up: open sign-up, or a
// verified email that is listed, whose domain (or Workspace hd) is, or that
// an org has invited.
func (s *Service) allowed(ctx context.Context, email string, c idClaims) (bool, error) {
	if s.cfg.OpenSignup {
		return true, nil
	}
	if !c.verified() || email == "" {
		return false, nil
	}
	for _, e := range s.cfg.AllowedEmails {
		if e == email {
			return true, nil
		}
	}
	for _, d := range s.cfg.AllowedDomains {
		if d == domainOf(email) || (c.HostedDomain != "" && strings.EqualFold(d, c.HostedDomain)) {
			return true, nil
		}
	}
	if s.st.Invitations != nil {
		return s.st.Invitations.HasPendingInvitation(ctx, email)
	}
	return false, nil
}

func domainOf(email string) string {
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		return email[i+1:]
	}
	return ""
}

// grantedScopes reads the scope of a token answer, a space-separated
// string. When Google leaves it out, the scopes granted before are kept, or
// at a first consent the ones asked for: a missing scope never becomes a
// scope of its own.
func grantedScopes(scope any, previous []string) []string {
	if s, ok := scope.(string); ok && strings.TrimSpace(s) != "" {
		return strings.Fields(s)
	}
	if len(previous) > 0 {
		return append([]string(nil), previous...)
	}
	return append([]string(nil), Scopes...)
}

// normaliseScopes keeps each scope once, in a stable order.
func normaliseScopes(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Disconnect disconnects every Google account of the user (see
// DisconnectAccount); the user keeps their Jarvis login. ENOTFOUND when
// nothing is connected.
func (s *Service) Disconnect(ctx context.Context, userID string) error {
	accounts, err := s.st.Integrations.ListGoogleAccounts(ctx, userID)
	if err != nil {
		return err
	}
	if len(accounts) == 0 {
		return jarvis.Errorf(jarvis.ENOTFOUND, "Google is not connected.")
	}
	for _, a := range accounts {
		if err := s.DisconnectAccount(ctx, userID, a.ID); err != nil && !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			return err
		}
	}
	return nil
}

// DisconnectAccount revokes the access token and the refresh token of one of
// the user's accounts at Google and deletes the account with its tokens;
// when it was the primary, the earliest connected of the others becomes
// the primary. The tokens are deleted even when Google cannot be reached,
// since the user asked to be disconnected; the google.disconnect audit row
// says whether Google confirmed the revocation. ENOTFOUND when the user has
// no such account.
func (s *Service) DisconnectAccount(ctx context.Context, userID, accountID string) error {
	g, err := s.st.Integrations.FindGoogleIntegration(ctx, userID, accountID)
	if jarvis.IsCode(err, jarvis.EREAUTH) {
		g = &jarvis.GoogleIntegration{ID: accountID} // unreadable tokens: nothing to revoke, just delete
	} else if err != nil {
		return err
	}
	// Both tokens are revoked, each on its own: an access token outlives a
	// refresh token that Google no longer knows.
	revoked, tried := true, false
	for _, tok := range []string{g.AccessToken, g.RefreshToken} {
		if tok == "" {
			continue
		}
		tried = true
		if err := s.revokeToken(ctx, tok); err != nil {
			s.log.WarnContext(ctx, "revoking a Google token failed; deleting the tokens anyway", "err", err)
			revoked = false
		}
	}
	revoked = revoked && tried
	if err := s.st.Integrations.DeleteGoogleIntegration(ctx, userID, g.ID); err != nil {
		return err
	}
	s.st.Auditor.Record(ctx, jarvis.AuditEntry{Action: jarvis.AuditGoogleDisconnect, TargetType: "google_integration", TargetID: g.ID,
		Metadata: map[string]any{"revoked_at_google": revoked, "account_id": g.ID}})
	return nil
}

// revokeToken calls Google's revocation endpoint. An unknown token (400)
// counts as revoked.
func (s *Service) revokeToken(ctx context.Context, token string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.revoke, strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusBadRequest {
		return fmt.Errorf("revoke: HTTP %d", resp.StatusCode)
	}
	return nil
}
