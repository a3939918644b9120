package assistant

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jarvis-hq/jarvis"
)

// AccountLister lists a user's connected Google accounts, the primary first.
type AccountLister interface {
	ListGoogleAccounts(ctx context.Context, userID string) ([]jarvis.GoogleAccount, error)
}

// accountArg is the optional account argument of every tool.
func accountArg(desc string) param {
	return param{name: "account", typ: typeString, maxLen: 320, desc: desc}
}

// accounts returns the user's Google accounts, read once per turn. Without
// an AccountLister the user is taken to have one account, the primary,
// named "" — Gmail and Calendar then act for the primary.
func (t *turn) accounts() ([]jarvis.GoogleAccount, error) {
	if t.accountList != nil {
		return t.accountList, nil
	}
	if t.s.cfg.Accounts == nil {
		t.accountList = []jarvis.GoogleAccount{{Primary: true}}
		return t.accountList, nil
	}
	list, err := t.s.cfg.Accounts.ListGoogleAccounts(t.ctx, t.user.ID)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		list = []jarvis.GoogleAccount{{Primary: true}} // not connected: the services say so
	}
	t.accountList = list
	return list, nil
}

// pickAccounts returns the accounts a tool call covers: the one the account
// argument names (by email or id), or every account when it is empty. A
// name that is none of the user's accounts is an outcome for the model.
func (t *turn) pickAccounts(arg string) ([]jarvis.GoogleAccount, outcome, bool) {
	list, err := t.accounts()
	if err != nil {
		return nil, serviceError(err, "Reading the user's accounts"), false
	}
	arg = strings.TrimSpace(arg)
	if arg == "" || arg == jarvis.AllAccounts {
		return list, outcome{}, true
	}
	for _, a := range list {
		if a.ID != "" && (a.ID == arg || strings.EqualFold(a.Email, arg)) {
			return []jarvis.GoogleAccount{a}, outcome{}, true
		}
	}
	emails := make([]string, 0, len(list))
	for _, a := range list {
		if a.Email != "" {
			emails = append(emails, a.Email)
		}
	}
	msg := fmt.Sprintf("Invalid arguments: %q is not one of the user's Google accounts (%s). Give one of those, or leave account out.", truncateText(arg, 100), strings.Join(emails, ", "))
	return nil, failed("invalid_arguments", msg, "Invalid arguments: unknown account"), false
}

// accountOf returns the email of the account that ref names, for results.
func accountEmail(ref *jarvis.AccountRef) string {
	if ref == nil {
		return ""
	}
	return ref.Email
}

// ownAddress reports whether a recipient is one of the user's own addresses:
// Jarvis's email for them, or any of their accounts'.
func (t *turn) ownAddress(recipient string) bool {
	if sameAddress(recipient, t.user.Email) {
		return true
	}
	list, _ := t.accounts()
	return slices.ContainsFunc(list, func(a jarvis.GoogleAccount) bool { return sameAddress(recipient, a.Email) })
}

// accountsLine tells the model about the user's accounts when there are
// several: what the account arguments can name.
func accountsLine(list []jarvis.GoogleAccount) string {
	if len(list) < 2 {
		return ""
	}
	names := make([]string, 0, len(list))
	for _, a := range list {
		n := oneLine(a.Email)
		if a.Primary {
			n += " (primary)"
		}
		names = append(names, n)
	}
	return "The user has " + fmt.Sprint(len(list)) + " Google accounts: " + strings.Join(names, ", ") +
		". search_threads, list_upcoming_events and find_free_time cover all of them unless you name one in account; every result says which account it is from. " +
		"Read a thread and reply in the account it came from.\n"
}
