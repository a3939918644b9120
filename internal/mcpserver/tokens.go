package mcpserver

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jarvis-hq/jarvis"
)

// AccountLister lists a user's connected Google accounts, the primary first.
type AccountLister interface {
	ListGoogleAccounts(ctx context.Context, userID string) ([]jarvis.GoogleAccount, error)
}

// PersonalTokens makes, lists, revokes and verifies personal tokens. It is
// a jarvis.PersonalTokenService and, for /mcp, a jarvis.MCPTokenVerifier.
type PersonalTokens struct {
	Store    jarvis.PersonalTokenStore
	Accounts AccountLister
	Auditor  jarvis.Auditor
	Logger   *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

var (
	_ jarvis.PersonalTokenService = (*PersonalTokens)(nil)
	_ jarvis.MCPTokenVerifier     = (*PersonalTokens)(nil)
)

// defaultTokenDays is a personal token's lifetime when none is asked for.
const defaultTokenDays = 90

// maxPersonalTokens bounds how many live tokens a user may have.
const maxPersonalTokens = 50

// personalClientPrefix starts the client id of a personal token's grant.
const personalClientPrefix = "pat:"

func (p *PersonalTokens) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// hashToken is the stored form of a token: tokens are 130 random bits, so
// a fast hash is enough.
func hashToken(raw string) []byte {
	h := sha256.Sum256([]byte(raw))
	return h[:]
}

// CreatePersonalToken validates in, makes a token and stores its hash.
// EINVALID naming name, scopes, accounts or expires_in_days.
func (p *PersonalTokens) CreatePersonalToken(ctx context.Context, userID string, in jarvis.NewPersonalToken) (*jarvis.CreatedPersonalToken, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 100 || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return nil, jarvis.Invalid("name", "name must be 1 to 100 characters, without control characters.")
	}
	scopes, err := validScopes(in.Scopes)
	if err != nil {
		return nil, err
	}
	days := in.ExpiresInDays
	if days == 0 {
		days = defaultTokenDays
	}
	if days < 1 || days > jarvis.MaxPersonalTokenDays {
		return nil, jarvis.Invalid("expires_in_days", "expires_in_days must be 1 to %d.", jarvis.MaxPersonalTokenDays)
	}
	accounts, err := p.resolveAccounts(ctx, userID, in.Accounts)
	if err != nil {
		return nil, err
	}
	live, err := p.Store.ListPersonalTokens(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(live) >= maxPersonalTokens {
		return nil, jarvis.Errorf(jarvis.ECONFLICT, "You have %d personal tokens: revoke one first.", len(live))
	}
	raw := jarvis.PersonalTokenPrefix + rand.Text()
	t := &jarvis.PersonalToken{UserID: userID, Name: name, Hint: raw[:len(jarvis.PersonalTokenPrefix)+4], Scopes: scopes, Accounts: accounts,
		ExpiresAt: p.now().Add(time.Duration(days) * 24 * time.Hour)}
	if err := p.Store.InsertPersonalToken(ctx, t, hashToken(raw)); err != nil {
		return nil, err
	}
	p.audit(ctx, userID, jarvis.AuditPersonalTokenCreated, t.ID, map[string]any{"scopes": scopes, "accounts": accounts, "expires_at": t.ExpiresAt})
	return &jarvis.CreatedPersonalToken{PersonalToken: *t, Token: raw}, nil
}

// validScopes checks a list of scopes: each known, at least one; answered
// in the order of jarvis.MCPScopes, each once.
func validScopes(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, jarvis.Invalid("scopes", "Give at least one scope: %s.", strings.Join(jarvis.MCPScopes, ", "))
	}
	for _, s := range in {
		if !slices.Contains(jarvis.MCPScopes, s) {
			return nil, jarvis.Invalid("scopes", "Unknown scope %q: scopes are %s.", truncate(s, 40), strings.Join(jarvis.MCPScopes, ", "))
		}
	}
	out := []string{}
	for _, s := range jarvis.MCPScopes {
		if slices.Contains(in, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// resolveAccounts turns ids or emails of the user's accounts into ids;
// none given means every account the user has connected.
func (p *PersonalTokens) resolveAccounts(ctx context.Context, userID string, in []string) ([]string, error) {
	list, err := p.Accounts.ListGoogleAccounts(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(in) > 100 {
		return nil, jarvis.Invalid("accounts", "At most 100 accounts.")
	}
	out := []string{}
	if len(in) == 0 {
		for _, a := range list {
			out = append(out, a.ID)
		}
		if len(out) == 0 {
			return nil, jarvis.Invalid("accounts", "Connect a Google account first: a token acts in your Google accounts.")
		}
		return out, nil
	}
	for _, name := range in {
		i := slices.IndexFunc(list, func(a jarvis.GoogleAccount) bool { return a.ID == name || strings.EqualFold(a.Email, name) })
		if i < 0 {
			return nil, jarvis.Invalid("accounts", "%q is not one of your Google accounts.", truncate(name, 100))
		}
		if !slices.Contains(out, list[i].ID) {
			out = append(out, list[i].ID)
		}
	}
	return out, nil
}

// ListPersonalTokens lists the user's live tokens, newest first.
func (p *PersonalTokens) ListPersonalTokens(ctx context.Context, userID string) ([]jarvis.PersonalToken, error) {
	return p.Store.ListPersonalTokens(ctx, userID)
}

// RevokePersonalToken deletes the user's token: it stops working at once.
// ENOTFOUND for another user's token.
func (p *PersonalTokens) RevokePersonalToken(ctx context.Context, userID, id string) error {
	if err := p.Store.DeletePersonalToken(ctx, userID, id); err != nil {
		return err
	}
	p.audit(ctx, userID, jarvis.AuditPersonalTokenRevoked, id, nil)
	return nil
}

// VerifyMCPToken answers the grant of a live personal token, recording its
// use (once a minute at most). EUNAUTHORIZED for anything else.
func (p *PersonalTokens) VerifyMCPToken(ctx context.Context, raw string) (*jarvis.MCPGrant, error) {
	if !strings.HasPrefix(raw, jarvis.PersonalTokenPrefix) || len(raw) > 200 {
		return nil, errInvalidToken
	}
	t, err := p.Store.FindPersonalTokenByHash(ctx, hashToken(raw))
	if jarvis.ErrorCode(err) == jarvis.ENOTFOUND {
		return nil, errInvalidToken
	} else if err != nil {
		return nil, err
	}
	now := p.now()
	if !now.Before(t.ExpiresAt) {
		return nil, errInvalidToken
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= time.Minute {
		if err := p.Store.TouchPersonalToken(ctx, t.UserID, t.ID, now.Truncate(time.Second)); err != nil && p.Logger != nil {
			p.Logger.WarnContext(ctx, "recording a personal token's use", "err", err)
		}
	}
	return &jarvis.MCPGrant{UserID: t.UserID, ClientID: personalClientPrefix + t.ID, ClientName: t.Name, TokenID: t.ID,
		Scopes: t.Scopes, Accounts: t.Accounts, ExpiresAt: t.ExpiresAt}, nil
}

var errInvalidToken = &jarvis.Error{Code: jarvis.EUNAUTHORIZED, Message: "The token is not a live Jarvis MCP token."}

func (p *PersonalTokens) audit(ctx context.Context, userID, action, id string, meta map[string]any) {
	if p.Auditor == nil {
		return
	}
	e := jarvis.AuditEntry{ActorUserID: userID, Action: action, TargetType: "personal_token", TargetID: id, Outcome: jarvis.OutcomeSuccess, Metadata: meta}
	p.Auditor.Record(ctx, e)
}

// truncate cuts s to n runes.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
