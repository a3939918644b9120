package mailreads

import (
	"context"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

// ModifyThread changes the thread's labels in Gmail, then brings the index
// up to the change (see settle).
func (s *Service) ModifyThread(ctx context.Context, userID, account, threadID string, in jarvis.ThreadModify) (*jarvis.ThreadChange, error) {
	c, err := s.Live.ModifyThread(ctx, userID, account, threadID, in)
	if err != nil {
		return nil, err
	}
	c.Indexed = s.settle(ctx, c)
	return c, nil
}

// TrashThread moves the thread to the trash or out of it in Gmail, then
// brings the index up to the change (see settle).
func (s *Service) TrashThread(ctx context.Context, userID, account, threadID string, trash bool) (*jarvis.ThreadChange, error) {
	c, err := s.Live.TrashThread(ctx, userID, account, threadID, trash)
	if err != nil {
		return nil, err
	}
	c.Indexed = s.settle(ctx, c)
	return c, nil
}

// settle schedules the account's sync, which reads the change back from
// Gmail's history as it reads any other (the index is only ever written by
// the sync, so it stays exactly what replaying the history makes it), and
// waits, at most Config.Settle, until the index has reached the change's
// historyId. It reports whether it has: when not (the account is still in
// its first sync, or the sync is slow), the change arrives with that sync.
func (s *Service) settle(ctx context.Context, c *jarvis.ThreadChange) bool {
	if s.cfg.Sync == nil || c.Account == nil {
		return false
	}
	accountID := c.Account.ID
	reached := func() (bool, bool) {
		st, err := s.cfg.Index.State(ctx, accountID)
		if err != nil || !servable(st) {
			return false, false
		}
		return st.HistoryID >= c.HistoryID, true
	}
	if ok, _ := reached(); ok {
		return true
	}
	if err := s.cfg.Sync(ctx, accountID); err != nil {
		s.cfg.Logger.WarnContext(ctx, "schedule the sync after a change", "account_id", accountID, "err", err)
		return false
	}
	return mailsync.Settle(ctx, s.cfg.Settle, reached)
}
