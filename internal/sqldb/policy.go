package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jarvis-hq/jarvis"
)

// UserPolicy returns the user's own policy, nil when they have set none.
func (db *DB) UserPolicy(ctx context.Context, userID string) (*jarvis.Policy, error) {
	return db.policy(ctx, `SELECT policy FROM user_policies WHERE user_id = $1`, userID)
}

// OrgPolicy returns the org's policy, nil when it has none.
func (db *DB) OrgPolicy(ctx context.Context, orgID string) (*jarvis.Policy, error) {
	return db.policy(ctx, `SELECT policy FROM org_policies WHERE org_id = $1`, orgID)
}

func (db *DB) policy(ctx context.Context, q, id string) (*jarvis.Policy, error) {
	var text string
	if err := db.db.QueryRowContext(ctx, q, id).Scan(&text); errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	var p jarvis.Policy
	if err := json.Unmarshal([]byte(text), &p); err != nil {
		return nil, fmt.Errorf("decode policy: %w", err)
	}
	p.Normalize()
	return &p, nil
}

// PutUserPolicy sets the user's own policy.
func (db *DB) PutUserPolicy(ctx context.Context, userID string, p jarvis.Policy) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = db.db.ExecContext(ctx, `INSERT INTO user_policies (user_id, policy, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`, userID, string(b), db.ts(db.now()))
	if err != nil {
		return fmt.Errorf("put user policy: %w", err)
	}
	return nil
}

// PutOrgPolicy sets the org's policy, a floor for its members.
func (db *DB) PutOrgPolicy(ctx context.Context, orgID string, p jarvis.Policy, updatedBy string) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = db.db.ExecContext(ctx, `INSERT INTO org_policies (org_id, policy, updated_at, updated_by) VALUES ($1, $2, $3, $4)
		ON CONFLICT (org_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		orgID, string(b), db.ts(db.now()), updatedBy)
	if err != nil {
		return fmt.Errorf("put org policy: %w", err)
	}
	return nil
}
