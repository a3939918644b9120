package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/jarvis-hq/jarvis"
)

// MaxConversationPage is the largest page ListConversations returns.
const MaxConversationPage = 100

// CreateConversation stores a new conversation of c.UserID, filling its id
// and times.
func (db *DB) CreateConversation(ctx context.Context, c *jarvis.Conversation) error {
	c.ID, c.CreatedAt, c.Title = newID(), db.now(), noNUL(c.Title)
	c.UpdatedAt = c.CreatedAt
	_, err := db.db.ExecContext(ctx, `INSERT INTO conversations (id, user_id, title, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
		c.ID, c.UserID, c.Title, db.ts(c.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert conversation: %w", err)
	}
	return nil
}

const conversationColumns = `id, user_id, title, created_at, updated_at`

func scanConversation(row interface{ Scan(...any) error }) (*jarvis.Conversation, error) {
	var c jarvis.Conversation
	if err := row.Scan(&c.ID, &c.UserID, &c.Title, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return &c, nil
}

// FindConversation returns the user's conversation. ENOTFOUND if there is
// none with the id, or it is another user's.
func (db *DB) FindConversation(ctx context.Context, userID, id string) (*jarvis.Conversation, error) {
	c, err := scanConversation(db.db.QueryRowContext(ctx, `SELECT `+conversationColumns+` FROM conversations WHERE user_id = $1 AND id = $2`, userID, id))
	if err != nil {
		return nil, notFound(err, "Conversation")
	}
	return c, nil
}

// ListConversations returns a page of the user's conversations, the most
// recently active first. The page token continues after the last row of the
// previous page; EINVALID (field page_token) for a malformed one. limit is
// clamped to 1..MaxConversationPage.
func (db *DB) ListConversations(ctx context.Context, userID, pageToken string, limit int) (*jarvis.ConversationPage, error) {
	limit = min(max(limit, 1), MaxConversationPage)
	q := `SELECT ` + conversationColumns + ` FROM conversations WHERE user_id = $1`
	args := []any{userID}
	if pageToken != "" {
		at, id, err := parseConversationToken(pageToken)
		if err != nil {
			return nil, err
		}
		q += ` AND (updated_at < $2 OR (updated_at = $2 AND id < $3))`
		args = append(args, db.ts(at), id)
	}
	args = append(args, limit+1)
	q += fmt.Sprintf(` ORDER BY updated_at DESC, id DESC LIMIT $%d`, len(args))
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	defer rows.Close()
	page := &jarvis.ConversationPage{Conversations: []jarvis.Conversation{}}
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, err
		}
		page.Conversations = append(page.Conversations, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(page.Conversations) > limit {
		page.Conversations = page.Conversations[:limit]
		last := page.Conversations[limit-1]
		page.NextPageToken = strconv.FormatInt(last.UpdatedAt.UnixMicro(), 10) + "_" + last.ID
	}
	return page, nil
}

// parseConversationToken reads "<time in µs>_<id>", the page token of
// conversations (by updated_at) and of actions (by created_at).
func parseConversationToken(tok string) (time.Time, string, error) {
	bad := jarvis.Invalid("page_token", "The page token is not valid.")
	micros, id, ok := strings.Cut(tok, "_")
	if !ok {
		return time.Time{}, "", bad
	}
	n, err := strconv.ParseInt(micros, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, "", bad
	}
	if _, err := uuid.Parse(id); err != nil {
		return time.Time{}, "", bad
	}
	return time.UnixMicro(n).UTC(), id, nil
}

// DeleteConversation deletes the user's conversation with its messages, tool
// calls and the actions the assistant requested in it (pending ones can then no longer be decided).
// ENOTFOUND if it is not the user's.
func (db *DB) DeleteConversation(ctx context.Context, userID, id string) error {
	res, err := db.db.ExecContext(ctx, `DELETE FROM conversations WHERE user_id = $1 AND id = $2`, userID, id)
	if err != nil {
		return fmt.Errorf("delete conversation: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return jarvis.Errorf(jarvis.ENOTFOUND, "Conversation not found.")
	}
	return nil
}

// InsertChatMessage adds m to the user's conversation and marks the
// conversation active. It fills m.ID when empty and m.CreatedAt. ENOTFOUND
// if the conversation is not the user's.
func (db *DB) InsertChatMessage(ctx context.Context, userID, conversationID string, m *jarvis.ChatMessage) error {
	if m.ID == "" {
		m.ID = newID()
	}
	m.CreatedAt = db.now()
	return db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE conversations SET updated_at = $3 WHERE user_id = $1 AND id = $2`, userID, conversationID, db.ts(m.CreatedAt))
		if err != nil {
			return fmt.Errorf("touch conversation: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return jarvis.Errorf(jarvis.ENOTFOUND, "Conversation not found.")
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO chat_messages (id, user_id, conversation_id, role, text, status, tokens, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)`, m.ID, userID, conversationID, m.Role, noNUL(m.Text), m.Status, db.ts(m.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert chat message: %w", err)
		}
		return nil
	})
}

// UpdateChatMessage sets the text, status and token count of the user's
// message. ENOTFOUND if it is not the user's.
func (db *DB) UpdateChatMessage(ctx context.Context, userID, id, text, status string, tokens int) error {
	res, err := db.db.ExecContext(ctx, `UPDATE chat_messages SET text = $3, status = $4, tokens = $5, updated_at = $6 WHERE user_id = $1 AND id = $2`,
		userID, id, noNUL(text), status, tokens, db.ts(db.now()))
	if err != nil {
		return fmt.Errorf("update chat message: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return jarvis.Errorf(jarvis.ENOTFOUND, "Message not found.")
	}
	return nil
}

// ListChatMessages returns the messages of the user's conversation, oldest
// first, each with its tool calls and approvals. It returns an empty list
// for a conversation that is not the user's: callers check the
// conversation first.
func (db *DB) ListChatMessages(ctx context.Context, userID, conversationID string) ([]jarvis.ChatMessage, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, role, text, status, created_at FROM chat_messages
		WHERE user_id = $1 AND conversation_id = $2 ORDER BY created_at, id`, userID, conversationID)
	if err != nil {
		return nil, fmt.Errorf("list chat messages: %w", err)
	}
	defer rows.Close()
	msgs := []jarvis.ChatMessage{}
	index := map[string]int{}
	for rows.Next() {
		m := jarvis.ChatMessage{ToolCalls: []jarvis.ToolCallRecord{}, Approvals: []jarvis.Approval{}}
		if err := rows.Scan(&m.ID, &m.Role, &m.Text, &m.Status, &m.CreatedAt); err != nil {
			return nil, err
		}
		m.CreatedAt = m.CreatedAt.UTC()
		index[m.ID] = len(msgs)
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(msgs) == 0 {
		return msgs, nil
	}

	calls, err := db.db.QueryContext(ctx, `SELECT t.id, t.message_id, t.name, t.arguments, t.ok, t.summary
		FROM chat_tool_calls t JOIN chat_messages m ON m.id = t.message_id
		WHERE t.user_id = $1 AND m.user_id = $1 AND m.conversation_id = $2 ORDER BY t.id`, userID, conversationID)
	if err != nil {
		return nil, fmt.Errorf("list tool calls: %w", err)
	}
	defer calls.Close()
	for calls.Next() {
		var c jarvis.ToolCallRecord
		var args string
		if err := calls.Scan(&c.ID, &c.MessageID, &c.Name, &args, &c.OK, &c.Summary); err != nil {
			return nil, err
		}
		c.Arguments = json.RawMessage(args)
		if i, ok := index[c.MessageID]; ok {
			msgs[i].ToolCalls = append(msgs[i].ToolCalls, c)
		}
	}
	if err := calls.Err(); err != nil {
		return nil, err
	}
	calls.Close()

	actions, err := db.listConversationActions(ctx, userID, conversationID)
	if err != nil {
		return nil, err
	}
	for i := range actions {
		if j, ok := index[actions[i].Requester.MessageID]; ok {
			msgs[j].Approvals = append(msgs[j].Approvals, jarvis.ApprovalOf(&actions[i]))
		}
	}
	return msgs, nil
}

// InsertToolCall records a tool call of the user's message, filling c.ID
// when empty. c.Arguments must be valid JSON.
func (db *DB) InsertToolCall(ctx context.Context, userID string, c *jarvis.ToolCallRecord) error {
	if c.ID == "" {
		c.ID = newID()
	}
	args := strings.ReplaceAll(string(c.Arguments), `\u0000`, `\ufffd`)
	if !json.Valid([]byte(args)) {
		args = "{}"
	}
	_, err := db.db.ExecContext(ctx, `INSERT INTO chat_tool_calls (id, user_id, message_id, name, arguments, ok, summary, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.ID, userID, c.MessageID, noNUL(c.Name), args, c.OK, noNUL(c.Summary), db.ts(db.now()))
	if err != nil {
		return fmt.Errorf("insert tool call: %w", err)
	}
	return nil
}

// noNUL drops NUL characters, which PostgreSQL cannot store in text, so
// that both databases keep the same text.
func noNUL(s string) string { return strings.ReplaceAll(s, "\x00", "") }
