package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/jarvis-hq/jarvis"
)

var _ jarvis.AuditStore = (*DB)(nil)

// MaxAuditPage is the largest page ListAudit returns.
const MaxAuditPage = 200

// auditRowsPerStatement keeps a multi-row insert well under both
// databases' limits on bound parameters.
const auditRowsPerStatement = 200

// InsertAudit appends rows to the audit log, many per statement. Rows
// without an id or time get them here. There is no update or delete.
func (db *DB) InsertAudit(ctx context.Context, entries ...jarvis.AuditEntry) error {
	for len(entries) > auditRowsPerStatement {
		if err := db.insertAudit(ctx, entries[:auditRowsPerStatement]); err != nil {
			return err
		}
		entries = entries[auditRowsPerStatement:]
	}
	if len(entries) == 0 {
		return nil
	}
	return db.insertAudit(ctx, entries)
}

func (db *DB) insertAudit(ctx context.Context, entries []jarvis.AuditEntry) error {
	var sb strings.Builder
	sb.WriteString(`INSERT INTO audit_logs (id, occurred_at, org_id, actor_user_id, action, target_type, target_id, outcome, ip, user_agent, request_id, metadata) VALUES `)
	args := make([]any, 0, len(entries)*12)
	for i, e := range entries {
		if e.ID == "" {
			e.ID = newID()
		}
		if e.OccurredAt.IsZero() {
			e.OccurredAt = db.now()
		}
		var meta any
		if len(e.Metadata) > 0 {
			b, err := json.Marshal(e.Metadata)
			if err != nil {
				return fmt.Errorf("audit metadata: %w", err)
			}
			meta = string(b)
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11, n+12)
		args = append(args, e.ID, db.ts(e.OccurredAt), e.OrgID, e.ActorUserID, e.Action, e.TargetType, e.TargetID, e.Outcome,
			truncate(e.IP, 64), truncate(e.UserAgent, 512), truncate(e.RequestID, 128), meta)
	}
	if _, err := db.db.ExecContext(ctx, sb.String(), args...); err != nil {
		return fmt.Errorf("insert audit: %w", err)
	}
	return nil
}

// ListAudit returns the org's rows, newest first. The cursor is the id of
// the last row of the previous page (ids are UUIDv7, ordered by time).
// EINVALID (field page_token) for a malformed cursor.
func (db *DB) ListAudit(ctx context.Context, orgID string, f jarvis.AuditFilter) (*jarvis.AuditPage, error) {
	limit := f.Limit
	if limit <= 0 || limit > MaxAuditPage {
		limit = 50
	}
	where := []string{"org_id = $1"}
	args := []any{orgID}
	if f.Cursor != "" {
		if _, err := uuid.Parse(f.Cursor); err != nil {
			return nil, jarvis.Invalid("page_token", "The page token is not valid.")
		}
		args = append(args, f.Cursor)
		where = append(where, fmt.Sprintf("id < $%d", len(args)))
	}
	if f.Action != "" {
		args = append(args, f.Action)
		where = append(where, fmt.Sprintf("action = $%d", len(args)))
	}
	if f.ActorUserID != "" {
		args = append(args, f.ActorUserID)
		where = append(where, fmt.Sprintf("actor_user_id = $%d", len(args)))
	}
	args = append(args, limit+1)
	q := `SELECT id, occurred_at, org_id, actor_user_id, action, target_type, target_id, outcome, ip, user_agent, request_id, metadata
		FROM audit_logs WHERE ` + strings.Join(where, " AND ") + fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	page := &jarvis.AuditPage{Entries: []jarvis.AuditEntry{}}
	for rows.Next() {
		var e jarvis.AuditEntry
		var meta sql.NullString
		if err := rows.Scan(&e.ID, &e.OccurredAt, &e.OrgID, &e.ActorUserID, &e.Action, &e.TargetType, &e.TargetID, &e.Outcome, &e.IP, &e.UserAgent, &e.RequestID, &meta); err != nil {
			return nil, err
		}
		e.OccurredAt = e.OccurredAt.UTC()
		if meta.Valid && meta.String != "" {
			if err := json.Unmarshal([]byte(meta.String), &e.Metadata); err != nil {
				return nil, fmt.Errorf("audit metadata of %s: %w", e.ID, err)
			}
		}
		page.Entries = append(page.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(page.Entries) > limit {
		page.Entries = page.Entries[:limit]
		page.NextCursor = page.Entries[limit-1].ID
	}
	return page, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
