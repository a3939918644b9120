package actions

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jarvis-hq/jarvis"
)

// DraftUpdatePayload is the payload of gmail.draft.update: the draft, and
// its new content as the fields of POST /gmail/draft (replacing the old).
type DraftUpdatePayload struct {
	Account string `json:"account"`
	DraftID string `json:"draft_id"`
	jarvis.DraftInput
}

// DraftUpdater replaces a draft's content over the mail service.
type DraftUpdater struct {
	Mail     jarvis.MailService
	Accounts Accounts
	// Validate checks a draft as drafting will (google.ValidateDraft).
	Validate func(jarvis.DraftInput) error
}

// Prepare resolves the account, checks that the draft is there (ENOTFOUND
// otherwise), gives a reply that names no one the reply rule's recipients
// and checks the new content.
func (d DraftUpdater) Prepare(ctx context.Context, userID string, payload json.RawMessage) (*jarvis.PreparedAction, error) {
	var p DraftUpdatePayload
	if err := decodePayload(payload, &p); err != nil {
		return nil, err
	}
	if p.DraftID == "" || len(p.DraftID) > 256 {
		return nil, jarvis.Invalid("draft_id", "draft_id is required: a draft's id, as Jarvis gave it.")
	}
	if err := checkReferences(p.DraftInput); err != nil {
		return nil, err
	}
	acct, err := resolveAccount(ctx, d.Accounts, userID, p.Account)
	if err != nil {
		return nil, err
	}
	p.Account = acct.ID
	if _, err := d.Mail.GetDraft(ctx, userID, acct.ID, p.DraftID); err != nil {
		return nil, err
	}
	m, err := prepareMessage(ctx, d.Mail, d.Validate, userID, acct.ID, &p.DraftInput)
	if err != nil {
		return nil, err
	}
	b, err := canonical(p)
	if err != nil {
		return nil, err
	}
	return &jarvis.PreparedAction{Payload: b, Account: acct, Recipients: m.rcpts,
		Summary: fmt.Sprintf("Rewrite a draft as %s to %s", quoted(m.subject), listOf(m.rcpts))}, nil
}

// Execute replaces the draft's content as prepared.
func (d DraftUpdater) Execute(ctx context.Context, userID string, payload json.RawMessage) (json.RawMessage, error) {
	var p DraftUpdatePayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, jarvis.Errorf(jarvis.EINTERNAL, "The stored payload cannot be read.")
	}
	draft, err := d.Mail.UpdateDraft(ctx, userID, p.Account, p.DraftID, p.DraftInput)
	if err != nil {
		return nil, err
	}
	return canonical(draft)
}
