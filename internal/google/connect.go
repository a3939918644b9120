package google

import (
	"context"
	"strings"

	"golang.org/x/oauth2"

	"github.com/jarvis-hq/jarvis"
)

// Refusal reasons of google.connect_refused rows, beside the error code.
const (
	refusedOtherSession    = "connect_started_by_another_session"
	refusedLinkedElsewhere = "account_linked_to_another_user"
)

// Connect begins a flow that connects one more Google account to the user,
// or reconnects one of theirs: state, PKCE verifier (S256) and nonce are
// made and stored server-side, single-use, for ten minutes, as for a
// sign-in, with the user the flow is for. The consent screen always asks
// (prompt=consent select_account), so that the person picks the account and
// Google sends a refresh token; loginHint, when given, preselects one.
func (s *Service) Connect(ctx context.Context, userID, loginHint, redirectPath string) (string, string, error) {
	state, nonce, verifier := randomString(32), randomString(32), oauth2.GenerateVerifier()
	err := s.st.States.SaveSignInState(ctx, state, jarvis.SignInState{CodeVerifier: verifier, Nonce: nonce, RedirectPath: redirectPath,
		LinkUserID: userID, ExpiresAt: s.now().Add(signInTTL)})
	if err != nil {
		return "", "", err
	}
	opts := []oauth2.AuthCodeOption{oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", nonce), oauth2.SetAuthURLParam("include_granted_scopes", "true"),
		oauth2.SetAuthURLParam("prompt", "consent select_account")}
	if loginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", loginHint))
	}
	return s.oauth.AuthCodeURL(state, opts...), state, nil
}

// linkedElsewhere refuses a Google account that belongs to another user.
func linkedElsewhere(email string) error {
	return jarvis.Errorf(jarvis.EACCOUNTLINKED, "The Google account %s is already linked to another Jarvis user: it can belong to one user only.",
		strings.ToLower(strings.TrimSpace(email)))
}

// completeConnect finishes a Connect flow whose id_token is verified: only
// the user who started it (in ctx) may finish it; a Google account that
// another user holds — connected, or bound as their sign-in identity — is
// refused with EACCOUNTLINKED; an account new to Jarvis must pass the
// sign-in allowlist (ESIGNUPCLOSED). The account is then connected to the
// user (its tokens updated, when it already was theirs), as their primary
// if it is their only one.
func (s *Service) completeConnect(ctx context.Context, st *jarvis.SignInState, issuer, sub string, c idClaims, tok *oauth2.Token, granted []string,
	refusal *signInRefusal) (*jarvis.SignInResult, error) {
	user := jarvis.UserFromContext(ctx)
	if user == nil || user.ID != st.LinkUserID {
		refusal.reason = refusedOtherSession
		return nil, jarvis.Errorf(jarvis.EFORBIDDEN, "Connecting this Google account was started by another Jarvis session. Start it again while signed in.")
	}
	email := strings.ToLower(strings.TrimSpace(c.Email))
	ours := false
	if g, err := s.st.Integrations.FindGoogleIntegrationByIdentity(ctx, issuer, sub); err == nil {
		if g.UserID != user.ID {
			refusal.reason = refusedLinkedElsewhere
			return nil, linkedElsewhere(email)
		}
		ours = true
	} else if !jarvis.IsCode(err, jarvis.ENOTFOUND) {
		return nil, err
	}
	if s.st.Identities != nil {
		if u, err := s.st.Identities.FindUserByGoogleIdentity(ctx, issuer, sub); err == nil && u.ID != user.ID {
			refusal.reason = refusedLinkedElsewhere
			return nil, linkedElsewhere(email)
		} else if err == nil {
			ours = true
		} else if !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			return nil, err
		}
	}
	if !ours {
		refusal.meta = map[string]any{"domain": domainOf(email), "email_verified": c.verified()}
		ok, err := s.allowed(ctx, email, c)
		if err != nil {
			return nil, err
		}
		if !ok {
			refusal.reason = refusedSignupClosed
			return nil, &jarvis.Error{Code: jarvis.ESIGNUPCLOSED, Message: "This Jarvis does not accept the Google account " + email + "."}
		}
	}
	g := &jarvis.GoogleIntegration{UserID: user.ID, Issuer: issuer, Subject: sub, Email: email, Name: c.Name, PictureURL: c.Picture,
		Scopes: normaliseScopes(granted), AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, TokenType: tok.TokenType,
		Expiry: tok.Expiry.UTC(), Status: jarvis.GoogleActive}
	if err := s.st.Integrations.UpsertGoogleIntegration(ctx, g); jarvis.IsCode(err, jarvis.ECONFLICT) {
		refusal.reason = refusedLinkedElsewhere
		return nil, linkedElsewhere(email) // another user linked it meanwhile
	} else if err != nil {
		return nil, err
	}
	s.st.Auditor.Record(ctx, jarvis.AuditEntry{Action: jarvis.AuditGoogleConnect, TargetType: "google_integration", TargetID: g.ID,
		Metadata: map[string]any{"scopes": g.Scopes, "refresh_token_received": tok.RefreshToken != "", "account_id": g.ID, "primary": g.Primary, "another_account": true}})
	connected, err := s.st.Integrations.FindGoogleIntegration(ctx, user.ID, g.ID)
	if err != nil {
		return nil, err
	}
	acct := connected.Account()
	return &jarvis.SignInResult{User: user, RedirectPath: st.RedirectPath, Connected: &acct}, nil
}
